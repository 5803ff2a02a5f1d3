/**
 * Lanes that clean up after themselves, on the local target for real (real processes, gateway, state file),
 * with a fake clock for expiry: owner and expiry recorded by deploy, `extend`, the policy and the rule budget
 * refused up front with nothing changed, and gc removing exactly the expired lanes.
 */
import { readFile } from 'node:fs/promises';
import { collectGarbage, type LanesConfig, PolicyError } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLocalEnvironment, prepareDemoProject } from './demo.js';
import { cleanup, e2ePort, exampleConfig, hops, projectDir, request } from './e2e-helpers.js';
import { createLocalEnvironment, type LocalEnvironment } from './environment.js';

const dir = projectDir('gc');
const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const HOUR = 3_600_000;
let clock = T0;
let config: LanesConfig;
let env: LocalEnvironment;
const ref = (service: string, lane: string) => ({ service, lane, env: 'local' });

/** The demo config with `policy` merged into its local environment. */
function withPolicy(base: LanesConfig, policy: Record<string, unknown>): LanesConfig {
  return {
    ...base,
    environments: base.environments.map((e) =>
      e.target === 'local' ? { ...e, policy: { ...e.policy, ...policy } } : e,
    ),
  };
}

function open(cfg: LanesConfig): LocalEnvironment {
  return createLocalEnvironment({
    config: cfg,
    env: firstLocalEnvironment(cfg),
    root: dir,
    supervisor: { drainMs: 200 },
    now: () => clock,
    owner: 'Ana Dev <ana@example.com>',
  });
}

beforeAll(async () => {
  const example = await exampleConfig();
  const demo = await prepareDemoProject({
    config: example.config,
    root: example.root,
    dir,
    basePort: e2ePort(80),
    service: 'orders',
    lane: 'gray',
  });
  config = withPolicy(demo, { maxLanesPerService: 2, maxTtl: '7d' });
  env = open(config);
  await env.up();
  await env.deploy({ ...ref('orders', 'gray'), branch: 'gray', ttl: '1h' });
  await env.deploy({ ...ref('orders', 'blue'), ttl: '3d' });
}, 120_000);
afterAll(() => cleanup(env, dir));

const state = () => readFile(env.paths.stateFile, 'utf8');

describe('every lane knows who made it and until when', () => {
  it('records owner, deploy time and expiry; the baseline never expires', async () => {
    const lanes = await env.list({ service: 'orders' });
    expect(lanes.map((l) => [l.lane, l.owner, l.expiresAt])).toEqual([
      ['base', 'Ana Dev <ana@example.com>', undefined],
      ['blue', 'Ana Dev <ana@example.com>', '2026-12-04T12:00:00.000Z'],
      ['gray', 'Ana Dev <ana@example.com>', '2026-12-01T13:00:00.000Z'],
    ]);
    expect(lanes.every((l) => typeof l.deployedAt === 'string')).toBe(true);
  });

  it('shows no cost for local lanes and says why', async () => {
    const [lane] = await env.list({ service: 'orders' });
    expect(lane!.cost).toBeUndefined();
    expect(lane!.costNote).toMatch(/local lanes cost nothing on AWS; set mirrors:/);
  });

  it('extend sets a new expiry within the maximum, and refuses beyond it with nothing changed', async () => {
    const before = await state();
    await expect(env.extend({ ...ref('orders', 'blue'), ttl: '8d' })).rejects.toThrow(
      /--ttl 8d is longer than the maximum TTL 7d \(environments\[0\]\.policy\.maxTtl\)/,
    );
    await expect(env.extend(ref('orders', 'base'))).rejects.toThrow(/baseline of orders: it never expires/);
    expect(await state()).toBe(before);
    clock = T0 + HOUR / 2;
    const result = await env.extend({ ...ref('orders', 'blue'), ttl: '2d' });
    expect(result).toMatchObject({
      dryRun: false,
      previousExpiresAt: '2026-12-04T12:00:00.000Z',
      expiresAt: '2026-12-03T12:30:00.000Z',
    });
    expect((await env.list()).find((l) => l.lane === 'blue')?.expiresAt).toBe('2026-12-03T12:30:00.000Z');
  });
});

describe('the policy and the rule budget are checked before anything changes', () => {
  it('refuses a third lane of a service when the policy allows two', async () => {
    const before = await state();
    const error = await env.deploy({ ...ref('orders', 'green'), branch: 'gray' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(
      /service orders already has 2 lanes besides the baseline, the most environments\[0\]\.policy\.maxLanesPerService allows \(2\).*nothing was changed/,
    );
    expect(await state()).toBe(before);
  });

  it('refuses a lane whose rule would not fit under the listener-rule quota', async () => {
    const tight = open(withPolicy(config, { maxLanesPerService: undefined, listenerRuleQuota: 5 }));
    const before = await state();
    await expect(tight.deploy({ ...ref('orders', 'green'), branch: 'gray', dryRun: true })).rejects.toThrow(
      /lane green needs 2 listener rules on the ALB of orders, which uses 4 of its 5 rules/,
    );
    expect(await state()).toBe(before);
    const [budget] = await tight.budgets({ service: 'orders' });
    // orders deploys blue/green: each lane takes two rules and two target groups; the default group is one more.
    expect(budget).toMatchObject({ rules: { used: 4, quota: 5 }, targetGroups: { used: 5, quota: 100 } });
  });

  it('refuses a TTL beyond the maximum', async () => {
    await expect(env.deploy({ ...ref('orders', 'gray'), branch: 'gray', ttl: '30d' })).rejects.toThrow(
      /--ttl 30d is longer than the maximum TTL 7d/,
    );
  });
});

describe('lanes gc', () => {
  it('in a dry run names the expired lane and changes nothing', async () => {
    clock = T0 + 2 * HOUR;
    const before = await state();
    const result = await collectGarbage(env, { env: 'local', now: clock, dryRun: true });
    expect(result.removed.map((r) => `${r.service}/${r.lane}`)).toEqual(['orders/gray']);
    expect(await state()).toBe(before);
    expect(hops(await request(`http://127.0.0.1:${e2ePort(80 + 2)}/`, 'gray'))[1]).toBe('orders:gray');
  });

  it('removes the expired lane only; requests in it fall back to the baseline', async () => {
    const webUrl = (await env.list({ service: 'web' }))[0]!.url!;
    const result = await collectGarbage(env, { env: 'local', now: clock });
    expect(result.removed.map((r) => r.lane)).toEqual(['gray']);
    expect(result.failed).toEqual([]);
    expect(result.kept.map((k) => `${k.service}/${k.lane}`).sort()).toEqual([
      'inventory/base',
      'orders/base',
      'orders/blue',
      'web/base',
    ]);
    expect((await env.list({ service: 'orders' })).map((l) => `${l.lane}:${l.state}`)).toEqual([
      'base:serving',
      'blue:serving',
    ]);
    expect(hops(await request(`${webUrl}/`, 'gray'))).toEqual(['web:base', 'orders:base', 'inventory:base']);
  });

  it('leaves a lane extended since it expired', async () => {
    clock = T0 + 100 * HOUR; // blue expired at T0 + 48.5h
    await env.extend({ ...ref('orders', 'blue'), ttl: '1h' });
    const result = await collectGarbage(env, { env: 'local', now: clock });
    expect(result.removed).toEqual([]);
    expect((await env.list({ service: 'orders' })).map((l) => l.lane)).toEqual(['base', 'blue']);
  });
});
