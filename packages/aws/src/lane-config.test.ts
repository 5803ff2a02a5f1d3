/**
 * A lane's configuration on AWS, against the fake's Parameter Store: `lanes config` paths and versions, lane
 * overrides with fallback to the service-wide value, secure values as ECS secrets (never in plain text), the
 * set resolved at deploy time and restored by a rollback.
 */
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { laneNames, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld, type FakeWorld } from './fake/index.js';
import { createSsmConfigStore } from './lane-config.js';
import { createAwsTarget } from './target.js';

async function world(): Promise<FakeWorld> {
  const w = createFakeWorld();
  await w.bootstrap('orders');
  return w;
}

const set = (key: string, value: string, secure = false) => ({ kind: 'set' as const, key, value, secure });

/** The newest task definition of a lane: its environment and secrets. */
function taskDefinition(w: FakeWorld, lane: string) {
  const revisions = w.fake.taskDefinitionRevisions(laneNames('orders', 'dev', lane).taskFamily);
  const last = revisions.at(-1);
  if (!last) throw new Error(`no task definition for lane ${lane}`);
  return {
    env: Object.fromEntries(last.environment.map((e) => [e.name, e.value])),
    secrets: Object.fromEntries(last.secrets.map((e) => [e.name, e.valueFrom])),
  };
}

describe('lanes config on AWS (SSM Parameter Store)', () => {
  it('stores service-wide values under /{project}/{env}/{service}/ and lane overrides under .../lanes/{lane}/', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    await store.change({ service: 'orders', env: 'dev' }, set('FEATURE_FLAG', 'off'), false);
    await store.change({ service: 'orders', env: 'dev' }, set('DOWNSTREAM_URL', 'http://inventory'), false);
    const result = await store.change(
      { service: 'orders', env: 'dev', lane: 'gray' },
      set('FEATURE_FLAG', 'on'),
      false,
    );
    expect(result.actions).toEqual([
      'create parameter /shop/dev/orders/lanes/gray/FEATURE_FLAG String = on (version 1)',
    ]);
    expect(w.fake.ssm.versions('/shop/dev/orders/FEATURE_FLAG')).toHaveLength(1);

    const gray = await store.effective({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(gray.map((e) => [e.key, e.value, e.scope, e.overrides])).toEqual([
      ['DOWNSTREAM_URL', 'http://inventory', 'service', false],
      ['FEATURE_FLAG', 'on', 'lane', true],
    ]);
    const base = await store.effective({ service: 'orders', env: 'dev', lane: 'base' });
    expect(base.map((e) => [e.key, e.value])).toEqual([
      ['DOWNSTREAM_URL', 'http://inventory'],
      ['FEATURE_FLAG', 'off'],
    ]);
  });

  it('must count versions: each set makes the next one, and unset removes the parameter', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = { service: 'orders', env: 'dev' };
    await store.change(target, set('FLAG', 'a'), false);
    const second = await store.change(target, set('FLAG', 'b'), false);
    expect(second.actions[0]).toContain('(version 1 -> 2)');
    expect(second.entry?.version).toBe(2);
    await store.change(target, { kind: 'unset', key: 'FLAG' }, false);
    expect(await store.list(target)).toEqual([]);
  });

  it('must change nothing on a dry run, and say what it would do', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = { service: 'orders', env: 'dev', lane: 'gray' };
    await store.change(target, set('FLAG', 'a'), false);
    const dry = await store.change(target, set('FLAG', 'b'), true);
    expect(dry).toEqual({
      dryRun: true,
      actions: ['update parameter /shop/dev/orders/lanes/gray/FLAG String = b (version 1 -> 2)'],
    });
    const dryUnset = await store.change(target, { kind: 'unset', key: 'FLAG' }, true);
    expect(dryUnset.actions).toEqual(['delete parameter /shop/dev/orders/lanes/gray/FLAG (version 1)']);
    expect(w.fake.ssm.versions('/shop/dev/orders/lanes/gray/FLAG').map((v) => v.value)).toEqual(['a']);
  });

  it('must never show a secure value: not in the action, not in ls', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = { service: 'orders', env: 'dev' };
    const result = await store.change(target, set('DB_PASSWORD', 's3cret-value', true), false);
    expect(JSON.stringify(result)).not.toContain('s3cret-value');
    const [entry] = await store.list(target);
    expect(entry).toMatchObject({ key: 'DB_PASSWORD', secure: true, version: 1 });
    expect(entry?.value).toBeUndefined();
    expect(JSON.stringify(entry)).not.toContain('s3cret-value');
  });

  it('pages GetParametersByPath (at most 10 per page) until no NextToken comes back', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = { service: 'orders', env: 'dev' };
    for (let i = 0; i < 23; i++)
      await store.change(target, set(`KEY_${String(i).padStart(2, '0')}`, `v${i}`), false);
    const before = w.fake.calls.filter((c) => c === 'GetParametersByPath').length;
    const all = await store.list(target);
    expect(all).toHaveLength(23);
    expect(w.fake.calls.filter((c) => c === 'GetParametersByPath').length - before).toBe(3);
  });

  it.each([
    [
      'a key that is not an environment variable name',
      set('feature-flag', 'x'),
      /"feature-flag" is not a valid key/,
    ],
    ['a key ecs-lanes sets itself', set('LANE', 'x'), /key LANE is set by ecs-lanes itself/],
    ['an empty value', set('FLAG', ''), /the value of FLAG is empty/],
    ['a value over 4 KB', set('FLAG', 'x'.repeat(4097)), /has 4097 bytes; at most 4096/],
    ['unset of a key that is not set', { kind: 'unset' as const, key: 'NOPE' }, /NOPE is not set for orders/],
  ])('refuses %s with a clear error, changing nothing', async (_name, change, message) => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const before = w.fake.snapshot();
    const error = await store
      .change({ service: 'orders', env: 'dev' }, change, false)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
    expect(w.fake.snapshot()).toEqual(before);
    expect(w.fake.calls.filter((c) => c === 'PutParameter' || c === 'DeleteParameter')).toEqual([]);
  });

  it('refuses to turn a plain value into a secure one in place (unset it first)', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = { service: 'orders', env: 'dev' };
    await store.change(target, set('TOKEN', 'plain'), false);
    await expect(store.change(target, set('TOKEN', 'x', true), false)).rejects.toThrow(
      /is a String; to make it secure, unset it first/,
    );
  });
});

describe('lanes deploy with configuration (AWS)', () => {
  it("resolves the lane's set at deploy time: overrides, fallback to the service-wide value, secrets by ARN", async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    await store.change({ service: 'orders', env: 'dev' }, set('FEATURE_FLAG', 'off'), false);
    await store.change(
      { service: 'orders', env: 'dev' },
      set('DOWNSTREAM_URL', 'http://inventory.dev.local'),
      false,
    );
    await store.change({ service: 'orders', env: 'dev' }, set('DB_PASSWORD', 'top-secret-42', true), false);
    await store.change({ service: 'orders', env: 'dev', lane: 'gray' }, set('FEATURE_FLAG', 'on'), false);
    const target = createAwsTarget(w.options);
    const dry = await target.deploy({
      service: 'orders',
      env: 'dev',
      lane: 'gray',
      branch: 'gray',
      dryRun: true,
    });
    expect(dry.actions.filter((a) => a.startsWith('config '))).toEqual([
      'config DB_PASSWORD <- /shop/dev/orders/DB_PASSWORD version 1 (SecureString, as an ECS secret)',
      'config DOWNSTREAM_URL <- /shop/dev/orders/DOWNSTREAM_URL version 1',
      'config FEATURE_FLAG <- /shop/dev/orders/lanes/gray/FEATURE_FLAG version 1 (lane override)',
    ]);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'gray' });
    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });

    const gray = taskDefinition(w, 'gray');
    expect(gray.env).toMatchObject({
      FEATURE_FLAG: 'on',
      DOWNSTREAM_URL: 'http://inventory.dev.local',
      LANE: 'gray',
    });
    expect(gray.secrets).toEqual({
      DB_PASSWORD: `arn:aws:ssm:${w.env.region}:${w.env.account}:parameter/shop/dev/orders/DB_PASSWORD`,
    });
    expect(taskDefinition(w, 'base').env).toMatchObject({ FEATURE_FLAG: 'off' });

    // The secure value is in no template, stack, event or call the control plane made.
    const template = await w.clients.cloudformation.send(
      new GetTemplateCommand({ StackName: laneNames('orders', 'dev', 'gray').stack }),
    );
    expect(template.TemplateBody).toContain('DB_PASSWORD');
    expect(template.TemplateBody).not.toContain('top-secret-42');
    expect(JSON.stringify(w.fake.snapshot())).not.toContain('top-secret-42');
  });

  it('rollback restores the parameter versions the earlier deploy used', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const gray = { service: 'orders', env: 'dev', lane: 'gray' };
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    w.commit('v2', 'v200000');
    await store.change(gray, set('FEATURE_FLAG', 'first'), false);
    await target.deploy({ ...gray, branch: 'v1' });
    await store.change(gray, set('FEATURE_FLAG', 'second'), false);
    await store.change({ service: 'orders', env: 'dev' }, set('NEW_KEY', 'later'), false);
    await target.deploy({ ...gray, branch: 'v2' });
    expect(taskDefinition(w, 'gray').env).toMatchObject({ FEATURE_FLAG: 'second', NEW_KEY: 'later' });

    const back = await target.rollback(gray);
    expect(back.version).toBe('v100000');
    expect(taskDefinition(w, 'gray').env.FEATURE_FLAG).toBe('first');
    expect(taskDefinition(w, 'gray').env.NEW_KEY).toBeUndefined();
    expect(back.actions).toContain(
      'config FEATURE_FLAG: restored /shop/dev/orders/lanes/gray/FEATURE_FLAG version 1 (today: /shop/dev/orders/lanes/gray/FEATURE_FLAG version 2)',
    );
    expect(back.actions).toContain('config NEW_KEY: not set in the rolled-back deploy; left out');

    // Rolling forward again restores the second deploy's set.
    await target.rollback({ ...gray, to: 'v200000' });
    expect(taskDefinition(w, 'gray').env).toMatchObject({ FEATURE_FLAG: 'second', NEW_KEY: 'later' });
  });
});
