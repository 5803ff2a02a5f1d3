/**
 * The fake deploys lane stacks from the real template (templates/ci/service-stack.yaml) and honours its
 * Conditions: what a baseline, a rolling and a blue/green lane create on the listener.
 */
import { serviceNames } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { listExports } from '../context.js';
import { createAwsTarget } from '../target.js';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from './index.js';

const BLUE_GREEN_CONFIG = FIXTURE_CONFIG.replace(
  '  - name: web\n    appRepo: { repository: acme/shop-web }\n',
  '  - name: web\n    appRepo: { repository: acme/shop-web }\n    blueGreen: { enabled: true }\n',
);

async function rulesOf(w: FakeWorld, service: string) {
  const listener = (await listExports(w.context())).get(
    `${serviceNames(service, 'dev').albStack}:ListenerArn`,
  );
  return w.fake.listenerRules(listener);
}

async function laneResources(w: FakeWorld, stack: string) {
  const { DescribeStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
  const out = await w.clients.cloudformation.send(new DescribeStackResourcesCommand({ StackName: stack }));
  return (out.StackResources ?? []).map((r) => `${r.LogicalResourceId}`).sort();
}

describe('the fake deploys the real lane stack template, honouring its Conditions', () => {
  it('baseline: no target group, no rule; rolling lane: one of each; blue/green lane: two rules with distinct priorities, two target groups', async () => {
    expect(BLUE_GREEN_CONFIG).toContain('blueGreen: { enabled: true }');
    const w = createFakeWorld({ config: BLUE_GREEN_CONFIG, priorityRange: { min: 1, max: 30 } });
    await w.bootstrap('orders', 'web');
    const target = createAwsTarget(w.options);

    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });
    await target.deploy({ service: 'web', env: 'dev', lane: 'base', branch: 'main' });
    expect(await rulesOf(w, 'orders')).toEqual([]);
    expect(await rulesOf(w, 'web')).toEqual([]);
    const base = await laneResources(w, 'app-orders--dev-base');
    expect(base.filter((r) => /TargetGroup|Rule/.test(r))).toEqual([]);
    expect(base).toContain('Service');

    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    const rolling = await rulesOf(w, 'orders');
    expect(rolling).toHaveLength(1);
    expect(rolling[0]!.targetGroupName).toBe('orders-dev-gray-tg');
    expect(
      (await laneResources(w, 'app-orders--dev-gray')).filter((r) => /TargetGroup|Rule/.test(r)),
    ).toEqual(['LaneRule', 'LaneTargetGroup']);

    await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    const bg = await rulesOf(w, 'web');
    expect(bg).toHaveLength(2);
    expect(bg[0]!.priority).not.toBe(bg[1]!.priority);
    const headers = bg.map((r) => r.conditions[0]!.HttpHeaderConfig.HttpHeaderName).sort();
    expect(headers).toEqual(['tracestate', 'x-lanes-test']);
    const test = bg.find((r) => r.conditions[0]!.HttpHeaderConfig.HttpHeaderName === 'x-lanes-test')!;
    expect(test.conditions[0]!.HttpHeaderConfig.Values).toEqual(['gray']);
    const resources = await laneResources(w, 'app-web--dev-gray');
    expect(resources.filter((r) => /TargetGroup|Rule/.test(r))).toEqual([
      'AlternateTargetGroup',
      'BlueGreenProductionRule',
      'BlueGreenTestRule',
      'LaneTargetGroup',
    ]);
    const stack = await w.clients.cloudformation.send(
      new (await import('@aws-sdk/client-cloudformation')).DescribeStacksCommand({
        StackName: 'app-web--dev-gray',
      }),
    );
    const param = (k: string) =>
      stack.Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === k)?.ParameterValue;
    expect(Number(param('TestRulePriority'))).toBe(test.priority);
    expect(Number(param('RulePriority'))).not.toBe(test.priority);

    // A redeploy keeps both priorities (each rule is recognised as the lane's own).
    await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'feat-gray' });
    expect((await rulesOf(w, 'web')).map((r) => r.priority)).toEqual(bg.map((r) => r.priority));
  });
});
