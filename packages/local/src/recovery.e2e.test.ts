import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { UserError } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSupervisor } from './client.js';
import {
  cleanup,
  demoEnvironment,
  e2ePort,
  eventually,
  hops,
  projectDir,
  REPO,
  request,
} from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';
import { lockHolder } from './lock.js';
import { laneLockFile } from './paths.js';
import { groupAlive } from './process.js';
import { StateStore } from './state.js';

const exec = promisify(execFile);
const dir = projectDir('recovery');
let env: LocalEnvironment;
const web = `http://127.0.0.1:${e2ePort(42)}/`;

beforeAll(async () => {
  env = await demoEnvironment(dir, e2ePort(40));
  await env.up();
});
afterAll(() => cleanup(env, dir));

/** Deploys a lane from a separate process, as a second `lanes deploy` would. */
function deployInChild(lane: string): Promise<unknown> {
  const code = `
    const { readFile } = await import('node:fs/promises');
    const { loadConfigOrThrow } = await import('@ecs-lanes/core');
    const { createLocalEnvironment, firstLocalEnvironment } = await import('@ecs-lanes/local');
    const file = ${JSON.stringify(`${dir}/lanes.yaml`)};
    const config = loadConfigOrThrow(await readFile(file, 'utf8'), file);
    const env = createLocalEnvironment({ config, env: firstLocalEnvironment(config), root: ${JSON.stringify(dir)} });
    await env.deploy({ service: 'orders', env: 'local', lane: ${JSON.stringify(lane)}, branch: 'gray' });
  `;
  return exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO });
}

describe('local target resilience', () => {
  it('runs two concurrent deploys of different lanes (separate processes)', async () => {
    await Promise.all([deployInChild('gray'), deployInChild('blue')]);
    expect(hops(await request(web, 'gray'))).toEqual(['web:base', 'orders:gray', 'inventory:base']);
    expect(hops(await request(web, 'blue'))).toEqual(['web:base', 'orders:blue', 'inventory:base']);
  });

  it("a second deploy of the same lane waits for the lane's lock and says so", async () => {
    const lane = { service: 'orders', env: 'local', lane: 'queue', branch: 'gray' } as const;
    const first = env.deploy(lane);
    await eventually(
      async () => (await lockHolder(laneLockFile(env.paths, 'orders', 'queue'))) !== undefined,
    );
    const events: string[] = [];
    const second = env.deploy(lane, (e) => events.push(`${e.phase}: ${e.message}`));
    await Promise.all([first, second]);
    expect(events[0]).toMatch(
      /^lock: waiting for the lock of lane queue of orders: another lanes command \(pid \d+, since \d{4}-.*\) is deploying or removing it/,
    );
    expect(events.filter((e) => e.startsWith('lock:'))).toHaveLength(1);
    // web's SDK may hold the registry's previous answer for orders (cached 1 s) a moment longer.
    await eventually(async () => hops(await request(web, 'queue'))[1] === 'orders:queue');
    expect(hops(await request(web, 'queue'))).toEqual(['web:base', 'orders:queue', 'inventory:base']);
  });

  it('restarts a crashed lane process with backoff', async () => {
    const before = (await env.runtime()).lanes.find((l) => l.record.service === 'inventory')!.instance!;
    process.kill(-before.pid, 'SIGKILL');
    await eventually(async () => {
      const now = (await env.runtime()).lanes.find((l) => l.record.service === 'inventory')!.instance!;
      return now.healthy && now.pid !== before.pid && now.restarts >= 1;
    });
    expect(hops(await request(web, 'gray'))).toEqual(['web:base', 'orders:gray', 'inventory:base']);
    const [summary] = await env.list({ service: 'inventory' });
    expect(summary).toMatchObject({ state: 'serving', healthy: 1 });
  });

  it('recovers after the supervisor is killed with SIGKILL: every lane comes back as it was', async () => {
    const before = await env.list();
    const { lanes: running } = await env.runtime();
    const supervisor = (await findSupervisor(env.paths, 'local'))!;
    process.kill(supervisor.pid, 'SIGKILL');
    await eventually(() => findSupervisor(env.paths, 'local').then((s) => s === undefined));
    await expect(fetch(web)).rejects.toThrow();
    expect((await env.list()).every((l) => l.state === 'stopped')).toBe(true);

    const after = await env.up();
    expect(after.map((l) => [l.service, l.lane, l.version, l.state])).toEqual(
      before.map((l) => [l.service, l.lane, l.version, 'serving']),
    );
    for (const lane of running) expect(groupAlive(lane.instance!.pid)).toBe(false);
    expect(hops(await request(web, 'blue'))).toEqual(['web:base', 'orders:blue', 'inventory:base']);
    expect(hops(await request(web))).toEqual(['web:base', 'orders:base', 'inventory:base']);
  });

  it('kill -9 of the supervisor during a deploy: the deploy says so, and no instance or copy is left behind', async () => {
    // A lane whose process never passes its health check keeps the deploy waiting while the supervisor is killed.
    const repo = `${dir}/repos/orders`;
    await exec('git', ['checkout', '-q', '-b', 'slow', 'main'], { cwd: repo });
    await writeFile(`${repo}/server.mjs`, "setInterval(() => {}, 1000); console.log('never healthy');\n");
    await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'never healthy'], {
      cwd: repo,
    });
    await exec('git', ['checkout', '-q', 'main'], { cwd: repo });
    const deploying = env.deploy({ service: 'orders', env: 'local', lane: 'slow', branch: 'slow' });
    deploying.catch(() => {});
    let pending: { id: string; pid: number }[] = [];
    await eventually(async () => {
      const state = await new StateStore(env.paths.stateFile, env.paths.stateLock).read();
      pending = Object.values(state.pending ?? {}).filter((p) => p.lane === 'slow' && p.pid > 0);
      return pending.length === 1;
    }, 60_000);
    const supervisor = (await findSupervisor(env.paths, 'local'))!;
    process.kill(supervisor.pid, 'SIGKILL');
    const error = await deploying.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /the supervisor of the local environment "local" exited during the deploy of lane slow of orders; .*run lanes up/,
    );
    expect(groupAlive(pending[0]!.pid)).toBe(false);
    expect(
      existsSync(`${env.paths.worktreesDir}/orders/slow`) &&
        readdirSync(`${env.paths.worktreesDir}/orders/slow`),
    ).toSatisfy((left: false | string[]) => left === false || left.length === 0);
    // lanes up brings the environment back without the lane that never served.
    const after = await env.up();
    expect(after.some((l) => l.lane === 'slow')).toBe(false);
    expect(after.every((l) => l.state === 'serving')).toBe(true);
  });

  it('fails a crashing deploy after 3 crashes, printing restarts as they happen and the lines that hold the error', async () => {
    const repo = `${dir}/repos/orders`;
    await exec('git', ['checkout', '-q', '-b', 'crash', 'main'], { cwd: repo });
    await writeFile(
      `${repo}/server.mjs`,
      "console.log('starting'); console.log('loading config');\nconsole.error('Error: cannot read ORDERS_DB_URL');\nfor (let i = 0; i < 30; i++) console.log('noise', i);\nprocess.exit(1);\n",
    );
    await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'crashes'], {
      cwd: repo,
    });
    await exec('git', ['checkout', '-q', 'main'], { cwd: repo });
    const progress: string[] = [];
    const error = await env
      .deploy({ service: 'orders', env: 'local', lane: 'crash', branch: 'crash' }, (e) =>
        progress.push(`[${e.phase}] ${e.message}`),
      )
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toMatch(
      /orders\/crash exited 3 times before passing a health check \(last: exited with code 1\)/,
    );
    // The line that holds the error, although 30 lines of noise followed it.
    expect(error!.message).toContain('Error: cannot read ORDERS_DB_URL');
    expect(
      progress.filter((p) => p.startsWith('[instance]') && /restarts in \d+ ms/.test(p)).length,
    ).toBeGreaterThanOrEqual(2);
    expect((await env.list()).some((l) => l.lane === 'crash')).toBe(false);
    expect(hops(await request(web, 'crash'))).toEqual(['web:base', 'orders:base', 'inventory:base']);
  });

  it('refuses a port in use with a clear error and leaves running lanes untouched', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(e2ePort(63), '127.0.0.1', () => r()));
    const otherDir = projectDir('port');
    const other = await demoEnvironment(otherDir, e2ePort(60));
    try {
      await expect(other.up()).rejects.toThrow(
        `cannot start the local environment "local": port ${e2ePort(63)} (the gateway of orders) is in use by another process`,
      );
      expect(await findSupervisor(other.paths, 'local')).toBeUndefined();
    } finally {
      blocker.close();
      await cleanup(other, otherDir);
    }
    expect((await env.list()).every((l) => l.state === 'serving')).toBe(true);
    expect(hops(await request(web, 'gray'))).toEqual(['web:base', 'orders:gray', 'inventory:base']);
  });
});
