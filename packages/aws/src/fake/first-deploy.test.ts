/**
 * The first real deploy of a lane, against the fake held to AWS's rules (issue 10, the ECS / ELB / Cloud
 * Map half): the order ECS accepts, Cloud Map registration, blue/green routing of the validation hook and
 * the swaps ECS makes, strategy switches without PriorityInUse, and Service Connect names within limits.
 */
import { DiscoverInstancesCommand } from '@aws-sdk/client-servicediscovery';
import { LANE_TRACESTATE_KEY, laneNames, withLane } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { deployLaneStack } from '../lane-deploy.js';
import { createAwsContext, createAwsTarget } from '../target.js';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG, laneStackTemplate } from './index.js';

const blueGreen = (config: string, service = 'web') =>
  config.replace(
    `  - name: ${service}\n    appRepo: { repository: acme/shop-${service} }\n`,
    `  - name: ${service}\n    appRepo: { repository: acme/shop-${service} }\n    blueGreen: { enabled: true }\n`,
  );

async function world(config = FIXTURE_CONFIG): Promise<FakeWorld> {
  const w = createFakeWorld({ config, priorityRange: { min: 1, max: 40 } });
  await w.bootstrap(...w.config.services.map((s) => s.name));
  return w;
}

/** The lane stack template with `edit` applied to its parsed form. */
// biome-ignore lint/suspicious/noExplicitAny: a parsed CloudFormation template, edited in place by each test
type Template = Record<string, any>;
function editedTemplate(edit: (t: Template) => void): string {
  const t = parse(laneStackTemplate()) as Template;
  edit(t);
  return stringify(t);
}

/** A context whose lane stack template is `body`. */
function contextWith(w: FakeWorld, body: string) {
  return createAwsContext({
    ...w.options,
    templates: { ...w.templates, laneStackTemplate: async () => body },
  });
}

async function discover(w: FakeWorld, service: string) {
  const out = await w.clients.servicediscovery.send(
    new DiscoverInstancesCommand({ NamespaceName: 'dev.local', ServiceName: service, HealthStatus: 'ALL' }),
  );
  return out.Instances ?? [];
}

const listenerOf = (w: FakeWorld, service: string) =>
  w.fake.listenerArns().find((l) => l.dns.startsWith(`${service}-${w.env.name}-alb`))!;
const urlOf = async (w: FakeWorld, service: string) => `http://${listenerOf(w, service).dns}`;

describe('item 1: a rolling lane is created rule first, and gets traffic only once its service is stable', () => {
  it('ECS refuses a service whose target group no rule forwards to (the old order: rule after service)', async () => {
    const w = await world();
    const oldOrder = editedTemplate((t) => {
      t.Resources.Service.Properties.Tags = t.Resources.Service.Properties.Tags.filter(
        (tag: { Key: string }) => tag.Key !== 'ecs-lanes:listener-rule',
      );
      t.Resources.LaneRule.DependsOn = 'Service';
    });
    const ctx = contextWith(w, oldOrder);
    const request = { service: 'orders', lane: 'gray', branch: 'main', imageUri: 'repo/orders:aaaaaaa' };
    const error = await deployLaneStack(ctx, request).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(String(error?.message)).toMatch(/ROLLBACK_COMPLETE/);
    const reasons = w.fake.stackEvents('app-orders--dev-gray').map((e) => e.ResourceStatusReason ?? '');
    expect(reasons.some((r) => /does not have an associated load balancer/.test(r))).toBe(true);
  });

  it('the rule is created forwarding to the baseline, the service after it, and the lane takes traffic once stable', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });
    const mark = w.fake.effects.length;
    const result = await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat' });
    const effects = w.fake.effects.slice(mark);
    const at = (what: string, name: RegExp) => effects.findIndex((e) => e.what === what && name.test(e.name));
    const rule = at('create-rule', /^gray@/);
    const service = at('create-service', /^orders-dev-gray$/);
    const stable = at('service-stable', /^orders-dev-gray@/);
    const shift = at('modify-rule', /^gray@\d+:orders-dev-gray-tg$/);
    expect(rule).toBeGreaterThanOrEqual(0);
    expect(rule).toBeLessThan(service);
    expect(stable).toBeLessThan(shift);
    // No modification of the rule sent gray's traffic to its own target group before the service was stable.
    expect(effects.slice(0, stable).some((e) => e.what === 'modify-rule' && /gray-tg$/.test(e.name))).toBe(
      false,
    );
    expect(w.fake.stack('app-orders--dev-gray')?.parameters.LiveTargetGroup).toBe('lane');
    const res = await w.fake.fetch(`${result.url}/`, {
      headers: { tracestate: withLane(undefined, 'gray') },
    });
    expect(res.headers.get('x-lanes-lane')).toBe('gray');
  });

  it('while LiveTargetGroup is default, lane requests are answered by the baseline', async () => {
    const w = await world();
    const target = createAwsTarget(w.options);
    await target.deploy({ service: 'orders', env: 'dev', lane: 'base', branch: 'main' });
    await target.deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat' });
    const ctx = w.context();
    // A redeploy that would put the rule back to default (as at create time) routes gray to the baseline.
    const stack = w.fake.stack('app-orders--dev-gray')!;
    await ctx.stacks.deploy({
      stackName: 'app-orders--dev-gray',
      templateBody: laneStackTemplate(),
      parameters: { ...stack.parameters, LiveTargetGroup: 'default' },
      tags: stack.tags,
    });
    const url = await urlOf(w, 'orders');
    expect(w.fake.route(url, { tracestate: withLane(undefined, 'gray') })?.targetGroupName).toBe(
      'orders-dev-default-tg',
    );
  });
});

describe('item 3: Cloud Map instances as ECS registers them', () => {
  it('exactly the attributes ECS documents, with the container port, and HEALTHY (container health check)', async () => {
    const w = await world();
    await createAwsTarget(w.options).deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'feat' });
    const instances = await discover(w, 'orders');
    expect(instances).toHaveLength(2);
    for (const i of instances) {
      expect(Object.keys(i.Attributes ?? {}).sort()).toEqual([
        'AVAILABILITY_ZONE',
        'AWS_INSTANCE_IPV4',
        'AWS_INSTANCE_PORT',
        'ECS_CLUSTER_NAME',
        'ECS_SERVICE_NAME',
        'ECS_TASK_DEFINITION_FAMILY',
        'REGION',
      ]);
      expect(i.Attributes).toMatchObject({
        AWS_INSTANCE_PORT: '8080',
        ECS_SERVICE_NAME: 'orders-dev-gray',
        ECS_TASK_DEFINITION_FAMILY: laneNames('orders', 'dev', 'gray').taskFamily,
        REGION: 'us-east-1',
      });
      expect(i.HealthStatus).toBe('HEALTHY');
    }
  });

  it('no port without one in ServiceRegistries; UNHEALTHY without a container health check', async () => {
    const w = await world();
    const bare = editedTemplate((t) => {
      const registry = t.Resources.Service.Properties.ServiceRegistries[0];
      delete registry.ContainerName;
      delete registry.ContainerPort;
      delete t.Resources.TaskDefinition.Properties.ContainerDefinitions[0].HealthCheck;
    });
    const ctx = contextWith(w, bare);
    await deployLaneStack(ctx, {
      service: 'orders',
      lane: 'base',
      branch: 'main',
      imageUri: 'repo/orders:aaaaaaa',
    });
    const instances = await discover(w, 'orders');
    expect(instances.length).toBeGreaterThan(0);
    for (const i of instances) {
      expect(i.Attributes?.AWS_INSTANCE_PORT).toBeUndefined();
      expect(i.HealthStatus).toBe('UNHEALTHY');
    }
    // The SDK's default filter (HEALTHY) then finds nothing.
    const healthy = await w.clients.servicediscovery.send(
      new DiscoverInstancesCommand({ NamespaceName: 'dev.local', ServiceName: 'orders' }),
    );
    expect(healthy.Instances).toEqual([]);
  });
});

describe('items 5 and 6: blue/green lanes', () => {
  it('the hook’s request (test header and lane tracestate) meets the test rule for every lane, and reaches green', async () => {
    const w = await world(blueGreen(FIXTURE_CONFIG));
    const target = createAwsTarget(w.options);
    const lanes = Array.from({ length: 8 }, (_, i) => `bg${i}`);
    for (const lane of lanes) await target.deploy({ service: 'web', env: 'dev', lane, branch: 'one' });
    const url = await urlOf(w, 'web');
    for (const lane of lanes) {
      const hookHeaders = { 'x-lanes-test': lane, tracestate: `${LANE_TRACESTATE_KEY}=lane:${lane}` };
      const route = w.fake.route(url, hookHeaders);
      const test = w.fake
        .listenerRules(listenerOf(w, 'web').arn)
        .find(
          (r) =>
            r.conditions[0]?.HttpHeaderConfig.HttpHeaderName === 'x-lanes-test' &&
            r.conditions[0].HttpHeaderConfig.Values?.[0] === lane,
        );
      expect(route?.priority, lane).toBe(test?.priority);
    }
    const mark = w.fake.effects.length;
    for (const lane of lanes) await target.deploy({ service: 'web', env: 'dev', lane, branch: 'two' });
    const hooks = w.fake.effects.slice(mark).filter((e) => e.what === 'hook-request');
    expect(hooks.map((h) => h.name).sort()).toEqual(
      lanes
        .map(
          (lane) =>
            `${laneNames('web', 'dev', lane).ecsService}:${laneNames('web', 'dev', lane).alternateTargetGroup}`,
        )
        .sort(),
    );
  });

  it('after a swap, verify, ls and status follow the live target group; the next update keeps ECS’s weights; alarms cover both groups', async () => {
    const w = await world(blueGreen(FIXTURE_CONFIG));
    const target = createAwsTarget(w.options);
    w.commit('v1', 'v100000');
    w.commit('v2', 'v200000');
    w.commit('v3', 'v300000');
    await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'v1' });
    const v2 = await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'v2' });
    const url = v2.url!;
    const lane = { tracestate: withLane(undefined, 'gray') };
    const names = laneNames('web', 'dev', 'gray');
    expect(w.fake.route(url, lane)?.targetGroupName).toBe(names.alternateTargetGroup);
    const version = async () =>
      JSON.parse(await (await w.fake.fetch(`${url}/`, { headers: lane })).text()).version;
    expect(await version()).toBe('v200000');
    const checks = await target.verify({ service: 'web', env: 'dev', lane: 'gray' });
    expect(checks.find((c) => c.name === 'healthy targets > 0')?.status).toBe('OK');
    const [listed] = (await target.list({ service: 'web' })).filter((l) => l.lane === 'gray');
    expect(listed?.healthy).toBe(1);
    const status = await target.status({ service: 'web', env: 'dev', lane: 'gray' });
    const alarms = status.details.find(([k]) => k === 'alarms')?.[1] ?? '';
    expect(alarms).toContain('5xx-rate-alt');
    expect(alarms).toContain('unhealthy-hosts-alt');
    // The next deploy: the stack update writes back the alternate as live (no reset), then ECS swaps back.
    const mark = w.fake.effects.length;
    await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'v3' });
    const resets = w.fake.effects
      .slice(mark)
      .filter((e) => e.what === 'modify-rule' && e.name.endsWith(`:${names.targetGroup}`));
    expect(resets).toEqual([]);
    expect(w.fake.route(url, lane)?.targetGroupName).toBe(names.targetGroup);
    expect(await version()).toBe('v300000');
  });
});

describe('item 10: switching a lane between rolling and blue/green', () => {
  it('creates the new rules at other priorities than the old one: no PriorityInUse, no failed update', async () => {
    const w = await world();
    await createAwsTarget(w.options).deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'a' });
    expect(w.fake.listenerRules(listenerOf(w, 'web').arn)).toHaveLength(1);
    const switched = createFakeWorld({
      config: blueGreen(FIXTURE_CONFIG),
      priorityRange: { min: 1, max: 40 },
    });
    // Same fake, new configuration: web is now blue/green.
    const ctx = createAwsContext({
      ...switched.options,
      clients: w.clients,
      clock: w.clock,
      fetch: w.fake.fetch,
    });
    const image = w.fake.stack('app-web--dev-gray')!.parameters.ImageUri!;
    await deployLaneStack(ctx, { service: 'web', lane: 'gray', branch: 'b', imageUri: image });
    const back = createAwsContext({ ...w.options });
    await deployLaneStack(back, { service: 'web', lane: 'gray', branch: 'c', imageUri: image });
    const reasons = w.fake
      .stackEvents('app-web--dev-gray')
      .map((e) => `${e.ResourceStatus} ${e.ResourceStatusReason ?? ''}`);
    expect(reasons.filter((r) => /currently in use|UPDATE_FAILED|ROLLBACK/.test(r))).toEqual([]);
    expect(w.fake.stack('app-web--dev-gray')?.status).toBe('UPDATE_COMPLETE');
    expect(w.fake.listenerRules(listenerOf(w, 'web').arn)).toHaveLength(1);
  });
});

describe('item 11: Service Connect names within ECS limits', () => {
  it('ECS refuses a discoveryName over 64 characters (the old template passed the ECS service name)', async () => {
    const long = 'x'.repeat(32);
    const env = 'stage1234';
    const config = `${FIXTURE_CONFIG.replace('  - name: dev\n', `  - name: ${env}\n`)}  - name: ${long}\n    appRepo: { repository: acme/long }\n    port: 8080\n    serviceConnect: true\n`;
    const w = await world(config);
    const old = editedTemplate((t) => {
      const sc = t.Resources.Service.Properties.ServiceConnectConfiguration['Fn::If'][1];
      sc.Services[0].DiscoveryName = { Ref: 'EcsServiceName' };
    });
    const lane = 'feat-abcdefghijk';
    await deployLaneStack(contextWith(w, old), {
      service: long,
      lane,
      branch: 'x',
      imageUri: 'repo/long:aaaaaaa',
    }).catch(() => undefined);
    const reasons = w.fake
      .stackEvents(laneNames(long, env, lane).stack)
      .map((e) => e.ResourceStatusReason ?? '');
    expect(reasons.some((r) => /Service Connect discoveryName .* at most 64/.test(r))).toBe(true);
  });

  it('a 32-character service with a hashed lane deploys with Service Connect on', async () => {
    const long = 'x'.repeat(32);
    const env = 'stage1234';
    const config = `${FIXTURE_CONFIG.replace('  - name: dev\n', `  - name: ${env}\n`)}  - name: ${long}\n    appRepo: { repository: acme/long }\n    port: 8080\n    serviceConnect: true\n`;
    const w = await world(config);
    const lane = 'feat-abcdefghijk';
    const names = laneNames(long, env, lane);
    // What the template used to pass as discoveryName and dnsName: longer than both limits.
    expect(names.ecsService.length).toBeGreaterThan(64);
    await createAwsTarget(w.options).deploy({ service: long, env, lane, branch: 'x' });
    expect(w.fake.stack(names.stack)?.status).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
  });
});
