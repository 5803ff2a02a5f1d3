/**
 * The AWS lane target against the in-memory fake: deploys through the app pipeline (CodePipeline V2, PARALLEL),
 * concurrency, failures with circuit-breaker rollback, removal order, rollback, and bad input.
 */
import {
  albRuleMatches,
  LANE_TAGS,
  laneNames,
  laneRuleConditions,
  UserError,
  withLane,
} from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld, type FakeWorld } from './fake/index.js';
import { createAwsTarget } from './target.js';

async function world(...services: string[]): Promise<FakeWorld> {
  const w = createFakeWorld({ priorityRange: { min: 1, max: 30 } });
  await w.bootstrap(...(services.length ? services : ['orders']));
  return w;
}

/** Which lane answers a request with these headers, through the fake ALB. */
async function answeredBy(w: FakeWorld, url: string, lane?: string): Promise<string | undefined> {
  const res = await w.fake.fetch(`${url}/`, {
    headers: lane ? { tracestate: withLane(undefined, lane) } : {},
  });
  return res.headers.get('x-lanes-lane') ?? undefined;
}

async function expectUserError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).not.toContain('\n');
}

describe('lanes deploy on AWS (through the app pipeline)', () => {
  it('deploys twenty lanes of one service concurrently: all succeed, priorities distinct, each routable by its header', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    const lanes = Array.from({ length: 20 }, (_, i) => `lane${i}`);
    const results = await Promise.all(
      lanes.map((lane) => target.deploy({ service: 'orders', env: 'dev', lane, branch: `feat-${lane}` })),
    );
    expect(results.every((r) => r.version && r.executionId)).toBe(true);

    const rules = w.fake.listenerRules();
    expect(rules).toHaveLength(20);
    expect(new Set(rules.map((r) => r.priority)).size).toBe(20);
    // The narrow range (1..30) forces collisions between concurrent deploys: some lost their slot and retried.
    const retried = lanes.filter((lane) =>
      w.fake
        .stackEvents(laneNames('orders', 'dev', lane).stack)
        .some((e) => /Priority '\d+' is currently in use/.test(e.ResourceStatusReason ?? '')),
    );
    expect(retried.length).toBeGreaterThan(0);

    for (const lane of lanes) {
      // Core's model of ALB evaluation over the fake's rules, in priority order: the first match is the lane's.
      const headers = { tracestate: `vendor=x,${withLane(undefined, lane)}` };
      const first = rules.find((r) => albRuleMatches(r.conditions, headers));
      expect(first?.targetGroupName).toBe(laneNames('orders', 'dev', lane).targetGroup);
      expect(first?.conditions).toEqual(laneRuleConditions(lane));
      expect(await answeredBy(w, results[0]!.url!, lane)).toBe(lane);
    }
    const listed = await target.list({ service: 'orders' });
    expect(listed.map((l) => l.lane).sort()).toEqual([...lanes].sort());
    expect(listed.every((l) => l.state === 'serving' && l.healthy === 2 && l.running === 2)).toBe(true);
    // Every lane's Verify stage ran (through ciVerify) and passed.
    for (const r of results) expect(w.fake.execution(r.executionId!)?.status).toBe('Succeeded');
  }, 120_000);

  it('serializes two deploys of the same lane: both complete, in order, and the later image wins', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('first', 'aaaaaaa');
    w.commit('second', 'bbbbbbb');
    const first = target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'first' });
    await w.clock.sleep(1);
    const second = target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'second' });
    const [a, b] = await Promise.all([first, second]);
    expect(w.fake.execution(a.executionId!)?.status).toBe('Succeeded');
    expect(w.fake.execution(b.executionId!)?.status).toBe('Succeeded');
    const stack = w.fake.stack(laneNames('orders', 'dev', 'gray').stack)!;
    expect(stack.status).toBe('UPDATE_COMPLETE');
    expect(stack.tags[LANE_TAGS.imageTag]).toBe('bbbbbbb');
    expect(stack.tags['ecs-lanes:image-history']).toBe('bbbbbbb aaaaaaa');
    // Stack operations never overlapped: create completed, the lane traffic shift (an update of the rule's
    // weights) completed, then the second deploy's update ran and completed.
    const statuses = w.fake
      .stackEvents(laneNames('orders', 'dev', 'gray').stack)
      .filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack')
      .map((e) => e.ResourceStatus)
      .filter((s) => /^(CREATE|UPDATE)_(IN_PROGRESS|COMPLETE)$/.test(s));
    expect(statuses).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
    expect(stack.parameters.LiveTargetGroup).toBe('lane');
    expect(await answeredBy(w, a.url!, 'gray')).toBe('gray');
    const res = await w.fake.fetch(`${a.url}/`, { headers: { tracestate: withLane(undefined, 'gray') } });
    expect(JSON.parse(await res.text()).version).toBe('bbbbbbb');
  });

  it('a failed deploy (circuit breaker) leaves the previous version serving, and ls says so', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('good', 'good001');
    w.commit('bad', 'bad0001');
    w.fake.badImages.add('bad0001');
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'good' });
    const progress: string[] = [];
    await expectUserError(
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'bad' }, (e) =>
        progress.push(e.message),
      ),
      /deploy of lane gray of orders failed at stage Deploy: .*Circuit Breaker.*previous version \(good001\) still serves/,
    );
    expect(progress.some((m) => /Deploy: Failed/.test(m))).toBe(true);
    const [gray] = await target.list({ service: 'orders' });
    expect(gray).toMatchObject({ lane: 'gray', state: 'failed', version: 'good001', healthy: 2 });
    expect(gray!.detail).toMatch(/UPDATE_ROLLBACK_COMPLETE: last deploy failed, previous version serving/);
    const res = await w.fake.fetch(`${gray!.url}/`, { headers: { tracestate: withLane(undefined, 'gray') } });
    expect(JSON.parse(await res.text())).toMatchObject({ lane: 'gray', version: 'good001' });
    const status = await target.status({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(Object.fromEntries(status.details).stack).toMatch(/UPDATE_ROLLBACK_COMPLETE/);
    expect(Object.fromEntries(status.details)['last run']).toMatch(/Failed \(branch bad\)/);
    // The next good deploy goes through.
    w.commit('fixed', 'good002');
    const fixed = await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'fixed' });
    expect(fixed.version).toBe('good002');
  });

  it('a failed first deploy leaves ROLLBACK_COMPLETE; the next deploy deletes and recreates the stack', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('bad', 'bad0001');
    w.fake.badImages.add('bad0001');
    await expectUserError(
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'bad' }),
      /failed at stage Deploy/,
    );
    const [gray] = await target.list();
    expect(gray).toMatchObject({ state: 'failed', healthy: 0 });
    expect(gray!.detail).toMatch(/ROLLBACK_COMPLETE: first deploy failed, nothing serving/);
    w.commit('good', 'good001');
    const progress: string[] = [];
    const ok = await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'good' }, (e) =>
      progress.push(e.message),
    );
    expect(ok.version).toBe('good001');
    // Created again, then its traffic shifted from the baseline (an update).
    expect(w.fake.stack(laneNames('orders', 'dev', 'gray').stack)?.status).toBe('UPDATE_COMPLETE');
  });

  it('--no-wait returns the execution id at once', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    const result = await target.deploy({
      service: 'orders',
      env: 'dev',
      lane: 'gray',
      branch: 'main',
      wait: false,
    });
    expect(result.executionId).toBeDefined();
    expect(result.version).toBeUndefined();
    expect(w.fake.execution(result.executionId!)?.status).toBe('InProgress');
    // ttl (the environment's default without --ttl) and owner (the caller) travel to lanes ci deploy.
    expect(w.fake.execution(result.executionId!)?.variables).toEqual({
      lane: 'gray',
      branch: 'main',
      ttl: '3d',
      owner: 'arn:aws:sts::111122223333:assumed-role/deployer/fake',
      commit: 'tip',
    });
    await w.fake.settle();
    expect(w.fake.execution(result.executionId!)?.status).toBe('Succeeded');
  });

  it('a dry run says what would happen and changes nothing', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    const before = w.fake.snapshot();
    const result = await target.deploy({
      service: 'orders',
      env: 'dev',
      lane: 'gray',
      branch: 'main',
      dryRun: true,
    });
    expect(result.dryRun).toBe(true);
    expect(result.actions[0]).toMatch(/start pipeline orders-dev \(PARALLEL\) with lane=gray branch=main/);
    expect(result.actions[1]).toBe('create stack app-orders--dev-gray');
    expect(result.actions[2]).toMatch(/listener rule priority \d+ \(new\)/);
    expect(w.fake.snapshot()).toEqual(before);
  });
});

describe('lanes rm on AWS', () => {
  it('shifts the lane to the baseline before its service drains, removes the rule before the target group; other lanes keep serving', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    const [base] = await Promise.all([
      target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' }),
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'gray' }),
      target.deploy({ service: 'orders', env: 'dev', lane: 'blue', branch: 'blue' }),
    ]);
    const url = base.url!;
    expect(await answeredBy(w, url, 'gray')).toBe('gray');
    const mark = w.fake.effects.length;
    const result = await target.remove({ service: 'orders', env: 'dev', lane: 'gray' });
    const effects = w.fake.effects.slice(mark);
    const at = (what: string, name?: RegExp) =>
      effects.findIndex((e) => e.what === what && (!name || name.test(e.name)));
    // The rule first sends gray's requests to the baseline's default target group, then the service drains.
    const shift = at('modify-rule', /^gray@\d+:orders-dev-default-tg$/);
    expect(shift).toBeGreaterThanOrEqual(0);
    expect(shift).toBeLessThan(at('delete-service'));
    expect(at('delete-rule')).toBeLessThan(at('delete-tg'));
    expect(result.actions[0]).toBe('shift lane traffic of gray to the baseline (LiveTargetGroup=default)');
    const order = result.actions.map((a) => a.replace(/^deleted (\w+).*/, '$1'));
    expect(order.indexOf('LaneRule')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('Service')).toBeLessThan(order.indexOf('LaneRule'));
    expect(order.indexOf('LaneRule')).toBeLessThan(order.indexOf('LaneTargetGroup'));
    expect(result.actions.at(-1)).toBe('deleted stack app-orders--dev-gray');
    // Other lanes serve; the removed lane's requests fall back to the baseline.
    expect(await answeredBy(w, url, 'blue')).toBe('blue');
    expect(await answeredBy(w, url, 'gray')).toBe('base');
    expect(await answeredBy(w, url)).toBe('base');
    expect((await target.list()).map((l) => l.lane)).toEqual(['base', 'blue']);
  });

  it('refuses the baseline without force; --dry-run lists the deletion order and changes nothing', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'main' });
    const before = w.fake.snapshot();
    await expectUserError(
      target.remove({ service: 'orders', env: 'dev', lane: 'base' }),
      /baseline.*pass --force/,
    );
    const plan = await target.remove({ service: 'orders', env: 'dev', lane: 'gray', dryRun: true });
    expect(plan.actions[0]).toBe('shift lane traffic of gray to the baseline (LiveTargetGroup=default)');
    expect(plan.actions[1]).toBe('delete stack app-orders--dev-gray');
    expect(w.fake.snapshot()).toEqual(before);
    const forced = await target.remove({ service: 'orders', env: 'dev', lane: 'base', force: true });
    expect(forced.actions.at(-1)).toBe('deleted stack app-orders--dev-base');
  });
});

describe('lanes rollback on AWS', () => {
  it('redeploys the previous image tag, or the one named, from the lane stack history', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    w.commit('v2', 'v200000');
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'v1' });
    const v2 = await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'v2' });
    const version = async () =>
      JSON.parse(
        await (
          await w.fake.fetch(`${v2.url}/`, { headers: { tracestate: withLane(undefined, 'gray') } })
        ).text(),
      ).version;
    expect(await version()).toBe('v200000');
    const dry = await target.rollback({ service: 'orders', env: 'dev', lane: 'gray', dryRun: true });
    expect(dry.actions[0]).toBe('roll back gray from v200000 to v100000');
    expect(await version()).toBe('v200000');
    const back = await target.rollback({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(back.version).toBe('v100000');
    expect(await version()).toBe('v100000');
    await target.rollback({ service: 'orders', env: 'dev', lane: 'gray', to: 'v200000' });
    expect(await version()).toBe('v200000');
    const before = w.fake.snapshot();
    await expectUserError(
      target.rollback({ service: 'orders', env: 'dev', lane: 'gray', to: 'nope123' }),
      /image tag nope123 never ran in lane gray of orders; known tags, newest first: v200000, v100000/,
    );
    expect(w.fake.snapshot()).toEqual(before);
  });
});

describe('lanes status and verify on AWS', () => {
  it('reports the stack, deployment, targets, Cloud Map, alarms and the last pipeline run', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('main', 'abc1234');
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'main' });
    const status = await target.status({ service: 'orders', env: 'dev', lane: 'gray' });
    const details = Object.fromEntries(status.details);
    expect(details.stack).toMatch(/^app-orders--dev-gray UPDATE_COMPLETE/);
    expect(details.deployment).toMatch(/PRIMARY COMPLETED orders-gray-dev-task:1 running 2\/2/);
    expect(details.targets).toBe('2 healthy of 2 (healthy 2)');
    expect(details['cloud map']).toBe('2 instances registered');
    expect(details.alarms).toMatch(/OK/);
    expect(details['last run']).toMatch(/Succeeded \(branch main\)/);
    expect(details.history).toBe('abc1234');
    const checks = await target.verify({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(checks.map((c) => c.status)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(checks[3]!.detail).toMatch(/answered by lane gray/);
    // The propagation gate: orders calls nothing, so its one hop stays in gray.
    expect(checks[4]).toMatchObject({ name: 'propagation: lane gray holds at every hop along dependsOn' });
    expect(checks[4]!.trace?.root).toMatchObject({
      service: 'orders',
      served: 'gray',
      by: 'alb',
      mark: 'OK',
    });
  });

  it('verify says NG when the lane has no healthy targets and its requests reach another lane', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });
    w.commit('bad', 'bad0001');
    w.fake.badImages.add('bad0001');
    await expectUserError(
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'bad' }),
      /failed/,
    );
    const checks = await target.verify({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(checks.map((c) => c.status)).toEqual(['NG', 'NG', 'OK', 'NG', 'SKIP']);
    expect(checks[3]!.detail).toMatch(/answered by lane base/);
    expect(checks[4]!.detail).toBe('an earlier check did not pass');
  });
});

describe('bad input on AWS: one clear line, nothing changed', () => {
  const cases: [string, (t: ReturnType<typeof createAwsTarget>) => Promise<unknown>, RegExp][] = [
    [
      'unknown service',
      (t) => t.deploy({ service: 'nope', env: 'dev', lane: 'gray' }),
      /unknown service "nope"; known services: orders, web/,
    ],
    [
      'invalid lane name',
      (t) => t.deploy({ service: 'orders', env: 'dev', lane: 'Gray!' }),
      /invalid lane name "Gray!"/,
    ],
    [
      'status of a lane that does not exist',
      (t) => t.status({ service: 'orders', env: 'dev', lane: 'ghost' }),
      /lane ghost of orders does not exist in dev .*lanes ls --service orders --env dev/,
    ],
    [
      'verify of a lane that does not exist',
      (t) => t.verify({ service: 'orders', env: 'dev', lane: 'ghost' }),
      /lane ghost of orders does not exist/,
    ],
    [
      'rollback of a lane that does not exist',
      (t) => t.rollback({ service: 'orders', env: 'dev', lane: 'ghost' }),
      /lane ghost of orders does not exist/,
    ],
    [
      'rm of a lane that does not exist',
      (t) => t.remove({ service: 'orders', env: 'dev', lane: 'ghost' }),
      /lane ghost of orders does not exist/,
    ],
    [
      'deploy of a service that is not bootstrapped',
      (t) => t.deploy({ service: 'web', env: 'dev', lane: 'gray' }),
      /pipeline web-dev does not exist; create it with: lanes service bootstrap web --env dev/,
    ],
    [
      'rollback with no earlier tag',
      (t) => t.rollback({ service: 'orders', env: 'dev', lane: 'gray' }),
      /has no earlier image tag to roll back to/,
    ],
  ];
  it.each(cases)('%s', async (_name, act, message) => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'main' });
    const before = w.fake.snapshot();
    await expectUserError(act(target), message);
    expect(w.fake.snapshot()).toEqual(before);
  });

  it('credentials of another account', async () => {
    const w = await world();
    const target = createAwsTarget({ ...w.options, env: { ...w.env, account: '999999999999' } });
    const before = w.fake.snapshot();
    await expectUserError(
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray' }),
      /credentials are for account 111122223333, but environment dev is in account 999999999999; use --profile/,
    );
    expect(w.fake.snapshot()).toEqual(before);
  });

  it('throttling: retried with backoff when it passes, one clear line when it persists', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.fake.throttle('DescribeStacks', 3);
    expect(await target.list()).toEqual([]);
    const before = w.fake.snapshot();
    w.fake.throttle('StartPipelineExecution', 10_000);
    await expectUserError(
      target.deploy({ service: 'orders', env: 'dev', lane: 'gray' }),
      /AWS throttled the requests while deploying lane gray of orders \(Rate exceeded\) even after retrying with backoff; wait a minute/,
    );
    expect(w.fake.snapshot()).toEqual(before);
  });

  it('missing credentials (a profile that does not exist)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-aws-'));
    writeFileSync(path.join(dir, 'config'), '[default]\nregion = us-east-1\n');
    writeFileSync(path.join(dir, 'credentials'), '');
    const saved = { ...process.env };
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const w = createFakeWorld();
      const { clients: _ignored, ...real } = w.options;
      const target = createAwsTarget({ ...real, profile: 'nope' });
      await expectUserError(
        target.list(),
        /no valid AWS credentials while checking the AWS credentials for environment dev .*check profile "nope"/,
      );
    } finally {
      process.env = saved;
    }
  });
});
