/**
 * `lanes trace` and the propagation gate of `lanes verify` on the local target, for real: the demo's three
 * services (web -> orders -> inventory) as processes behind their gateways, and a lane of orders built from a
 * fixture that calls inventory outside the request's context (fixtures/orders-drops-lane.mjs).
 */
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderTrace } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoEnvironment, e2ePort, projectDir } from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';

const exec = promisify(execFile);
const dir = projectDir('trace');
let env: LocalEnvironment;
const ref = (service: string, lane: string) => ({ service, lane, env: 'local' });

beforeAll(async () => {
  env = await demoEnvironment(dir, e2ePort(80));
  await env.up();
  // orders/gray (the demo's branch) forwards the lane; orders/leaky drops it; inventory has a leaky lane too.
  const repo = path.join(dir, 'repos', 'orders');
  await exec('git', ['checkout', '-q', '-b', 'leaky', 'main'], { cwd: repo });
  await copyFile(new URL('./fixtures/orders-drops-lane.mjs', import.meta.url), path.join(repo, 'server.mjs'));
  await exec(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'orders: drops the lane'],
    {
      cwd: repo,
    },
  );
  await exec('git', ['checkout', '-q', 'main'], { cwd: repo });
  await env.deploy({ ...ref('orders', 'gray'), branch: 'gray' });
  await env.deploy({ ...ref('orders', 'leaky'), branch: 'leaky' });
  await env.deploy(ref('inventory', 'leaky'));
});
afterAll(() => cleanup(env, dir));

describe('lanes trace on the local target', () => {
  it('shows every hop from the gateway: web falls back, orders stays in gray, inventory falls back', async () => {
    const trace = await env.trace(ref('web', 'gray'));
    expect(trace.ok).toBe(true);
    expect(renderTrace(trace).slice(1)).toEqual([
      '└─ [FALLBACK] web — the lane is not deployed for it; served by base (gateway)',
      '   └─ [OK] orders — lane gray (sdk)',
      '      └─ [FALLBACK] inventory — the lane is not deployed for it; served by base (sdk)',
      '1 OK, 2 FALLBACK, 0 NG: lane gray holds on the way',
    ]);
  });

  it('catches the service that drops the lane and names it', async () => {
    const trace = await env.trace(ref('web', 'leaky'));
    expect(trace.ok).toBe(false);
    const orders = trace.root!.calls[0]!;
    expect(orders).toMatchObject({ service: 'orders', served: 'leaky', mark: 'NG', reported: true });
    expect(orders.detail).toContain(
      'lost the lane: no call to inventory (dependsOn) came back with the trace',
    );
    expect(orders.calls[0]).toMatchObject({ service: 'inventory', reached: false, mark: 'NG' });
    expect(renderTrace(trace).at(-1)).toBe('0 OK, 1 FALLBACK, 2 NG: lane leaky breaks at orders, inventory');
  });

  it('the propagation gate of lanes verify passes a lane that holds and fails the one that breaks, with the tree', async () => {
    const good = await env.verify(ref('orders', 'gray'));
    expect(good.map((c) => c.status)).toEqual(['OK', 'OK', 'OK', 'OK']);
    const bad = await env.verify(ref('orders', 'leaky'));
    expect(bad.map((c) => c.status)).toEqual(['OK', 'OK', 'OK', 'NG']);
    expect(bad[3]!.detail).toMatch(/the lane breaks at orders, inventory/);
    expect(bad[3]!.trace?.root?.service).toBe('orders');
    const baseline = await env.verify(ref('web', 'base'));
    expect(baseline.at(-1)).toMatchObject({ status: 'SKIP' });
  });
});
