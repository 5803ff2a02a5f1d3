/**
 * Lanes that clean up after themselves, on AWS against the fake: owner and expiry in the lane stack's tags,
 * `extend`, gc, the policy and the ALB's rule budget refused before anything changes, and the fake's own ELB
 * quotas when a deploy gets past the check.
 */
import { collectGarbage, LIFECYCLE_TAGS, laneNames, PolicyError, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { ciDeploy } from './ci.js';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from './fake/index.js';
import { removeBlockedOf } from './lane-lifecycle.js';
import { createAwsTarget } from './target.js';

const HOUR = 3_600_000;
const ref = (lane: string, service = 'orders') => ({ service, env: 'dev', lane });

/** The fixture config with `policy` lines added to its environment. */
function withPolicy(lines: string): string {
  return FIXTURE_CONFIG.replace(
    '    publicSubnets: [subnet-0a1b2c3d4e5f60101, subnet-0a1b2c3d4e5f60102]\n',
    `    publicSubnets: [subnet-0a1b2c3d4e5f60101, subnet-0a1b2c3d4e5f60102]\n    policy:\n${lines
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}\n`,
  );
}

async function world(options: Parameters<typeof createFakeWorld>[0] = {}): Promise<FakeWorld> {
  const w = createFakeWorld(options);
  await w.bootstrap('orders', 'web');
  return w;
}

const tagsOf = (w: FakeWorld, lane: string) => w.fake.stack(laneNames('orders', 'dev', lane).stack)?.tags;

describe('every lane knows who made it and until when (stack tags)', () => {
  it('records the caller as owner, the deploy time and the expiry; the baseline never expires', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    const t0 = w.clock.now();
    await target.deploy({ ...ref('base'), branch: 'main' });
    await target.deploy({ ...ref('gray'), branch: 'gray', ttl: '12h' });
    const gray = tagsOf(w, 'gray')!;
    expect(gray[LIFECYCLE_TAGS.owner]).toBe('arn:aws:sts::111122223333:assumed-role/deployer/fake');
    const expiresAt = Date.parse(gray[LIFECYCLE_TAGS.expiresAt]!);
    expect(expiresAt - Date.parse(gray[LIFECYCLE_TAGS.deployedAt]!)).toBe(12 * HOUR);
    expect(expiresAt).toBeGreaterThan(t0 + 12 * HOUR - 1);
    expect(tagsOf(w, 'base')![LIFECYCLE_TAGS.expiresAt]).toBeUndefined();

    const listed = await target.list({ service: 'orders' });
    expect(listed.map((l) => [l.lane, l.owner !== undefined, l.expiresAt])).toEqual([
      ['base', true, undefined],
      ['gray', true, gray[LIFECYCLE_TAGS.expiresAt]],
    ]);
  });

  it('carries the cost per lane as numbers: 2 tasks × (0.25 vCPU, 0.5 GiB) at the us-east-1 table price', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('gray'), branch: 'gray' });
    const [gray] = await target.list({ service: 'orders' });
    // 2 × (0.25 × 0.04048 + 0.5 × 0.004445) × 24
    expect(gray!.cost).toMatchObject({
      perDay: 0.5924,
      tasks: 2,
      vcpu: 0.25,
      memoryGiB: 0.5,
      region: 'us-east-1',
    });
  });

  it('a redeploy moves the expiry and keeps owner and creation time; extend sets it; a rollback keeps it', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('gray'), branch: 'a', ttl: '1h' });
    const first = { ...tagsOf(w, 'gray')! };
    await w.clock.sleep(2 * HOUR);
    await target.deploy({ ...ref('gray'), branch: 'b', ttl: '1h' });
    const second = { ...tagsOf(w, 'gray')! };
    expect(second[LIFECYCLE_TAGS.createdAt]).toBe(first[LIFECYCLE_TAGS.createdAt]);
    expect(second[LIFECYCLE_TAGS.owner]).toBe(first[LIFECYCLE_TAGS.owner]);
    expect(Date.parse(second[LIFECYCLE_TAGS.expiresAt]!)).toBeGreaterThan(
      Date.parse(first[LIFECYCLE_TAGS.expiresAt]!),
    );

    const extended = await target.extend({ ...ref('gray'), ttl: '5d' });
    expect(extended.previousExpiresAt).toBe(second[LIFECYCLE_TAGS.expiresAt]);
    expect(tagsOf(w, 'gray')![LIFECYCLE_TAGS.expiresAt]).toBe(extended.expiresAt);
    expect(Date.parse(extended.expiresAt) - w.clock.now()).toBeGreaterThan(5 * 24 * HOUR - 60_000);
    // Only the tags changed: the image and parameters are the same.
    expect(tagsOf(w, 'gray')![`ecs-lanes:image-tag`]).toBe(second['ecs-lanes:image-tag']);

    await target.rollback(ref('gray'));
    expect(tagsOf(w, 'gray')![LIFECYCLE_TAGS.expiresAt]).toBe(extended.expiresAt);
  });

  it('refuses an extend beyond the maximum TTL, and of the baseline, changing nothing', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('base'), branch: 'main' });
    await target.deploy({ ...ref('gray'), branch: 'gray' });
    const before = JSON.stringify(w.fake.snapshot());
    await expect(target.extend({ ...ref('gray'), ttl: '15d' })).rejects.toThrow(
      /--ttl 15d is longer than the maximum TTL 14d \(environments\[0\]\.policy\.maxTtl\)/,
    );
    await expect(target.extend(ref('base'))).rejects.toThrow(/baseline of orders in dev: it never expires/);
    expect(JSON.stringify(w.fake.snapshot())).toBe(before);
  });
});

describe('lanes gc on AWS', () => {
  it('deletes the expired lane stacks only, and in a dry run nothing', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('base'), branch: 'main' });
    await target.deploy({ ...ref('gray'), branch: 'gray', ttl: '1h' });
    await target.deploy({ ...ref('blue'), branch: 'blue', ttl: '3d' });
    await target.deploy({ ...ref('feat', 'web'), branch: 'feat', ttl: '2h' });
    await w.clock.sleep(3 * HOUR);

    const before = JSON.stringify(w.fake.snapshot());
    const dry = await collectGarbage(target, { env: 'dev', now: w.clock.now(), dryRun: true });
    expect(dry.removed.map((r) => `${r.service}/${r.lane}`)).toEqual(['orders/gray', 'web/feat']);
    expect(JSON.stringify(w.fake.snapshot())).toBe(before);

    const events: string[] = [];
    const result = await collectGarbage(target, {
      env: 'dev',
      now: w.clock.now(),
      progress: (e) => events.push(e.message),
    });
    expect(result.removed.map((r) => `${r.service}/${r.lane}`)).toEqual(['orders/gray', 'web/feat']);
    expect(result.failed).toEqual([]);
    expect(w.fake.stack(laneNames('orders', 'dev', 'gray').stack)).toBeUndefined();
    expect(w.fake.stack(laneNames('web', 'dev', 'feat').stack)).toBeUndefined();
    expect((await target.list()).map((l) => `${l.service}/${l.lane}`)).toEqual([
      'orders/base',
      'orders/blue',
    ]);
    expect(events[0]).toBe('4 lanes in dev: 2 expired to remove, 0 expired but skipped, 2 kept');
  });

  it('spares a lane extended after gc listed it (the guard reads the tags again)', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('gray'), branch: 'gray', ttl: '1h' });
    await w.clock.sleep(2 * HOUR);
    const listed = await target.list();
    await target.extend({ ...ref('gray'), ttl: '1d' });
    const guarded = target.remove({ ...ref('gray'), ifExpiredBy: new Date(w.clock.now()).toISOString() });
    await expect(guarded).rejects.toThrow(/not expired any more.*nothing was removed/);
    expect(listed[0]!.lane).toBe('gray');
    expect(w.fake.stack(laneNames('orders', 'dev', 'gray').stack)?.status).toBe('UPDATE_COMPLETE');
  });

  it('leaves stacks in a state CloudFormation cannot delete cleanly from, and says why', () => {
    expect(removeBlockedOf('app-orders-dev-gray', 'UPDATE_COMPLETE')).toBeUndefined();
    expect(removeBlockedOf('app-orders-dev-gray', 'UPDATE_ROLLBACK_COMPLETE')).toBeUndefined();
    expect(removeBlockedOf('app-orders-dev-gray', 'UPDATE_IN_PROGRESS')).toMatch(/an operation is under way/);
    expect(removeBlockedOf('app-orders-dev-gray', 'UPDATE_ROLLBACK_FAILED')).toMatch(
      /is UPDATE_ROLLBACK_FAILED: deleting it now could leave resources behind/,
    );
    expect(removeBlockedOf('app-orders-dev-gray', 'DELETE_FAILED')).toMatch(/lanes rm/);
  });
});

describe('the policy and the rule budget, before anything changes', () => {
  it('refuses a lane beyond maxLanesPerService: no pipeline started, no stack', async () => {
    const w = await world({ config: withPolicy('maxLanesPerService: 1') });
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('gray'), branch: 'gray' });
    const calls = w.fake.calls.length;
    const error = await target.deploy({ ...ref('blue'), branch: 'blue' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(
      /service orders already has 1 lanes besides the baseline, the most environments\[0\]\.policy\.maxLanesPerService allows \(1\).*nothing was changed/,
    );
    expect(w.fake.calls.slice(calls)).not.toContain('StartPipelineExecution');
    expect(w.fake.stack(laneNames('orders', 'dev', 'blue').stack)).toBeUndefined();
  });

  it('refuses a lane name no pattern allows, also in a dry run', async () => {
    const w = await world({ config: withPolicy('lanePatterns: ["feat-*"]') });
    const target = createAwsTarget(w.options);
    await expect(target.deploy({ ...ref('gray'), branch: 'gray', dryRun: true })).rejects.toThrow(
      /lane name "gray" matches none of the allowed patterns "feat-\*"/,
    );
  });

  it('refuses up front a lane whose rule would exceed the listener-rule quota; the budget shows why', async () => {
    const w = await world({ config: withPolicy('listenerRuleQuota: 2') });
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('a'), branch: 'a' });
    await target.deploy({ ...ref('b'), branch: 'b' });
    expect(await target.budgets({ service: 'orders' })).toEqual([
      expect.objectContaining({ rules: { used: 2, quota: 2 }, targetGroups: { used: 3, quota: 100 } }),
    ]);
    const calls = w.fake.calls.length;
    await expect(target.deploy({ ...ref('c'), branch: 'c' })).rejects.toThrow(
      /lane c needs 1 listener rule on the ALB of orders, which uses 2 of its 2 rules/,
    );
    expect(w.fake.calls.slice(calls)).not.toContain('StartPipelineExecution');
    // `lanes ci deploy` (inside the pipeline) refuses the same way before its change set.
    await expect(
      ciDeploy(w.context(), { service: 'orders', lane: 'c', branch: 'c', imageUri: 'repo/orders:c' }),
    ).rejects.toThrow(UserError);
    expect(w.fake.stack(laneNames('orders', 'dev', 'c').stack)).toBeUndefined();
  });
});

describe('the fake enforces the ELB quotas itself', () => {
  it('fails the rule with TooManyRules when a deploy gets past a too-generous policy', async () => {
    const w = await world({ elbQuotas: { rulesPerAlb: 1 } });
    const target = createAwsTarget(w.options);
    await target.deploy({ ...ref('a'), branch: 'a' });
    await expect(
      ciDeploy(w.context(), { service: 'orders', lane: 'b', branch: 'b', imageUri: 'repo/orders:b' }),
    ).rejects.toThrow(/rules per load balancer/);
    expect(w.fake.stack(laneNames('orders', 'dev', 'b').stack)?.status).toBe('ROLLBACK_COMPLETE');
    expect(w.fake.listenerRules()).toHaveLength(1);
  });

  it("counts a rolling lane's own target group while its rule still forwards to it with weight 0", async () => {
    // The default group and one lane group fit; a second lane's group is the third distinct one. Lane a's rule
    // forwards 100 to the baseline and 0 to its own group until its service is stable: both groups are in use.
    const w = await world({ elbQuotas: { targetGroupsPerAlb: 2 } });
    const deploy = (lane: string) =>
      ciDeploy(w.context(), { service: 'orders', lane, branch: lane, imageUri: `repo/orders:${lane}` });
    const outcomes = await Promise.allSettled([deploy('a'), deploy('b')]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      /unique target groups per load balancer/,
    );
    expect(w.fake.listenerRules()).toHaveLength(1);
  });
});
