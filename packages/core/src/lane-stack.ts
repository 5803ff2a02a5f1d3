/**
 * The contract between the lane stack template (`ci/service-stack.yaml`, built by `@ecs-lanes/cdk`) and
 * whoever deploys it (`lanes ci`, `lanes deploy`): the parameter names and how each value is computed.
 * Both sides import this module, and the cross-stack contract test checks the template against it.
 */

import { laneMatchRegex } from './alb-match.js';
import type { AwsEnvironmentConfig, LanesConfig, ServiceConfig } from './config.js';
import { clusterNameOf } from './config.js';
import { configNames, environmentNames, laneNames, serviceConnectNames, serviceNames } from './naming.js';

/** Tag keys set on every lane stack; `lanes ls` finds lanes by them. */
export const LANE_TAGS = {
  project: 'ecs-lanes:project',
  service: 'ecs-lanes:service',
  env: 'ecs-lanes:env',
  lane: 'ecs-lanes:lane',
  branch: 'ecs-lanes:branch',
  imageTag: 'ecs-lanes:image-tag',
} as const;

/** Every parameter of the lane stack template, in template order. */
export const LANE_STACK_PARAMETER_NAMES = [
  'ServiceName',
  'EnvName',
  'LaneName',
  'IsBaseline',
  'ClusterName',
  'TaskFamily',
  'EcsServiceName',
  'TargetGroupName',
  'AlternateTargetGroupName',
  'AlarmPrefix',
  'ImageUri',
  'ContainerPort',
  'HealthPath',
  'Cpu',
  'Memory',
  'DesiredCount',
  'RulePriority',
  'TestRulePriority',
  'LaneMatchRegex',
  'BlueGreen',
  'BakeTimeMinutes',
  'TestHeaderName',
  'ServiceConnect',
  'NetworkStackName',
  'NamespaceStackName',
  'SdStackName',
  'LogStackName',
  'AlbStackName',
  'AlarmTopicArn',
  'ConfigPath',
  'LiveTargetGroup',
  'ServiceConnectDiscoveryName',
  'ServiceConnectDnsName',
] as const;

/**
 * Where a lane's listener rules send the lane's traffic (parameter `LiveTargetGroup`):
 * - `default`: a rolling lane's rule forwards with weight 100 to the ALB's default target group (the
 *   baseline) and 0 to the lane's own, so the rule exists before the service (ECS needs it) while no lane
 *   request meets an empty target group; the control plane shifts it to `lane` once the stack is complete;
 * - `lane`: the lane's target group has weight 100 (a rolling lane in service; a blue/green lane whose
 *   `LaneTargetGroup` is live);
 * - `alternate`: a blue/green lane whose `AlternateTargetGroup` is live (ECS swapped them), so that a
 *   stack update writes back the weights ECS set instead of resetting them.
 */
export const LIVE_TARGET_GROUPS = ['default', 'lane', 'alternate'] as const;
/** A value of the `LiveTargetGroup` parameter; see {@link LIVE_TARGET_GROUPS}. */
export type LiveTargetGroup = (typeof LIVE_TARGET_GROUPS)[number];

/** A lane stack parameter name. */
export type LaneStackParameterName = (typeof LANE_STACK_PARAMETER_NAMES)[number];

/** What {@link laneStackParameters} needs. */
export interface LaneStackInput {
  readonly config: LanesConfig;
  readonly env: AwsEnvironmentConfig;
  readonly service: ServiceConfig;
  readonly lane: string;
  /** Full image URI with its tag (the commit), for example `123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-dev:3f2a1bc`. */
  readonly imageUri: string;
  /** The listener-rule priority allocated for the lane; ignored for the baseline. @default 0 */
  readonly rulePriority?: number;
  /** The test-rule priority of a blue/green lane. @default 0 */
  readonly testRulePriority?: number;
  /**
   * Where the lane's rules send its traffic (see {@link LIVE_TARGET_GROUPS}).
   * @default 'lane' for a blue/green lane, else 'default' (no lane traffic until the control plane shifts it)
   */
  readonly liveTargetGroup?: LiveTargetGroup;
}

/** The lane stack's parameter values, every name computed by `naming.ts`. */
export function laneStackParameters(input: LaneStackInput): Record<LaneStackParameterName, string> {
  const { config, env, service, lane } = input;
  const envNames = environmentNames(env.name);
  const svcNames = serviceNames(service.name, env.name);
  const names = laneNames(service.name, env.name, lane);
  const baseline = lane === env.baselineLane;
  const connect = serviceConnectNames(service.name, env.name, lane, baseline);
  return {
    ServiceName: service.name,
    EnvName: env.name,
    LaneName: lane,
    IsBaseline: String(baseline),
    ClusterName: clusterNameOf(config, env),
    TaskFamily: names.taskFamily,
    EcsServiceName: names.ecsService,
    TargetGroupName: names.targetGroup,
    AlternateTargetGroupName: names.alternateTargetGroup,
    AlarmPrefix: names.alarmPrefix,
    ImageUri: input.imageUri,
    ContainerPort: String(service.port),
    HealthPath: service.healthPath,
    Cpu: String(service.cpu),
    Memory: String(service.memory),
    DesiredCount: String(service.desiredCount),
    RulePriority: String(baseline ? 0 : (input.rulePriority ?? 0)),
    TestRulePriority: String(input.testRulePriority ?? 0),
    LaneMatchRegex: laneMatchRegex(lane),
    BlueGreen: String(service.blueGreen.enabled),
    BakeTimeMinutes: String(service.blueGreen.bakeTimeMinutes),
    TestHeaderName: service.blueGreen.testHeaderName,
    ServiceConnect: String(service.serviceConnect),
    NetworkStackName: envNames.networkStack,
    NamespaceStackName: envNames.namespaceStack,
    SdStackName: svcNames.sdStack,
    LogStackName: svcNames.logStack,
    AlbStackName: svcNames.albStack,
    AlarmTopicArn: env.alarmTopicArn ?? '',
    // The service's Parameter Store path: the execution role may read only below it (secrets of the lane).
    ConfigPath: configNames(config.project, env.name, service.name).serviceRoot,
    LiveTargetGroup: input.liveTargetGroup ?? (service.blueGreen.enabled && !baseline ? 'lane' : 'default'),
    ServiceConnectDiscoveryName: connect.discoveryName,
    ServiceConnectDnsName: connect.dnsName,
  };
}

/** The tags of a lane stack. */
export function laneStackTags(
  config: LanesConfig,
  ref: { service: string; env: string; lane: string },
  build: { branch: string; imageTag: string },
): Record<string, string> {
  return {
    [LANE_TAGS.project]: config.project,
    [LANE_TAGS.service]: ref.service,
    [LANE_TAGS.env]: ref.env,
    [LANE_TAGS.lane]: ref.lane,
    [LANE_TAGS.branch]: build.branch,
    [LANE_TAGS.imageTag]: build.imageTag,
  };
}
