/**
 * Stack deploys through change sets, against the fake's CloudFormation rules.
 */
import { LANE_STACK_PARAMETER_NAMES, laneNames, UserError } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';
import { createFakeWorld } from './fake/index.js';
import { deletionOrder, readTemplate } from './fake/template.js';
import { bootstrapService, deployEnvironment } from './layers.js';
import { StackDeployError } from './stacks.js';
import { createAwsTarget } from './target.js';
import { MAX_TEMPLATE_BODY_BYTES } from './templates.js';

const template = (params: string[]) =>
  JSON.stringify(
    {
      Parameters: Object.fromEntries(params.map((p) => [p, { Type: 'String' }])),
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: params[0] } } },
        Policy: { Type: 'AWS::SQS::QueuePolicy', Properties: { Queues: [{ Ref: 'Queue' }] } },
      },
    },
    null,
    2,
  );

describe('StackOperations.deploy', () => {
  it('creates through a change set, and an empty change set is success ("unchanged")', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const spec = { stackName: 'demo', templateBody: template(['Name']), parameters: { Name: 'a' } };
    const created = await ctx.stacks.deploy(spec);
    expect(created.outcome).toBe('created');
    expect(created.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Add Queue', 'Add Policy']);
    const again = await ctx.stacks.deploy(spec);
    expect(again.outcome).toBe('unchanged');
    expect(w.fake.stack('demo')?.status).toBe('CREATE_COMPLETE');
    const updated = await ctx.stacks.deploy({ ...spec, parameters: { Name: 'b' } });
    expect(updated.outcome).toBe('updated');
    expect(updated.changes.map((c) => `${c.action} ${c.logicalId}`)).toEqual(['Modify Queue']);
  });

  it('waits for an operation in progress (the per-stack lock), then deploys; streams events', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const spec = { stackName: 'demo', templateBody: template(['Name']), parameters: { Name: 'a' } };
    await ctx.stacks.deploy(spec);
    const progressB: string[] = [];
    const a = ctx.stacks.deploy({ ...spec, parameters: { Name: 'b' } });
    await w.clock.sleep(4_000); // A's change set is executing by now.
    const b = w.context().stacks.deploy(
      { ...spec, parameters: { Name: 'c' } },
      {
        progress: (e) => {
          progressB.push(e.message);
          if (process.env.DEBUG_LANES) console.log(w.clock.now(), e.message);
        },
      },
    );
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.outcome, rb.outcome]).toEqual(['updated', 'updated']);
    expect(w.fake.stack('demo')?.parameters.Name).toBe('c');
    expect(
      progressB.some((m) =>
        /UPDATE_IN_PROGRESS \(another operation holds it\); waiting|another deploy went first/.test(m),
      ),
    ).toBe(true);
    expect(progressB.some((m) => /demo Queue UPDATE_COMPLETE/.test(m))).toBe(true);
    // The fake refused the concurrent change for real at least once (the lock), and never ran two operations at once.
    const statuses = w.fake
      .stackEvents('demo')
      .filter(
        (e) =>
          e.ResourceType === 'AWS::CloudFormation::Stack' &&
          /^UPDATE_(IN_PROGRESS|COMPLETE)$/.test(e.ResourceStatus),
      )
      .map((e) => e.ResourceStatus);
    expect(statuses).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
  });

  it('plans (dry run) with a change set summary and leaves nothing behind, not even the REVIEW_IN_PROGRESS stack', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const before = w.fake.snapshot();
    const plan = await ctx.stacks.deploy(
      { stackName: 'demo', templateBody: template(['Name']), parameters: { Name: 'a' } },
      { dryRun: true },
    );
    expect(plan.outcome).toBe('planned');
    expect(plan.changes.map((c) => c.action)).toEqual(['Add', 'Add']);
    await w.fake.settle();
    expect(w.fake.snapshot()).toEqual(before);
    expect(w.fake.stack('demo')).toBeUndefined();
  });

  it('refuses a template over the 51,200-byte inline limit before calling AWS, and compacts JSON that then fits', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const padding = 'x'.repeat(MAX_TEMPLATE_BODY_BYTES);
    const tooBig = `Parameters:\n  Name:\n    Type: String\n    Description: ${padding}\nResources: {}\n`;
    const calls = w.fake.calls.length;
    const error = await ctx.stacks
      .deploy({ stackName: 'big', templateBody: tooBig, parameters: { Name: 'a' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/over CloudFormation's 51200-byte limit for an inline template/);
    expect(w.fake.calls.length).toBe(calls);
    const spacious = template(['Name']).replace('{', `{${' '.repeat(MAX_TEMPLATE_BODY_BYTES)}`);
    expect(Buffer.byteLength(spacious)).toBeGreaterThan(MAX_TEMPLATE_BODY_BYTES);
    const ok = await ctx.stacks.deploy({
      stackName: 'big',
      templateBody: spacious,
      parameters: { Name: 'a' },
    });
    expect(ok.outcome).toBe('created');
  });

  it('the fake enforces the inline limit and the parameter contract like CloudFormation', async () => {
    const w = createFakeWorld();
    await expect(
      w.fake.handle('CreateChangeSetCommand', {
        StackName: 's',
        ChangeSetName: 'c',
        ChangeSetType: 'CREATE',
        TemplateBody: ' '.repeat(MAX_TEMPLATE_BODY_BYTES + 1),
      }),
    ).rejects.toThrow(/Member must have length less than or equal to 51200/);
    await expect(
      w.context().stacks.deploy({
        stackName: 's',
        templateBody: template(['Name']),
        parameters: { Name: 'a', Other: 'b' },
      }),
    ).rejects.toThrow(/Parameters: \[Other\] do not exist in the template/);
  });
});

describe('shared layers and exports', () => {
  it('env deploy and service bootstrap create the stacks; a second run changes nothing; a dry run changes nothing', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const plan = await deployEnvironment(ctx, { dryRun: true });
    expect(
      plan.actions.some((a) => /^infra-network-dev: create Main \(AWS::EC2::SecurityGroup\)$/.test(a)),
    ).toBe(true);
    expect(w.fake.stack('infra-network-dev')).toBeUndefined();
    const env = await deployEnvironment(ctx);
    expect(env.stacks.map((s) => `${s.stackName} ${s.outcome}`)).toEqual([
      'infra-network-dev created',
      'infra-namespace-dev created',
      'pipeline-infra-dev created',
    ]);
    const svc = await bootstrapService(ctx, 'orders');
    expect(svc.stacks.map((s) => s.outcome)).toEqual(['created', 'created', 'created', 'created', 'created']);
    const before = w.fake.snapshot();
    const again = await bootstrapService(ctx, 'orders');
    expect(again.stacks.map((s) => s.outcome)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(w.fake.snapshot()).toEqual(before);
    // Shared stacks carry termination protection.
    await expect(w.fake.handle('DeleteStackCommand', { StackName: 'boot-alb-orders-dev' })).rejects.toThrow(
      /cannot be deleted while TerminationProtection is enabled/,
    );
  });

  it('an export in use by a lane cannot be deleted: the stack delete fails with the real message', async () => {
    const w = createFakeWorld();
    await w.bootstrap('orders');
    await createAwsTarget(w.options).deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'main' });
    const error = await w
      .context()
      .stacks.deleteAndWait('boot-log-orders-dev')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackDeployError);
    expect((error as StackDeployError).status).toBe('DELETE_FAILED');
    expect((error as Error).message).toMatch(
      /Export boot-log-orders-dev:LogGroupName cannot be deleted as it is in use by app-orders--dev-gray/,
    );
  });
});

describe('the fake reads templates', () => {
  it('takes dependencies from DependsOn, Ref, GetAtt and Sub, in JSON and YAML', () => {
    const yaml = [
      'Parameters:',
      '  LaneName:',
      '    Type: String',
      '  Prio:',
      '    Type: String',
      '    Default: "1"',
      'Resources:',
      '  TargetGroup:',
      '    Type: AWS::ElasticLoadBalancingV2::TargetGroup',
      '    Properties:',
      '      Name:',
      '        Fn::Sub: "${LaneName}-tg"',
      '  Service:',
      '    Type: AWS::ECS::Service',
      '    Properties:',
      '      LoadBalancers:',
      '        - TargetGroupArn:',
      '            Ref: TargetGroup',
      '  Rule:',
      '    Type: AWS::ElasticLoadBalancingV2::ListenerRule',
      '    DependsOn:',
      '      - Service',
      '    Properties:',
      '      Priority:',
      '        Ref: Prio',
      '      Actions:',
      '        - TargetGroupArn:',
      '            Fn::GetAtt: [TargetGroup, TargetGroupArn]',
      '      ListenerArn:',
      '        Fn::ImportValue:',
      '          Fn::Sub: "${AlbStackName}:ListenerArn"',
    ].join('\n');
    const info = readTemplate(yaml);
    expect([...info.parameters.keys()]).toEqual(['LaneName', 'Prio']);
    expect(info.parameters.get('Prio')?.hasDefault).toBe(true);
    expect(info.resources.get('Rule')?.dependsOn).toEqual(['Service', 'TargetGroup']);
    expect(deletionOrder(info)).toEqual(['Rule', 'Service', 'TargetGroup']);
    expect(info.imports).toEqual([{ stackParameter: 'AlbStackName', key: 'ListenerArn' }]);
  });

  it('refuses short-form YAML tags instead of reading them as plain strings', () => {
    expect(() =>
      readTemplate('Resources:\n  A:\n    Type: X::Y::Z\n    Properties:\n      P: !Ref B\n'),
    ).toThrow(/short-form intrinsic tags/);
  });

  it('reads the real lane stack template (templates/ci/service-stack.yaml): the service depends on the rule', async () => {
    const { readFileSync } = await import('node:fs');
    const body = readFileSync(new URL('../../../templates/ci/service-stack.yaml', import.meta.url), 'utf8');
    const info = readTemplate(body);
    expect([...info.parameters.keys()]).toEqual([...LANE_STACK_PARAMETER_NAMES]);
    // ECS refuses a service whose target group no rule forwards to: the service comes after the rule.
    expect(info.resources.get('Service')?.dependsOn).toContain('LaneRule');
    expect(info.resources.get('LaneRule')?.dependsOn).not.toContain('Service');
    expect(info.resources.get('LaneRule')?.parameters).toEqual(
      expect.arrayContaining(['LaneMatchRegex', 'RulePriority', 'LiveTargetGroup']),
    );
    const order = deletionOrder(info);
    expect(order.indexOf('Service')).toBeLessThan(order.indexOf('LaneRule'));
    expect(order.indexOf('LaneRule')).toBeLessThan(order.indexOf('LaneTargetGroup'));
  });

  it('deletes a lane stack in its template order: service, then rule, then target group', async () => {
    const w = createFakeWorld();
    const ctx = w.context();
    const info = readTemplate(await ctx.templates.laneStackTemplate());
    const order = deletionOrder(info);
    expect(order.indexOf('LaneRule')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('Service')).toBeLessThan(order.indexOf('LaneRule'));
    expect(order.indexOf('LaneRule')).toBeLessThan(order.indexOf('LaneTargetGroup'));
    expect(laneNames('orders', 'dev', 'gray').stack).toBe('app-orders--dev-gray');
  });
});
