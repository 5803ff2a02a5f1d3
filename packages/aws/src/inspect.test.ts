/**
 * `lanes ls`, `lanes status` and `lanes rollback` on AWS tell what runs: a lane serves only when its tasks run
 * and its targets are healthy; a status shows every part it could read and marks the rest unknown with the
 * reason; a rollback that changed nothing says so; a first deploy that failed leaves no empty stack behind.
 */
import { CreateChangeSetCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { clusterNameOf, LIFECYCLE_TAGS, laneNames, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld, type FakeWorld } from './fake/index.js';
import { createSsmConfigStore } from './lane-config.js';
import { deployLaneStack } from './lane-deploy.js';
import { createAwsTarget } from './target.js';

async function world(): Promise<FakeWorld> {
  const w = createFakeWorld({ priorityRange: { min: 1, max: 30 } });
  await w.bootstrap('orders');
  return w;
}

const gray = { service: 'orders', env: 'dev', lane: 'gray' } as const;

const setFlag = (value: string) => ({ kind: 'set' as const, key: 'FEATURE_FLAG', value, secure: false });

/** The lane stack's template as CloudFormation keeps it. */
async function templateOf(w: FakeWorld, stackName: string): Promise<string | undefined> {
  const out = await w.clients.cloudformation.send(
    new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
  );
  return out.TemplateBody;
}

describe('lanes ls on AWS: the state comes from what runs', () => {
  it('a lane whose stack is complete but whose tasks stopped is unhealthy, not serving', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...gray, branch: 'main' });
    expect((await target.list())[0]).toMatchObject({
      lane: 'gray',
      state: 'serving',
      running: 2,
      healthy: 2,
    });
    w.fake.stopTasks(clusterNameOf(w.config, w.env), laneNames('orders', 'dev', 'gray').ecsService);
    const [row] = await target.list();
    expect(row).toMatchObject({ lane: 'gray', state: 'unhealthy', running: 0, desired: 2, healthy: 0 });
    expect(row!.detail).toBe(
      'UPDATE_COMPLETE, but 0 of 2 tasks running and 0 healthy targets; see: lanes status orders --env dev --lane gray',
    );
  });

  it('a stack left in REVIEW_IN_PROGRESS (a first deploy that stopped before executing) shows as failed with the fix', async () => {
    const w = await world();
    const name = laneNames('orders', 'dev', 'gray').stack;
    await w.clients.cloudformation.send(
      new CreateChangeSetCommand({
        StackName: name,
        ChangeSetName: 'abandoned',
        ChangeSetType: 'CREATE',
        TemplateBody: JSON.stringify({
          Resources: { Main: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        }),
        Tags: [
          { Key: 'ecs-lanes:project', Value: 'shop' },
          { Key: 'ecs-lanes:env', Value: 'dev' },
          { Key: 'ecs-lanes:service', Value: 'orders' },
          { Key: 'ecs-lanes:lane', Value: 'gray' },
        ],
      }),
    );
    expect(w.fake.stack(name)?.status).toBe('REVIEW_IN_PROGRESS');
    await w.clock.sleep(60 * 60_000);
    const [row] = await createAwsTarget(w.options).list();
    expect(row).toMatchObject({ lane: 'gray', state: 'failed' });
    expect(row!.detail).toMatch(
      /^REVIEW_IN_PROGRESS: the first deploy stopped before creating anything; deploy again, or remove it with: lanes rm orders --env dev --lane gray$/,
    );
  });
});

describe('a failed first deploy leaves no empty stack', () => {
  it('when executing the first change set fails, the REVIEW_IN_PROGRESS stack is deleted', async () => {
    const w = await world();
    w.fake.faults.fail('ExecuteChangeSet', {
      name: 'AccessDenied',
      message:
        'User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: cloudformation:ExecuteChangeSet',
      status: 403,
    });
    const error = await deployLaneStack(w.context(), {
      service: 'orders',
      lane: 'gray',
      branch: 'main',
      imageUri: 'repo/orders:abc1234',
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/not authorized to perform: cloudformation:ExecuteChangeSet/);
    await w.fake.settle();
    expect(w.fake.stack(laneNames('orders', 'dev', 'gray').stack)).toBeUndefined();
    expect(await createAwsTarget(w.options).list()).toEqual([]);
  });
});

describe('lanes status on AWS: every part it could read, the rest unknown with the reason', () => {
  it('a pipeline history it may not read is unknown; the stack, service, targets and alarms are still shown', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...gray, branch: 'main' });
    w.fake.faults.fail(
      'ListPipelineExecutions',
      {
        name: 'AccessDeniedException',
        message: 'User is not authorized to perform: codepipeline:ListPipelineExecutions',
        status: 400,
      },
      10,
    );
    const status = await target.status(gray);
    const details = Object.fromEntries(status.details);
    // Created, then its lane traffic shifted from the baseline: an update (docs/deploy-order.md).
    expect(details.stack).toMatch(/^app-orders--dev-gray UPDATE_COMPLETE/);
    expect(details.targets).toBe('2 healthy of 2 (healthy 2)');
    expect(details.alarms).toMatch(/OK/);
    expect(details['last run']).toBe(
      'unknown (AccessDeniedException: User is not authorized to perform: codepipeline:ListPipelineExecutions)',
    );
    expect(status.summary.state).toBe('serving');
  });

  it('targets it cannot read make the lane state unknown, never serving', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...gray, branch: 'main' });
    w.fake.faults.fail(
      'DescribeTargetHealth',
      { name: 'InternalFailure', message: 'internal error', status: 500 },
      100,
    );
    const status = await target.status(gray);
    expect(status.summary.state).toBe('unknown');
    expect(Object.fromEntries(status.details).targets).toMatch(
      /^unknown \(InternalFailure: internal error\)$/,
    );
    expect(Object.fromEntries(status.details).stack).toMatch(/UPDATE_COMPLETE/);
  });
});

describe('lanes rollback on AWS: a rollback that changed nothing says so', () => {
  it('rolling back to the version that already runs reports that nothing changed', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    w.commit('v2', 'v200000');
    await target.deploy({ ...gray, branch: 'v1' });
    await target.deploy({ ...gray, branch: 'v2' });
    const stack = laneNames('orders', 'dev', 'gray').stack;
    const before = { stack: w.fake.stack(stack), template: await templateOf(w, stack) };
    await w.clock.sleep(60_000);
    const result = await target.rollback({ ...gray, to: 'v200000' });
    expect(result.changed).toBe(false);
    expect(result.actions).toContain('lane gray of orders already runs v200000: nothing changed');
    // Not even the deploy time moved: the stack's tags and template (its config record) are as they were.
    expect({ stack: w.fake.stack(stack), template: await templateOf(w, stack) }).toEqual(before);
    const back = await target.rollback(gray);
    expect(back.changed).toBe(true);
    expect(back.version).toBe('v100000');
  });

  it('rolling back to the running version after its configuration changed in Parameter Store is still a no-op', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    await store.change(gray, setFlag('first'), false);
    await target.deploy({ ...gray, branch: 'v1' });
    // Set since, not deployed: the lane keeps running with version 1 of the parameter.
    await store.change(gray, setFlag('second'), false);
    const result = await target.rollback({ ...gray, to: 'v100000' });
    expect(result.changed).toBe(false);
    expect(result.actions[0]).toBe('lane gray of orders already runs v100000: nothing changed');
  });

  it('rolling back to an older version whose configuration differed reports the change', async () => {
    const w = await world();
    const store = createSsmConfigStore(w.context());
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    w.commit('v2', 'v200000');
    await store.change(gray, setFlag('first'), false);
    await target.deploy({ ...gray, branch: 'v1' });
    await store.change(gray, setFlag('second'), false);
    await target.deploy({ ...gray, branch: 'v2' });
    const stack = laneNames('orders', 'dev', 'gray').stack;
    const deployedAt = w.fake.stack(stack)?.tags[LIFECYCLE_TAGS.deployedAt];
    await w.clock.sleep(60_000);

    const back = await target.rollback(gray);
    expect(back.changed).toBe(true);
    expect(back.version).toBe('v100000');
    expect(back.actions).toContain('roll back gray from v200000 to v100000');
    expect(back.actions).toContain(
      'config FEATURE_FLAG: restored /shop/dev/orders/lanes/gray/FEATURE_FLAG version 1 (today: /shop/dev/orders/lanes/gray/FEATURE_FLAG version 2)',
    );
    expect(back.actions).toContain(
      `${stack}: change TaskDefinition (AWS::ECS::TaskDefinition) [replacement]`,
    );
    expect(w.fake.stack(stack)?.tags[LIFECYCLE_TAGS.deployedAt]).not.toBe(deployedAt);
  });

  it('is still refused for a version that never ran', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ ...gray, branch: 'v1' });
    await expect(target.rollback({ ...gray, to: 'nope' })).rejects.toBeInstanceOf(UserError);
  });
});
