/**
 * `ci/service-stack.yaml`, deployed as `app-{service}-{env}-{lane}` by `lanes ci deploy`: one lane of one
 * service. Its parameters are exactly core's `LANE_STACK_PARAMETER_NAMES`, their values computed by
 * `laneStackParameters`.
 *
 * - Task definition `{service}-{lane}-{env}-task` (env `ENV`, `LANE`; awslogs to `/ecs/{env}/{service}`,
 *   stream prefix = lane) and Fargate service `{service}-{env}-{lane}` registered in Cloud Map, with the
 *   deployment circuit breaker and rollback.
 * - Baseline lane (`IsBaseline`): attaches to the ALB's default target group; no rule.
 * - Other lanes: a target group and a listener rule matching core's `tracestate` regex at the allocated
 *   priority. ECS refuses a service whose target group no listener or rule forwards to, so the rule comes
 *   first: the service refers to it. Until the lane is healthy the rule forwards with weight 100 to the ALB's
 *   default target group (the baseline) and 0 to the lane's (`LiveTargetGroup` = `default`); the control
 *   plane shifts it (`LiveTargetGroup` = `lane`) once the stack is complete, that is once ECS reports the
 *   service stable. See docs/deploy-order.md.
 * - Blue/green lanes (`BlueGreen`, non-baseline): ECS-native `BLUE_GREEN` with an alternate target group,
 *   production and test rules (test traffic: header `TestHeaderName: <lane>`; the test rule always has the
 *   lower priority, so the hook's request meets it first), a bake time, and a lifecycle hook Lambda at
 *   `POST_TEST_TRAFFIC_SHIFT` that calls the health path through the test route. ECS rewrites both rules'
 *   weights when it swaps the target groups; `LiveTargetGroup` (`lane` or `alternate`, read from the live
 *   production rule by the control plane) makes any stack update write back the weights ECS set.
 * - Optional Service Connect, with `TestTrafficRules` on the client alias for blue/green lanes.
 * - Alarms: 5xx > 1 % over 5 minutes, UnHealthyHostCount > 0 for 3 minutes (on both target groups of a
 *   blue/green lane), running < desired for 5 minutes.
 * - Tasks register in Cloud Map with their container port (`AWS_INSTANCE_PORT`) and carry a container health
 *   check on the health path, which is what ECS reports to Cloud Map as the instance's health.
 */
import {
  AWS_NAME_RULES,
  LANE_STACK_PARAMETER_NAMES,
  LANE_TRACESTATE_KEY,
  LIVE_TARGET_GROUPS,
  MAX_BAKE_TIME_MINUTES,
  NAME_PARAMETER_RULES,
  SERVICE_CONNECT_NAME_RULES,
  TRACESTATE_HEADER_NAME,
} from '@ecs-lanes/core';
import { CfnCondition, CfnParameter, CfnRule, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnService, CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { CfnListenerRule, CfnTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BLUE_GREEN_HOOK_CODE } from './blue-green-hook.js';
import { trustPolicy } from './pipeline-kit.js';
import {
  acknowledge,
  arn,
  booleanParameter,
  ifString,
  importFrom,
  isTrue,
  nameParameter,
  onlyIf,
  templateStackProps,
} from './template-kit.js';

/** Properties of {@link LaneServiceStack}. */
export interface LaneServiceStackProps extends StackProps {
  /**
   * Name of the application container in the task definition.
   * @default 'app'
   */
  readonly containerName?: string;
  /**
   * Seconds ECS waits before load balancer health checks count against a new task.
   * @default 60
   */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * Lambda runtime of the blue/green validation hook.
   * @default 'nodejs24.x' (the latest Node.js runtime aws-cdk-lib knows)
   */
  readonly hookRuntime?: string;
}

/** Path of every IAM role a lane stack creates; the app pipeline may only create and pass roles under it. */
export const LANE_ROLE_PATH = '/ecs-lanes/${ServiceName}/${EnvName}/';

/** The lane stack. */
export class LaneServiceStack extends Stack {
  /** Logical id of the rolling lane's listener rule (the service refers to it, so it comes first). */
  readonly laneRuleLogicalId: string;
  /** Logical id of the ECS service. */
  readonly serviceLogicalId: string;

  constructor(scope: Construct, id: string, props: LaneServiceStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps(
        'ecs-lanes lane layer: one lane of one service (task definition, ECS service, target group, listener rule, alarms)',
        props,
      ),
    );
    const containerName = props.containerName ?? 'app';
    const p = this.declareParameters();
    const ref = (name: (typeof LANE_STACK_PARAMETER_NAMES)[number]) => p[name].valueAsString;

    // ---- conditions and rules
    const isBaseline = isTrue(this, 'IsBaselineLane', p.IsBaseline);
    const isLane = new CfnCondition(this, 'IsRoutedLane', { expression: Fn.conditionNot(isBaseline) });
    const blueGreenWanted = Fn.conditionEquals(ref('BlueGreen'), 'true');
    const useBlueGreen = new CfnCondition(this, 'UseBlueGreen', {
      expression: Fn.conditionAnd(isLane, blueGreenWanted),
    });
    const useRollingLane = new CfnCondition(this, 'UseRollingLane', {
      expression: Fn.conditionAnd(isLane, Fn.conditionNot(blueGreenWanted)),
    });
    const useServiceConnect = isTrue(this, 'UseServiceConnect', p.ServiceConnect);
    const laneTrafficLive = new CfnCondition(this, 'LaneTargetGroupLive', {
      expression: Fn.conditionEquals(ref('LiveTargetGroup'), 'lane'),
    });
    const alternateLive = new CfnCondition(this, 'AlternateTargetGroupLive', {
      expression: Fn.conditionEquals(ref('LiveTargetGroup'), 'alternate'),
    });
    const hasTopic = new CfnCondition(this, 'HasAlarmTopic', {
      expression: Fn.conditionNot(Fn.conditionEquals(ref('AlarmTopicArn'), '')),
    });
    new CfnRule(this, 'LanePriorityAllocated', {
      ruleCondition: Fn.conditionEquals(ref('IsBaseline'), 'false'),
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(ref('RulePriority'), '0')),
          assertDescription: 'A lane other than the baseline needs its allocated RulePriority (1-50000)',
        },
      ],
    });
    new CfnRule(this, 'BlueGreenTestPriorityAllocated', {
      ruleCondition: Fn.conditionAnd(
        Fn.conditionEquals(ref('IsBaseline'), 'false'),
        Fn.conditionEquals(ref('BlueGreen'), 'true'),
      ),
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(ref('TestRulePriority'), '0')),
          assertDescription: 'A blue/green lane needs its allocated TestRulePriority (1-50000)',
        },
        {
          assert: Fn.conditionNot(Fn.conditionEquals(ref('TestRulePriority'), ref('RulePriority'))),
          assertDescription: 'TestRulePriority must differ from RulePriority',
        },
      ],
    });

    // ---- imports
    const network = p.NetworkStackName;
    const alb = p.AlbStackName;
    const logGroupName = importFrom(p.LogStackName, 'LogGroupName');
    const vpcId = importFrom(network, 'VpcId');
    const listenerArn = importFrom(alb, 'ListenerArn');
    const repositoryName = Fn.select(0, Fn.split(':', Fn.select(1, Fn.split('/', ref('ImageUri')))));

    // ---- roles
    const trust = trustPolicy;
    const path = Fn.sub(LANE_ROLE_PATH);
    const executionRole = new CfnRole(this, 'ExecutionRole', {
      path,
      description: Fn.sub('ecs-lanes task execution role of ${EcsServiceName}'),
      assumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com'),
      policies: [
        {
          policyName: 'pull-image-and-log',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
              {
                Effect: 'Allow',
                Action: [
                  'ecr:BatchCheckLayerAvailability',
                  'ecr:BatchGetImage',
                  'ecr:GetDownloadUrlForLayer',
                ],
                Resource: arn('ecr', 'repository/${Repo}', { Repo: repositoryName }),
              },
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: Fn.join('', [arn('logs', 'log-group:'), logGroupName, ':log-stream:*']),
              },
            ],
          },
        },
        {
          // ECS reads the lane's secure configuration (container `Secrets`) with the execution role when a task
          // starts: ssm:GetParameters on the parameters, and nothing else with the default key alias/aws/ssm
          // (kms:Decrypt only for a customer managed key). Amazon ECS Developer Guide, "Amazon ECS task
          // execution IAM role", section "Required IAM permissions for Amazon ECS secrets",
          // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html.
          // Only below the service's own path: /{project}/{env}/{service}/ (its lanes' overrides included).
          policyName: 'read-own-config',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'ssm:GetParameters',
                Resource: arn('ssm', 'parameter${ConfigPath}/*'),
              },
            ],
          },
        },
      ],
    });
    acknowledge(
      executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the repository of ImageUri.',
    );
    acknowledge(
      executionRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter<ConfigPath>/*]',
      "Parameters are read only below the service's own configuration path; their names are the service's configuration keys, known at deploy time only.",
    );
    acknowledge(
      executionRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<LogStackName>:LogGroupName:log-stream:*]',
      'Log streams are created per task (prefix = lane) inside the one log group of the service.',
    );
    const taskRole = new CfnRole(this, 'TaskRole', {
      path,
      description: Fn.sub(
        'ecs-lanes task role of ${EcsServiceName} (no permissions; grant what the app needs)',
      ),
      assumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com'),
      policies: [
        {
          // The SDK's Cloud Map resolver calls DiscoverInstances. The action has no resource-level permissions; its
          // condition key servicediscovery:NamespaceName confines it to this environment's namespace.
          // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudmap.html
          policyName: 'discover-lanes',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'servicediscovery:DiscoverInstances',
                Resource: '*',
                Condition: {
                  StringEquals: {
                    'servicediscovery:NamespaceName': importFrom(p.NamespaceStackName, 'NamespaceName'),
                  },
                },
              },
            ],
          },
        },
      ],
    });
    acknowledge(
      taskRole,
      'AwsSolutions-IAM5[Resource::*]',
      "servicediscovery:DiscoverInstances has no resource-level permissions; the condition confines it to the environment's namespace.",
    );

    // ---- task definition
    const taskDefinition = new CfnTaskDefinition(this, 'TaskDefinition', {
      family: ref('TaskFamily'),
      cpu: ref('Cpu'),
      memory: ref('Memory'),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: executionRole.attrArn,
      taskRoleArn: taskRole.attrArn,
      containerDefinitions: [
        {
          name: containerName,
          image: ref('ImageUri'),
          essential: true,
          portMappings: [
            {
              name: 'http',
              containerPort: p.ContainerPort.valueAsNumber,
              protocol: 'tcp',
              appProtocol: 'http',
            },
          ],
          // ECS reports a task's health to Cloud Map from its container health check; without one the
          // instance is not HEALTHY and lane-aware callers drop it. Any of curl, wget or node answers it.
          healthCheck: {
            command: [
              'CMD-SHELL',
              Fn.sub(
                'U=http://127.0.0.1:${ContainerPort}${HealthPath}; curl -fsS -o /dev/null "$U" 2>/dev/null || wget -q -O /dev/null "$U" 2>/dev/null || node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$U" || exit 1',
              ),
            ],
            interval: 15,
            timeout: 5,
            retries: 3,
            startPeriod: 30,
          },
          environment: [
            { name: 'ENV', value: ref('EnvName') },
            { name: 'LANE', value: ref('LaneName') },
            { name: 'PORT', value: ref('ContainerPort') },
          ],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroupName,
              'awslogs-region': Fn.ref('AWS::Region'),
              'awslogs-stream-prefix': ref('LaneName'),
            },
          },
        },
      ],
    });
    acknowledge(
      taskDefinition,
      'AwsSolutions-ECS2',
      'ENV, LANE and PORT are the lane identity the SDK reads, not secrets; secrets belong in the task role and Secrets Manager.',
    );

    // ---- target groups
    const targetGroup = (logicalId: string, name: string, condition: CfnCondition) => {
      const tg = new CfnTargetGroup(this, logicalId, {
        name,
        targetType: 'ip',
        protocol: 'HTTP',
        port: p.ContainerPort.valueAsNumber,
        vpcId,
        healthCheckPath: ref('HealthPath'),
        healthCheckIntervalSeconds: 15,
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
        matcher: { httpCode: '200-399' },
        targetGroupAttributes: [{ key: 'deregistration_delay.timeout_seconds', value: '30' }],
      });
      tg.cfnOptions.condition = condition;
      return tg;
    };
    const laneTg = targetGroup('LaneTargetGroup', ref('TargetGroupName'), isLane);
    const altTg = targetGroup('AlternateTargetGroup', ref('AlternateTargetGroupName'), useBlueGreen);

    const laneCondition = {
      field: 'http-header',
      httpHeaderConfig: { httpHeaderName: TRACESTATE_HEADER_NAME, regexValues: [ref('LaneMatchRegex')] },
    };
    const weight = (condition: CfnCondition, whenTrue: number, whenFalse: number) =>
      Fn.conditionIf(condition.logicalId, whenTrue, whenFalse) as unknown as number;
    // Blue/green: both rules carry the weights ECS set last (LiveTargetGroup), never a reset to LaneTargetGroup.
    const weighted = {
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { targetGroupArn: laneTg.ref, weight: weight(alternateLive, 0, 100) },
          { targetGroupArn: altTg.ref, weight: weight(alternateLive, 100, 0) },
        ],
      },
    };

    // Rolling lanes: the rule exists before the service (ECS needs it) and sends the lane's requests to the
    // baseline until the control plane shifts them to the lane's healthy targets.
    const laneRule = new CfnListenerRule(this, 'LaneRule', {
      listenerArn,
      priority: p.RulePriority.valueAsNumber,
      conditions: [laneCondition],
      actions: [
        {
          type: 'forward',
          forwardConfig: {
            targetGroups: [
              {
                targetGroupArn: importFrom(alb, 'DefaultTargetGroupArn'),
                weight: weight(laneTrafficLive, 0, 100),
              },
              { targetGroupArn: laneTg.ref, weight: weight(laneTrafficLive, 100, 0) },
            ],
          },
        },
      ],
    });
    laneRule.cfnOptions.condition = useRollingLane;

    // Blue/green lanes: ECS shifts these two rules between the target groups.
    const prodRule = new CfnListenerRule(this, 'BlueGreenProductionRule', {
      listenerArn,
      priority: p.RulePriority.valueAsNumber,
      conditions: [laneCondition],
      actions: [weighted],
    });
    prodRule.cfnOptions.condition = useBlueGreen;
    const testRule = new CfnListenerRule(this, 'BlueGreenTestRule', {
      listenerArn,
      priority: p.TestRulePriority.valueAsNumber,
      conditions: [
        {
          field: 'http-header',
          httpHeaderConfig: { httpHeaderName: ref('TestHeaderName'), values: [ref('LaneName')] },
        },
      ],
      actions: [weighted],
    });
    testRule.cfnOptions.condition = useBlueGreen;
    // cfn-lint W1030 reads the priority parameters' MinValue 0 as a possible rule priority. 0 means "no rule"
    // (the baseline lane, or a rolling lane's test rule): the rules' Conditions are false then, so no rule is ever
    // created with it. cfn-lint reports this on the parameter, so the suppression is template-wide, for W1030 only.
    this.templateOptions.metadata = {
      ...this.templateOptions.metadata,
      'cfn-lint': { config: { ignore_checks: ['W1030'] } },
    };
    for (const rule of [prodRule, testRule]) {
      acknowledge(
        rule,
        'CloudFormation-Validate::W1028',
        'Both branches of Fn::If(AlternateTargetGroupLive) are reachable: LiveTargetGroup is lane or alternate for a blue/green lane (the validator misreads conditions nested under UseBlueGreen).',
      );
    }

    const lbRole = new CfnRole(this, 'BlueGreenLoadBalancerRole', {
      path,
      description: Fn.sub('ECS shifts traffic between the target groups of ${EcsServiceName}'),
      assumeRolePolicyDocument: trust('ecs.amazonaws.com'),
      policies: [
        {
          policyName: 'shift-traffic',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: [
                  'elasticloadbalancing:DescribeListeners',
                  'elasticloadbalancing:DescribeRules',
                  'elasticloadbalancing:DescribeTargetGroups',
                  'elasticloadbalancing:DescribeTargetHealth',
                ],
                Resource: '*',
              },
              {
                Effect: 'Allow',
                Action: 'elasticloadbalancing:ModifyRule',
                Resource: [prodRule.ref, testRule.ref],
              },
              {
                Effect: 'Allow',
                Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
                Resource: [laneTg.ref, altTg.ref],
              },
            ],
          },
        },
      ],
    });
    lbRole.cfnOptions.condition = useBlueGreen;
    acknowledge(
      lbRole,
      'AwsSolutions-IAM5[Resource::*]',
      'elasticloadbalancing:Describe* actions have no resource-level permissions; modifications are limited to this lane.',
    );

    // ---- validation hook (blue/green)
    const hookLogGroup = new CfnLogGroup(this, 'BlueGreenHookLogGroup', { retentionInDays: 30 });
    hookLogGroup.cfnOptions.condition = useBlueGreen;
    const hookFunctionRole = new CfnRole(this, 'BlueGreenHookFunctionRole', {
      path,
      description: Fn.sub('Validation hook of ${EcsServiceName}'),
      assumeRolePolicyDocument: trust('lambda.amazonaws.com'),
      policies: [
        {
          policyName: 'log',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: hookLogGroup.attrArn,
              },
            ],
          },
        },
      ],
    });
    hookFunctionRole.cfnOptions.condition = useBlueGreen;
    const hook = new CfnFunction(this, 'BlueGreenHookFunction', {
      description: Fn.sub(
        'ecs-lanes: validates ${EcsServiceName} through the test route before production traffic',
      ),
      runtime: props.hookRuntime ?? Runtime.NODEJS_24_X.name,
      handler: 'index.handler',
      role: hookFunctionRole.attrArn,
      timeout: 30,
      memorySize: 128,
      code: { zipFile: BLUE_GREEN_HOOK_CODE },
      loggingConfig: { logGroup: hookLogGroup.ref, logFormat: 'JSON' },
      environment: {
        variables: {
          TARGET_URL: Fn.join('', ['http://', importFrom(alb, 'LoadBalancerDnsName'), ref('HealthPath')]),
          TEST_HEADER: ref('TestHeaderName'),
          LANE: ref('LaneName'),
          TRACESTATE_KEY: LANE_TRACESTATE_KEY,
        },
      },
    });
    hook.cfnOptions.condition = useBlueGreen;
    const hookInvokeRole = new CfnRole(this, 'BlueGreenHookInvokeRole', {
      path,
      description: Fn.sub('ECS invokes the validation hook of ${EcsServiceName}'),
      assumeRolePolicyDocument: trust('ecs.amazonaws.com'),
      policies: [
        {
          policyName: 'invoke-hook',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: hook.attrArn }],
          },
        },
      ],
    });
    hookInvokeRole.cfnOptions.condition = useBlueGreen;

    // ---- the ECS service
    const service = new CfnService(this, 'Service', {
      serviceName: ref('EcsServiceName'),
      cluster: ref('ClusterName'),
      launchType: 'FARGATE',
      taskDefinition: taskDefinition.ref,
      desiredCount: p.DesiredCount.valueAsNumber,
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 60,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        strategy: ifString(useBlueGreen, 'BLUE_GREEN', 'ROLLING'),
        minimumHealthyPercent: 100,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        bakeTimeInMinutes: onlyIf(useBlueGreen, ref('BakeTimeMinutes')) as unknown as number,
        lifecycleHooks: onlyIf(useBlueGreen, [
          // Raw CloudFormation inside Fn::If: property names as CloudFormation spells them.
          {
            HookTargetArn: hook.attrArn,
            RoleArn: hookInvokeRole.attrArn,
            LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          },
        ]),
      },
      networkConfiguration: {
        awsvpcConfiguration: {
          assignPublicIp: 'DISABLED',
          subnets: Fn.split(',', importFrom(network, 'PrivateSubnets')),
          securityGroups: Fn.split(
            ',',
            Fn.join(',', [importFrom(alb, 'ServiceSecurityGroupId'), importFrom(network, 'SecurityGroups')]),
          ),
        },
      },
      loadBalancers: [
        {
          containerName,
          containerPort: p.ContainerPort.valueAsNumber,
          targetGroupArn: ifString(isBaseline, importFrom(alb, 'DefaultTargetGroupArn'), laneTg.ref),
          advancedConfiguration: onlyIf(useBlueGreen, {
            AlternateTargetGroupArn: altTg.ref,
            ProductionListenerRule: prodRule.ref,
            TestListenerRule: testRule.ref,
            RoleArn: lbRole.attrArn,
          }),
        },
      ],
      // With the container port, ECS registers AWS_INSTANCE_PORT (and the SRV record) for each task.
      serviceRegistries: [
        {
          registryArn: importFrom(p.SdStackName, 'CloudMapServiceArn'),
          containerName,
          containerPort: p.ContainerPort.valueAsNumber,
        },
      ],
      serviceConnectConfiguration: onlyIf(useServiceConnect, {
        Enabled: true,
        Namespace: importFrom(p.NamespaceStackName, 'NamespaceName'),
        Services: [
          {
            PortName: 'http',
            DiscoveryName: ref('ServiceConnectDiscoveryName'),
            ClientAliases: [
              {
                Port: p.ContainerPort.valueAsNumber,
                DnsName: ref('ServiceConnectDnsName'),
                TestTrafficRules: onlyIf(useBlueGreen, {
                  Header: { Name: ref('TestHeaderName'), Value: { Exact: ref('LaneName') } },
                }),
              },
            ],
          },
        ],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: {
            'awslogs-group': logGroupName,
            'awslogs-region': Fn.ref('AWS::Region'),
            'awslogs-stream-prefix': Fn.sub('${LaneName}-connect'),
          },
        },
      }),
      tags: [
        { key: 'ecs-lanes:lane', value: ref('LaneName') },
        { key: 'ecs-lanes:env', value: ref('EnvName') },
        // The rule that forwards to the lane's target group, referenced so that CloudFormation creates it
        // before the service (a DependsOn on a rule absent under some conditions is a template error).
        {
          key: 'ecs-lanes:listener-rule',
          value: ifString(useRollingLane, laneRule.ref, ifString(useBlueGreen, prodRule.ref, 'none')),
        },
      ],
    });
    this.laneRuleLogicalId = this.getLogicalId(laneRule);
    this.serviceLogicalId = this.getLogicalId(service);

    // ---- alarms
    const alarmActions = onlyIf(hasTopic, [ref('AlarmTopicArn')]) as unknown as string[];
    const tgFullName = ifString(
      isBaseline,
      importFrom(alb, 'DefaultTargetGroupFullName'),
      laneTg.attrTargetGroupFullName,
    );
    const lbFullName = importFrom(alb, 'LoadBalancerFullName');
    const dimensionsOf = (targetGroupFullName: string) => [
      { name: 'TargetGroup', value: targetGroupFullName },
      { name: 'LoadBalancer', value: lbFullName },
    ];
    const albDimensions = dimensionsOf(tgFullName);
    const albMetric = (id: string, metricName: string, dimensions = albDimensions) => ({
      id,
      returnData: false,
      metricStat: {
        metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions },
        period: 300,
        stat: 'Sum',
      },
    });
    // After a blue/green swap the alternate target group is the live one: alarm on both.
    const http5xxAlarm = (id: string, suffix: string, dimensions: typeof albDimensions, which: string) =>
      new CfnAlarm(this, id, {
        alarmName: Fn.sub(`\${AlarmPrefix}-5xx-rate${suffix}`),
        alarmDescription: Fn.sub(
          `More than 1 % of the requests to lane \${LaneName} of \${ServiceName}${which} failed with 5xx over 5 minutes`,
        ),
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        metrics: [
          albMetric('errors', 'HTTPCode_Target_5XX_Count', dimensions),
          albMetric('requests', 'RequestCount', dimensions),
          {
            id: 'rate',
            label: '5xx %',
            returnData: true,
            expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
          },
        ],
        alarmActions,
      });
    const unhealthyAlarm = (id: string, suffix: string, dimensions: typeof albDimensions, which: string) =>
      new CfnAlarm(this, id, {
        alarmName: Fn.sub(`\${AlarmPrefix}-unhealthy-hosts${suffix}`),
        alarmDescription: Fn.sub(
          `Lane \${LaneName} of \${ServiceName} has unhealthy targets${which} for 3 checks`,
        ),
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions,
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 3,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        alarmActions,
      });
    const altDimensions = dimensionsOf(altTg.attrTargetGroupFullName);
    const alternateAlarms = [
      http5xxAlarm('Http5xxRateAlternateAlarm', '-alt', altDimensions, ' (alternate target group)'),
      unhealthyAlarm('UnhealthyHostsAlternateAlarm', '-alt', altDimensions, ' (alternate target group)'),
    ];
    for (const alarm of alternateAlarms) {
      alarm.cfnOptions.condition = useBlueGreen;
      acknowledge(
        alarm,
        'CloudFormation-Validate::W1028',
        'Both branches of Fn::If(HasAlarmTopic) are reachable under UseBlueGreen: AlarmTopicArn is independent of BlueGreen.',
      );
    }
    const alarms = [
      http5xxAlarm('Http5xxRateAlarm', '', albDimensions, ''),
      unhealthyAlarm('UnhealthyHostsAlarm', '', albDimensions, ''),
      ...alternateAlarms,
      new CfnAlarm(this, 'RunningTasksAlarm', {
        alarmName: Fn.sub('${AlarmPrefix}-running-below-desired'),
        alarmDescription: Fn.sub(
          'Lane ${LaneName} of ${ServiceName} runs fewer tasks than desired for 5 minutes',
        ),
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensions: [
          { name: 'ClusterName', value: ref('ClusterName') },
          { name: 'ServiceName', value: ref('EcsServiceName') },
        ],
        statistic: 'Minimum',
        period: 60,
        evaluationPeriods: 5,
        threshold: p.DesiredCount.valueAsNumber,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
        alarmActions,
      }),
    ];
    for (const alarm of alarms) {
      acknowledge(
        alarm,
        'CloudFormation-Validate::W1030',
        'AlarmActions refers to AlarmTopicArn only under Fn::If(HasAlarmTopic); an empty topic is never used.',
      );
    }
  }

  /** Declares exactly core's `LANE_STACK_PARAMETER_NAMES`, in order, each constrained. */
  private declareParameters(): Record<(typeof LANE_STACK_PARAMETER_NAMES)[number], CfnParameter> {
    const str = (
      id: string,
      description: string,
      extra: Partial<ConstructorParameters<typeof CfnParameter>[2]> = {},
    ) => new CfnParameter(this, id, { type: 'String', description, ...extra });
    const num = (id: string, description: string, min: number, max: number) =>
      new CfnParameter(this, id, { type: 'Number', description, minValue: min, maxValue: max });
    const bool = (id: string, description: string) => booleanParameter(this, id, description);
    const stack = (id: string, what: string) =>
      nameParameter(this, id, AWS_NAME_RULES.stack, `Name of the ${what} stack`);
    const make: Record<(typeof LANE_STACK_PARAMETER_NAMES)[number], () => CfnParameter> = {
      ServiceName: () => nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name'),
      EnvName: () => nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name'),
      LaneName: () => nameParameter(this, 'LaneName', NAME_PARAMETER_RULES.lane, 'Lane name'),
      IsBaseline: () =>
        bool('IsBaseline', 'true for the baseline lane: it attaches to the default target group'),
      ClusterName: () => nameParameter(this, 'ClusterName', AWS_NAME_RULES.ecs, 'ECS cluster'),
      TaskFamily: () => nameParameter(this, 'TaskFamily', AWS_NAME_RULES.ecs, 'Task definition family'),
      EcsServiceName: () => nameParameter(this, 'EcsServiceName', AWS_NAME_RULES.ecs, 'ECS service name'),
      TargetGroupName: () => nameParameter(this, 'TargetGroupName', AWS_NAME_RULES.elb, 'Lane target group'),
      AlternateTargetGroupName: () =>
        nameParameter(
          this,
          'AlternateTargetGroupName',
          AWS_NAME_RULES.elb,
          'Blue/green alternate target group',
        ),
      AlarmPrefix: () =>
        nameParameter(this, 'AlarmPrefix', { ...AWS_NAME_RULES.alarm, maxLength: 200 }, 'Alarm name prefix'),
      ImageUri: () =>
        str('ImageUri', 'Image with its commit tag (never latest)', {
          allowedPattern:
            '^[a-z0-9][a-z0-9.-]*(?::[0-9]+)?/[a-z0-9][a-z0-9._/-]*:(?![A-Za-z0-9_.-]*latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
          maxLength: 512,
          constraintDescription: 'must be registry/repository:tag with a commit tag; latest is refused',
        }),
      ContainerPort: () => num('ContainerPort', 'Port the container listens on', 1, 65535),
      HealthPath: () =>
        str('HealthPath', 'Health check path', { allowedPattern: '^/[\\x21-\\x7e]*$', maxLength: 1024 }),
      Cpu: () =>
        str('Cpu', 'Fargate CPU units', {
          allowedValues: ['256', '512', '1024', '2048', '4096', '8192', '16384'],
        }),
      Memory: () => num('Memory', 'Fargate memory (MiB)', 512, 122880),
      DesiredCount: () => num('DesiredCount', 'Tasks to run', 0, 100),
      RulePriority: () =>
        num('RulePriority', 'Allocated listener rule priority (0 for the baseline)', 0, 50000),
      TestRulePriority: () =>
        num('TestRulePriority', 'Allocated test rule priority of a blue/green lane (else 0)', 0, 50000),
      LaneMatchRegex: () =>
        str('LaneMatchRegex', 'tracestate regex matching ctx=lane:<lane> (computed by core)', {
          minLength: 1,
          maxLength: 128,
        }),
      BlueGreen: () =>
        bool('BlueGreen', 'Deploy with the ECS-native BLUE_GREEN strategy (non-baseline lanes)'),
      BakeTimeMinutes: () =>
        num('BakeTimeMinutes', 'Blue/green bake time in minutes', 0, MAX_BAKE_TIME_MINUTES),
      TestHeaderName: () =>
        str('TestHeaderName', 'Header selecting blue/green test traffic (value: the lane)', {
          allowedPattern: '^[A-Za-z0-9-]{1,40}$',
        }),
      ServiceConnect: () => bool('ServiceConnect', 'Enable ECS Service Connect'),
      NetworkStackName: () => stack('NetworkStackName', 'network'),
      NamespaceStackName: () => stack('NamespaceStackName', 'namespace'),
      SdStackName: () => stack('SdStackName', 'Cloud Map service'),
      LogStackName: () => stack('LogStackName', 'log group'),
      AlbStackName: () => stack('AlbStackName', 'load balancer'),
      AlarmTopicArn: () =>
        str('AlarmTopicArn', 'SNS topic notified by the alarms (empty: none)', {
          default: '',
          allowedPattern: '^(?:arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]+)?$',
        }),
      ConfigPath: () =>
        str(
          'ConfigPath',
          "The service's Parameter Store path /{project}/{env}/{service} (computed by core)",
          {
            allowedPattern: '^(/[A-Za-z0-9_.-]+){3}$',
            maxLength: 200,
          },
        ),
      LiveTargetGroup: () =>
        str(
          'LiveTargetGroup',
          'Where the lane rules send lane traffic: default (the baseline, until the lane is stable), lane, or alternate (blue/green after a swap); set by the control plane',
          { allowedValues: [...LIVE_TARGET_GROUPS], default: 'default' },
        ),
      ServiceConnectDiscoveryName: () =>
        str('ServiceConnectDiscoveryName', 'Service Connect discoveryName (computed by core)', {
          allowedPattern: SERVICE_CONNECT_NAME_RULES.discoveryName.pattern.source,
          maxLength: SERVICE_CONNECT_NAME_RULES.discoveryName.maxLength,
        }),
      ServiceConnectDnsName: () =>
        str(
          'ServiceConnectDnsName',
          'Service Connect client alias dnsName, one DNS label (computed by core)',
          {
            allowedPattern: SERVICE_CONNECT_NAME_RULES.dnsLabel.pattern.source,
            maxLength: SERVICE_CONNECT_NAME_RULES.dnsLabel.maxLength,
          },
        ),
    };
    const out = {} as Record<(typeof LANE_STACK_PARAMETER_NAMES)[number], CfnParameter>;
    for (const name of LANE_STACK_PARAMETER_NAMES) out[name] = make[name]();
    return out;
  }
}
