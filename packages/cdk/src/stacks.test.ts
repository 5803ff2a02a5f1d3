/**
 * Assertions on every stack. The app is synthesized once for the file (with the built-in CloudFormation
 * validation in strict mode and cdk-nag AwsSolutionsChecks registered: synthesis throws on any finding).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEPLOY_JOB_TIMEOUT_MINUTES,
  DEPLOY_MARGIN_MINUTES,
  EXPORT_KEYS,
  LANE_STACK_PARAMETER_NAMES,
  MAX_BAKE_TIME_MINUTES,
  TRACESTATE_HEADER_NAME,
} from '@ecs-lanes/core';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildspecYaml } from './buildspec.js';
import { buildInfraApp, type TemplateKind } from './infra-repo.js';

let outdir: string;
let built: ReturnType<typeof buildInfraApp>;
let assembly: CloudAssembly;
const templates = {} as Record<TemplateKind, Template>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'ecs-lanes-stacks-test-'));
  built = buildInfraApp(outdir);
  assembly = built.app.synth();
  for (const [kind, stack] of Object.entries(built.stacks) as [TemplateKind, Stack][]) {
    templates[kind] = Template.fromStack(stack);
  }
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const KINDS: TemplateKind[] = [
  'network',
  'namespace',
  'sd',
  'log',
  'alb',
  'ecr',
  'lane',
  'pipelineInfra',
  'pipelineBoot',
  'pipelineApp',
];

/** Every IAM statement of a template (inline role policies). */
function statements(t: Template): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const role of Object.values(t.findResources('AWS::IAM::Role'))) {
    for (const p of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]) {
      out.push(...(p.PolicyDocument.Statement as Record<string, unknown>[]));
    }
  }
  return out;
}

describe('every template', () => {
  it.each(KINDS)('%s: deploys without CDK bootstrap and carries no CDK metadata', (kind) => {
    const json = templates[kind].toJSON();
    expect(json.Parameters?.BootstrapVersion).toBeUndefined();
    expect(json.Rules?.CheckBootstrapVersion).toBeUndefined();
    expect(json.Resources.CDKMetadata).toBeUndefined();
    expect(JSON.stringify(json)).not.toContain('aws:cdk:path');
    expect(JSON.stringify(json)).not.toContain('aws:asset');
  });

  it.each(KINDS)('%s: the built-in CloudFormation validation and cdk-nag report nothing', (kind) => {
    const artifact = assembly.getStackByName(built.stacks[kind].stackName);
    const findings = artifact.messages.filter((m) => m.level === 'warning' || m.level === 'error');
    expect(findings.map((m) => `${m.id}: ${String(m.entry.data)}`)).toEqual([]);
  });

  it.each(KINDS)(
    '%s: no "*" action, no AdministratorAccess, PassRole only with iam:PassedToService',
    (kind) => {
      const t = templates[kind];
      expect(JSON.stringify(t.toJSON())).not.toContain('AdministratorAccess');
      for (const s of statements(t)) {
        const actions = ([] as unknown[]).concat(s.Action);
        expect(actions).not.toContain('*');
        // service-wide wildcards only ever deny (the app pipeline's deny of the shared stacks)
        if (s.Effect === 'Allow') for (const a of actions) expect(String(a)).not.toMatch(/:\*$/);
        if (actions.includes('iam:PassRole')) {
          expect(s.Condition).toMatchObject({ StringEquals: { 'iam:PassedToService': expect.anything() } });
        }
      }
    },
  );
});

describe('names reach the templates as constrained parameters', () => {
  it.each([
    ['lane', 'ServiceName', 32],
    ['lane', 'EnvName', 10],
    ['lane', 'LaneName', 16],
    ['lane', 'TargetGroupName', 32],
    ['lane', 'AlternateTargetGroupName', 32],
    ['lane', 'EcsServiceName', 255],
    ['lane', 'TaskFamily', 255],
    ['lane', 'AlbStackName', 128],
    ['alb', 'LoadBalancerName', 32],
    ['alb', 'DefaultTargetGroupName', 32],
    ['ecr', 'RepositoryName', 256],
    ['log', 'LogGroupName', 512],
    ['namespace', 'ClusterName', 255],
    ['pipelineApp', 'PipelineName', 100],
    ['pipelineApp', 'BuildProjectName', 150],
    ['pipelineBoot', 'AlbStackName', 128],
  ] as const)('%s.%s has MaxLength %i and an AllowedPattern', (kind, param, max) => {
    templates[kind].hasParameter(param, { Type: 'String', MaxLength: max, AllowedPattern: Match.anyValue() });
  });
});

describe('lane stack (ci/service-stack.yaml)', () => {
  it('declares exactly core’s LANE_STACK_PARAMETER_NAMES, in order', () => {
    expect(Object.keys(templates.lane.toJSON().Parameters)).toEqual([...LANE_STACK_PARAMETER_NAMES]);
  });

  it('refuses image tags ending in latest', () => {
    const pattern = new RegExp(templates.lane.toJSON().Parameters.ImageUri.AllowedPattern);
    expect(pattern.test('1.dkr.ecr.us-east-1.amazonaws.com/orders-dev:3f2a1bc0d9e8')).toBe(true);
    expect(pattern.test('1.dkr.ecr.us-east-1.amazonaws.com/orders-dev:latest')).toBe(false);
    expect(pattern.test('1.dkr.ecr.us-east-1.amazonaws.com/orders-dev:3f2a1bc.latest')).toBe(false);
    expect(pattern.test('1.dkr.ecr.us-east-1.amazonaws.com/orders-dev')).toBe(false);
  });

  it('puts ENV and LANE in the container and logs to the service group with the lane as stream prefix', () => {
    templates.lane.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: { Ref: 'TaskFamily' },
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [
        Match.objectLike({
          Image: { Ref: 'ImageUri' },
          Environment: Match.arrayWith([
            { Name: 'ENV', Value: { Ref: 'EnvName' } },
            { Name: 'LANE', Value: { Ref: 'LaneName' } },
          ]),
          LogConfiguration: {
            LogDriver: 'awslogs',
            Options: Match.objectLike({
              'awslogs-group': { 'Fn::ImportValue': { 'Fn::Sub': '${LogStackName}:LogGroupName' } },
              'awslogs-stream-prefix': { Ref: 'LaneName' },
            }),
          },
        }),
      ],
    });
  });

  it('runs a Fargate service with circuit breaker and rollback, registered in Cloud Map', () => {
    templates.lane.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: { Ref: 'EcsServiceName' },
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Strategy: { 'Fn::If': ['UseBlueGreen', 'BLUE_GREEN', 'ROLLING'] },
      }),
      ServiceRegistries: [
        { RegistryArn: { 'Fn::ImportValue': { 'Fn::Sub': '${SdStackName}:CloudMapServiceArn' } } },
      ],
    });
  });

  it('attaches the baseline to the default target group and other lanes to their own', () => {
    templates.lane.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [
        Match.objectLike({
          TargetGroupArn: {
            'Fn::If': [
              'IsBaselineLane',
              { 'Fn::ImportValue': { 'Fn::Sub': '${AlbStackName}:DefaultTargetGroupArn' } },
              { Ref: 'LaneTargetGroup' },
            ],
          },
        }),
      ],
    });
    templates.lane.hasCondition('IsBaselineLane', { 'Fn::Equals': [{ Ref: 'IsBaseline' }, 'true'] });
    templates.lane.hasResource('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Condition: 'IsRoutedLane',
      Properties: Match.objectLike({ Name: { Ref: 'TargetGroupName' }, TargetType: 'ip' }),
    });
  });

  it('routes a lane by core’s tracestate regex at the allocated priority, to the baseline until the lane is live', () => {
    templates.lane.hasResource('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Condition: 'UseRollingLane',
      DependsOn: Match.absent(),
      Properties: {
        ListenerArn: { 'Fn::ImportValue': { 'Fn::Sub': '${AlbStackName}:ListenerArn' } },
        Priority: { Ref: 'RulePriority' },
        Conditions: [
          {
            Field: 'http-header',
            HttpHeaderConfig: {
              HttpHeaderName: TRACESTATE_HEADER_NAME,
              RegexValues: [{ Ref: 'LaneMatchRegex' }],
            },
          },
        ],
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                {
                  TargetGroupArn: {
                    'Fn::ImportValue': { 'Fn::Sub': '${AlbStackName}:DefaultTargetGroupArn' },
                  },
                  Weight: { 'Fn::If': ['LaneTargetGroupLive', 0, 100] },
                },
                {
                  TargetGroupArn: { Ref: 'LaneTargetGroup' },
                  Weight: { 'Fn::If': ['LaneTargetGroupLive', 100, 0] },
                },
              ],
            },
          },
        ],
      },
    });
    expect(built.stacks.lane.laneRuleLogicalId).toBe('LaneRule');
  });

  it('refuses a non-baseline lane without an allocated priority (CloudFormation rule)', () => {
    const rules = templates.lane.toJSON().Rules;
    expect(rules.LanePriorityAllocated.RuleCondition).toEqual({
      'Fn::Equals': [{ Ref: 'IsBaseline' }, 'false'],
    });
    expect(JSON.stringify(rules.LanePriorityAllocated.Assertions)).toContain('RulePriority');
  });

  it('blue/green: alternate target group, production and test rules, bake time, validation hook', () => {
    templates.lane.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        BakeTimeInMinutes: {
          'Fn::If': ['UseBlueGreen', { Ref: 'BakeTimeMinutes' }, { Ref: 'AWS::NoValue' }],
        },
        LifecycleHooks: {
          'Fn::If': [
            'UseBlueGreen',
            [
              {
                HookTargetArn: { 'Fn::GetAtt': ['BlueGreenHookFunction', 'Arn'] },
                RoleArn: { 'Fn::GetAtt': ['BlueGreenHookInvokeRole', 'Arn'] },
                LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
              },
            ],
            { Ref: 'AWS::NoValue' },
          ],
        },
      }),
      LoadBalancers: [
        Match.objectLike({
          AdvancedConfiguration: {
            'Fn::If': [
              'UseBlueGreen',
              {
                AlternateTargetGroupArn: { Ref: 'AlternateTargetGroup' },
                ProductionListenerRule: { Ref: 'BlueGreenProductionRule' },
                TestListenerRule: { Ref: 'BlueGreenTestRule' },
                RoleArn: { 'Fn::GetAtt': ['BlueGreenLoadBalancerRole', 'Arn'] },
              },
              { Ref: 'AWS::NoValue' },
            ],
          },
        }),
      ],
    });
    templates.lane.hasResource('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Condition: 'UseBlueGreen',
      Properties: Match.objectLike({
        Priority: { Ref: 'TestRulePriority' },
        Conditions: [
          {
            Field: 'http-header',
            HttpHeaderConfig: { HttpHeaderName: { Ref: 'TestHeaderName' }, Values: [{ Ref: 'LaneName' }] },
          },
        ],
      }),
    });
    templates.lane.hasResource('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Condition: 'UseBlueGreen',
      Properties: Match.objectLike({ Name: { Ref: 'AlternateTargetGroupName' } }),
    });
    templates.lane.hasCondition('UseBlueGreen', {
      'Fn::And': [{ Condition: 'IsRoutedLane' }, { 'Fn::Equals': [{ Ref: 'BlueGreen' }, 'true'] }],
    });
  });

  it('the hook Lambda is inline and answers hookStatus', () => {
    const fns = templates.lane.findResources('AWS::Lambda::Function');
    const [fn] = Object.values(fns);
    const code: string = fn!.Properties.Code.ZipFile;
    expect(code).toContain('hookStatus');
    for (const status of ['SUCCEEDED', 'FAILED', 'IN_PROGRESS']) expect(code).toContain(status);
    expect(fn!.Condition).toBe('UseBlueGreen');
  });

  it('Service Connect is optional and carries TestTrafficRules for blue/green lanes', () => {
    templates.lane.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: {
        'Fn::If': [
          'UseServiceConnect',
          Match.objectLike({
            Enabled: true,
            Services: [
              Match.objectLike({
                ClientAliases: [
                  Match.objectLike({
                    TestTrafficRules: {
                      'Fn::If': [
                        'UseBlueGreen',
                        {
                          Header: { Name: { Ref: 'TestHeaderName' }, Value: { Exact: { Ref: 'LaneName' } } },
                        },
                        { Ref: 'AWS::NoValue' },
                      ],
                    },
                  }),
                ],
              }),
            ],
          }),
          { Ref: 'AWS::NoValue' },
        ],
      },
    });
  });

  it.each([
    [
      '5xx rate > 1 % over 5 minutes',
      'Http5xxRateAlarm',
      { Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' },
    ],
    [
      'unhealthy hosts > 0 for 3 periods',
      'UnhealthyHostsAlarm',
      { MetricName: 'UnHealthyHostCount', Threshold: 0, EvaluationPeriods: 3, Period: 60 },
    ],
    [
      'running < desired for 5 minutes',
      'RunningTasksAlarm',
      {
        MetricName: 'RunningTaskCount',
        Threshold: { Ref: 'DesiredCount' },
        EvaluationPeriods: 5,
        Period: 60,
        ComparisonOperator: 'LessThanThreshold',
      },
    ],
  ])('alarm: %s', (_what, logicalId, props) => {
    const alarm = templates.lane.toJSON().Resources[logicalId];
    expect(alarm.Properties).toMatchObject(props);
    expect(alarm.Properties.AlarmActions).toEqual({
      'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }],
    });
  });

  it('the 5xx alarm is metric math over 5 minutes', () => {
    const metrics = templates.lane.toJSON().Resources.Http5xxRateAlarm.Properties.Metrics;
    expect(metrics.find((m: { Id: string }) => m.Id === 'rate').Expression).toContain(
      '100 * FILL(errors, 0) / requests',
    );
    for (const id of ['errors', 'requests']) {
      expect(metrics.find((m: { Id: string }) => m.Id === id).MetricStat.Period).toBe(300);
    }
  });
});

describe('environment and service stacks', () => {
  it.each([
    ['network', 'network'],
    ['namespace', 'namespace'],
    ['sd', 'sd'],
    ['log', 'log'],
    ['alb', 'alb'],
    ['ecr', 'ecr'],
  ] as const)('%s exports every EXPORT_KEYS key as ${AWS::StackName}:Key', (kind, keys) => {
    for (const key of EXPORT_KEYS[keys]) {
      templates[kind].hasOutput('*', { Export: { Name: { 'Fn::Sub': `\${AWS::StackName}:${key}` } } });
    }
  });

  it.each([
    ['namespace', 'AWS::ServiceDiscovery::PrivateDnsNamespace', 'CreateNamespace', 'InitCloudMap'],
    ['log', 'AWS::Logs::LogGroup', 'CreateLogGroup', 'InitLog'],
    ['alb', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'CreateLoadBalancer', 'InitAlb'],
    ['alb', 'AWS::ElasticLoadBalancingV2::Listener', 'CreateLoadBalancer', 'InitAlb'],
    ['alb', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'CreateLoadBalancer', 'InitAlb'],
  ] as const)('%s: %s exists only under %s (parameter %s)', (kind, type, condition, param) => {
    templates[kind].hasResource(type, { Condition: condition });
    templates[kind].hasCondition(condition, { 'Fn::Equals': [{ Ref: param }, 'true'] });
  });

  it('the network stack wraps an existing VPC', () => {
    templates.network.hasParameter('VpcId', { Type: 'AWS::EC2::VPC::Id' });
    templates.network.hasParameter('PrivateSubnets', { Type: 'List<AWS::EC2::Subnet::Id>' });
    templates.network.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('the namespace stack creates {env}.local and the cluster with Container Insights', () => {
    templates.namespace.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: { Ref: 'NamespaceName' },
      Vpc: { 'Fn::ImportValue': { 'Fn::Sub': '${NetworkStackName}:VpcId' } },
    });
    templates.namespace.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: { Ref: 'ClusterName' },
      ClusterSettings: [{ Name: 'containerInsights', Value: Match.stringLikeRegexp('enabled|enhanced') }],
    });
  });

  it('the log group keeps 30 days', () => {
    templates.log.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { Ref: 'LogGroupName' },
      RetentionInDays: 30,
    });
  });

  it('the ALB has deletion protection and an HTTP:80 listener forwarding to the default target group', () => {
    templates.alb.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Name: { Ref: 'LoadBalancerName' },
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
    templates.alb.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'DefaultTargetGroup' } }],
    });
    templates.alb.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: { Ref: 'DefaultTargetGroupName' },
    });
  });

  it('the ECR repository has immutable tags and scan on push', () => {
    templates.ecr.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: { Ref: 'RepositoryName' },
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
    });
  });

  it('stack policies: no update of the listener, no replace/delete of shared resources', () => {
    const alb = built.policies.alb.Statement;
    expect(alb).toContainEqual({
      Effect: 'Deny',
      Principal: '*',
      Action: 'Update:*',
      Resource: ['LogicalResourceId/HttpListener'],
    });
    expect(alb).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: ['Update:Replace', 'Update:Delete'],
        Resource: expect.arrayContaining([
          'LogicalResourceId/LoadBalancer',
          'LogicalResourceId/DefaultTargetGroup',
        ]),
      }),
    );
    for (const kind of ['network', 'namespace', 'sd', 'log', 'ecr'] as const) {
      const [deny] = built.policies[kind].Statement;
      expect(deny).toMatchObject({ Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'] });
      for (const r of deny!.Resource as string[]) {
        expect(templates[kind].toJSON().Resources[r.replace('LogicalResourceId/', '')]).toBeDefined();
      }
    }
  });
});

describe('pipelines', () => {
  it.each(['pipelineInfra', 'pipelineBoot', 'pipelineApp'] as const)('%s is CodePipeline V2', (kind) => {
    templates[kind].hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
  });

  it('the app pipeline runs lanes in PARALLEL with variables lane, branch, commit (default: the branch tip), ttl and owner', () => {
    templates.pipelineApp.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ExecutionMode: 'PARALLEL',
      Variables: [
        Match.objectLike({ Name: 'lane', DefaultValue: { Ref: 'BaselineLane' } }),
        Match.objectLike({ Name: 'branch', DefaultValue: { Ref: 'AppBranch' } }),
        Match.objectLike({ Name: 'ttl', DefaultValue: 'default' }),
        Match.objectLike({ Name: 'owner', DefaultValue: 'unknown' }),
        Match.objectLike({ Name: 'commit', DefaultValue: 'tip' }),
      ],
      Stages: [
        Match.objectLike({ Name: 'Source' }),
        Match.objectLike({ Name: 'Build' }),
        Match.objectLike({ Name: 'Deploy' }),
        Match.objectLike({ Name: 'Verify' }),
      ],
    });
  });

  it('the Deploy job outlasts the longest bake time lanes.yaml accepts, plus the margin for hooks and rollout', () => {
    const deploy = templates.pipelineApp.toJSON().Resources.DeployProject.Properties;
    expect(deploy.TimeoutInMinutes).toBe(DEPLOY_JOB_TIMEOUT_MINUTES);
    expect(deploy.TimeoutInMinutes).toBeGreaterThanOrEqual(MAX_BAKE_TIME_MINUTES + DEPLOY_MARGIN_MINUTES);
  });

  it('the App source is a git clone for CodeBuild, so the branch variable can select the commit', () => {
    const stages = templates.pipelineApp.toJSON().Resources.Pipeline.Properties.Stages;
    const app = stages[0].Actions.find((a: { Name: string }) => a.Name === 'AppSource');
    expect(app.Configuration.OutputArtifactFormat).toBe('CODEBUILD_CLONE_REF');
    expect(app.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
    const build = stages[1].Actions[0];
    expect(build.InputArtifacts).toEqual([{ Name: 'InfraOut' }, { Name: 'AppOut' }]);
    expect(build.Configuration.PrimarySource).toBe('InfraOut');
    expect(JSON.parse(build.Configuration.EnvironmentVariables)).toEqual(
      expect.arrayContaining([
        { name: 'LANE', value: '#{variables.lane}', type: 'PLAINTEXT' },
        { name: 'BRANCH', value: '#{variables.branch}', type: 'PLAINTEXT' },
        { name: 'COMMIT', value: '#{variables.commit}', type: 'PLAINTEXT' },
      ]),
    );
    const deploy = stages[2].Actions[0];
    expect(JSON.parse(deploy.Configuration.EnvironmentVariables)).toContainEqual({
      name: 'IMAGE_URI',
      value: '#{Build.IMAGE_URI}',
      type: 'PLAINTEXT',
    });
    // the build role may use the App connection (git fetch of the branch)
    const buildRole = templates.pipelineApp.toJSON().Resources.BuildRole;
    expect(JSON.stringify(buildRole)).toContain('codeconnections:UseConnection');
  });

  it('every role of the app pipeline is denied the infra-* and boot-* stacks', () => {
    const roles = templates.pipelineApp.findResources('AWS::IAM::Role');
    expect(Object.keys(roles).sort()).toEqual([...built.stacks.pipelineApp.roleLogicalIds].sort());
    for (const role of Object.values(roles)) {
      const all = role.Properties.Policies.flatMap(
        (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
      );
      expect(all).toContainEqual({
        Sid: 'DenySharedStacks',
        Effect: 'Deny',
        Action: 'cloudformation:*',
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/infra-*/*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/boot-*/*' },
        ],
      });
    }
  });

  it('the app pipeline changes only app-{service}-{env}-* stacks', () => {
    for (const s of statements(templates.pipelineApp)) {
      const actions = ([] as string[]).concat(s.Action as string);
      const writes = actions.filter((a) => /^cloudformation:(Create|Update|Execute|Delete)/.test(a));
      if (s.Effect === 'Allow' && writes.length > 0) {
        expect(s.Resource).toEqual({
          'Fn::Sub':
            'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/app-${ServiceName}--${EnvName}-*/*',
        });
      }
    }
  });

  it('the Deploy job may pass only the lane stack role, only to CloudFormation', () => {
    templates.pipelineApp.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyName: 'lane-pipeline',
          PolicyDocument: Match.objectLike({
            Statement: Match.arrayWith([
              {
                Effect: 'Allow',
                Action: 'iam:PassRole',
                Resource: [{ 'Fn::GetAtt': ['LaneStackRole', 'Arn'] }],
                Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
              },
            ]),
          }),
        },
      ],
    });
  });

  it.each([
    ['pipelineInfra', ['Network', 'Namespace']],
    ['pipelineBoot', ['CloudMapService', 'LogGroup', 'Repository', 'LoadBalancer']],
  ] as const)('%s deploys %j through CloudFormation with parameter files', (kind, names) => {
    const stages = templates[kind].toJSON().Resources.Pipeline.Properties.Stages;
    const deploy = stages.find((s: { Name: string }) => s.Name === 'Deploy');
    expect(deploy.Actions.map((a: { Name: string }) => a.Name)).toEqual(names);
    for (const a of deploy.Actions) {
      expect(a.Configuration).toMatchObject({
        ActionMode: 'CREATE_UPDATE',
        RoleArn: { 'Fn::GetAtt': ['DeployRole', 'Arn'] },
      });
    }
  });
});

describe('ci/buildspec.yaml', () => {
  const text = buildspecYaml();
  it('builds from the App repo and the branch variable, tags with the commit, never latest', () => {
    expect(text).toContain('cd "$CODEBUILD_SRC_DIR_AppOut"');
    expect(text).toContain('git fetch --no-tags origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"');
    expect(text).toContain('IMAGE_URI="$REPOSITORY_URI:$(git rev-parse --short=12 HEAD)"');
    expect(text).toContain('docker build --tag "$IMAGE_URI" "$CODEBUILD_SRC_DIR_AppOut/$MODULE_PATH"');
    expect(text).not.toMatch(/latest/);
  });
  it('hands deploy and verify to lanes ci with exactly the agreed flags', () => {
    expect(text).toContain(
      'npx lanes ci deploy --service "$SERVICE" --env "$ENV_NAME" --lane "$LANE" --branch "$BRANCH" --image-uri "$IMAGE_URI"',
    );
    expect(text).toContain('npx lanes ci verify --service "$SERVICE" --env "$ENV_NAME" --lane "$LANE"');
  });
});
