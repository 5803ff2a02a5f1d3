import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError, verifyPassed } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoEnvironment, e2ePort, hops, projectDir, request } from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';

const exec = promisify(execFile);
const dir = projectDir('lanes');
let env: LocalEnvironment;
const web = `http://127.0.0.1:${e2ePort(22)}/`;
const orders = `http://127.0.0.1:${e2ePort(23)}/`;
const ref = (service: string, lane: string) => ({ service, lane, env: 'local' });

/** What a load run saw. */
interface LoadRun<T> {
  readonly result: T;
  /** Requests answered (successfully or not). */
  readonly count: number;
  /** Requests that failed (a network error or a status other than 200), with why. */
  readonly failures: string[];
  /** Requests answered by another lane than the one asked for. */
  readonly wrongLane: string[];
  /** Versions seen, by the lane asked for. */
  readonly versions: Record<string, Set<string>>;
}

/**
 * Runs `action` while `workers` keep-alive workers send requests to orders' gateway without pause (half without a
 * lane, half in lane gray), until 500 ms after it finished. Bounded: at most 40 000 requests, each given up after
 * 60 s (the ALB's idle timeout: what a caller behind an ALB would wait at most).
 */
async function underLoad<T>(workers: number, action: () => Promise<T>): Promise<LoadRun<T>> {
  let stop = false;
  let count = 0;
  const failures: string[] = [];
  const wrongLane: string[] = [];
  const versions: Record<string, Set<string>> = { base: new Set(), gray: new Set() };
  const worker = async (lane: 'base' | 'gray') => {
    while (!stop && count < 40_000) {
      count++;
      try {
        const answer = await request(orders, lane === 'base' ? undefined : lane, 60_000);
        if (answer.lane !== lane) wrongLane.push(`asked ${lane}, answered by ${answer.lane}`);
        versions[lane]!.add(answer.version);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const running = Array.from({ length: workers }, (_, i) => worker(i % 2 === 0 ? 'base' : 'gray'));
  try {
    const result = await action();
    await new Promise((r) => setTimeout(r, 500));
    return { result, count, failures, wrongLane, versions };
  } finally {
    stop = true;
    await Promise.all(running);
  }
}

beforeAll(async () => {
  env = await demoEnvironment(dir, e2ePort(20));
  await env.up();
  await env.deploy({ ...ref('orders', 'gray'), branch: 'gray' });
});
afterAll(() => cleanup(env, dir));

describe('lane lifecycle on the local target', () => {
  it('lists every lane serving, with its commit and gateway', async () => {
    const lanes = await env.list();
    expect(lanes.map((l) => `${l.service}/${l.lane}:${l.state}`)).toEqual([
      'inventory/base:serving',
      'orders/base:serving',
      'orders/gray:serving',
      'web/base:serving',
    ]);
    expect(lanes.find((l) => l.lane === 'gray')).toMatchObject({
      branch: 'gray',
      url: `http://127.0.0.1:${e2ePort(23)}`,
    });
  });

  it('verifies a lane: healthy instance, health path through the gateway, answered by the lane', async () => {
    const checks = await env.verify(ref('orders', 'gray'));
    expect(checks.map((c) => c.status)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(verifyPassed(await env.verify(ref('web', 'base')))).toBe(true);
  });

  it('gives clear errors for bad input and leaves running lanes untouched', async () => {
    const before = await env.list();
    await expect(env.deploy(ref('payments', 'gray'))).rejects.toThrow(
      /unknown service "payments"; known services: web, orders, inventory/,
    );
    await expect(env.deploy(ref('orders', 'Gray!'))).rejects.toThrow(UserError);
    await expect(env.deploy(ref('orders', 'Gray!'))).rejects.toThrow(/invalid lane/);
    await expect(env.deploy({ ...ref('orders', 'blue'), branch: 'nope' })).rejects.toThrow(
      /branch "nope" does not exist in the App repo of orders .*branches: gray, main/,
    );
    await expect(env.remove(ref('orders', 'base'))).rejects.toThrow(/baseline of orders.*--force/);
    await expect(env.remove(ref('orders', 'blue'))).rejects.toThrow(/there is no lane blue of orders/);
    await expect(env.deploy({ ...ref('orders', 'gray'), branch: ' ' })).rejects.toThrow(
      /the branch to deploy into lane gray of orders is empty/,
    );
    await expect(env.rollback({ ...ref('orders', 'gray'), to: 'deadbeef' })).rejects.toThrow(
      /lane gray of orders never ran deadbeef; it ran [0-9a-f]{12} \(gray\)/,
    );
    expect(await env.list()).toEqual(before);
    expect(hops(await request(web, 'gray'))).toEqual(['web:base', 'orders:gray', 'inventory:base']);
  });

  it('redeploys with zero downtime under continuous requests, and rolls back', async () => {
    const repo = path.join(dir, 'repos', 'orders');
    const server = path.join(repo, 'server.mjs');
    await writeFile(
      server,
      (await readFile(server, 'utf8')).replace("VERSION = '1.0.0'", "VERSION = '1.0.1'"),
    );
    await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'orders 1.0.1'], {
      cwd: repo,
    });

    // 200 keep-alive workers in flight at once, half without a lane, half in lane gray, while the baseline redeploys.
    const baseline = await underLoad(200, () => env.deploy(ref('orders', 'base')));
    const deployed = baseline.result;
    expect(baseline.failures).toEqual([]);
    expect(baseline.wrongLane).toEqual([]);
    expect(baseline.count).toBeGreaterThan(400);
    expect([...baseline.versions.base!].sort()).toEqual(['1.0.0', '1.0.1']);
    expect((await request(orders)).version).toBe('1.0.1');

    const status = await env.status(ref('orders', 'base'));
    expect(status.summary.version).toBe(deployed.version);
    const rolled = await env.rollback(ref('orders', 'base'));
    expect(rolled.version).not.toBe(deployed.version);
    expect((await request(orders)).version).toBe('1.0.0');
  }, 300_000);

  it('redeploys a lane with zero downtime under 200 requests in flight: none fails, none leaves the lane', async () => {
    // gray moves from its own branch to main: another commit, so a new instance replaces the running one.
    const lane = await underLoad(200, () => env.deploy({ ...ref('orders', 'gray'), branch: 'main' }));
    expect(lane.failures).toEqual([]);
    expect(lane.wrongLane).toEqual([]);
    expect(lane.count).toBeGreaterThan(400);
    expect([...lane.versions.gray!].sort()).toEqual(['1.0.0-gray', '1.0.1']);
    // Nothing went unhealthy under the load: no health change after the first passed check, no restart.
    const status = await env.status(ref('orders', 'gray'));
    expect(status.summary.state).toBe('serving');
    expect(status.details.find(([k]) => k === 'health')?.[1]).toMatch(/^healthy since .*, 1 change$/);
    await env.deploy({ ...ref('orders', 'gray'), branch: 'gray' });
  }, 300_000);

  it('falls back to the baseline once a lane is removed (route first, then process)', async () => {
    const gray = (await env.status(ref('orders', 'gray'))).details.find(([k]) => k === 'instance')![1];
    const pid = Number(/pid (\d+)/.exec(gray)![1]);
    await env.remove(ref('orders', 'gray'));
    // orders' gateway dropped the lane's rule before the process stopped: gray requests go to the baseline.
    const direct = await fetch(orders, { headers: { tracestate: 'ctx=lane:gray' } });
    expect(direct.headers.get('x-lanes-gateway-lane')).toBe('base');
    expect(((await direct.json()) as { lane: string }).lane).toBe('base');
    // web calls orders through the registry; even if its cached answer still names the removed instance, the
    // SDK asks again when it cannot connect, so the very next gray request falls back, with no failed call.
    expect(hops(await request(web, 'gray')).join()).toBe('web:base,orders:base,inventory:base');
    expect((await env.list()).some((l) => l.lane === 'gray')).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
