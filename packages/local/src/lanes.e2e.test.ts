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

    let stop = false;
    const failures: string[] = [];
    const versions = new Set<string>();
    const loop = async (url: string, pick: (a: Awaited<ReturnType<typeof request>>) => string) => {
      let count = 0;
      while (!stop) {
        try {
          versions.add(pick(await request(url)));
        } catch (error) {
          failures.push(String(error));
        }
        count++;
      }
      return count;
    };
    const loops = [
      loop(orders, (a) => a.version),
      loop(orders, (a) => a.version),
      loop(web, (a) => a.calls[0]!.version),
    ];
    const deployed = await env.deploy(ref('orders', 'base'));
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    const counts = await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(counts.reduce((a, b) => a + b)).toBeGreaterThan(50);
    expect([...versions].sort()).toEqual(['1.0.0', '1.0.1']);
    expect((await request(orders)).version).toBe('1.0.1');

    const status = await env.status(ref('orders', 'base'));
    expect(status.summary.version).toBe(deployed.version);
    const rolled = await env.rollback(ref('orders', 'base'));
    expect(rolled.version).not.toBe(deployed.version);
    expect((await request(orders)).version).toBe('1.0.0');
  });

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
