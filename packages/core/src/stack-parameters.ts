/**
 * The contracts between the generic templates of the environment, service and pipeline stacks (built by
 * `@ecs-lanes/cdk`) and whoever deploys them (`lanes synth` parameter files, the pipelines, the control
 * plane): each stack's parameter names, and how every value is computed from the config and `naming.ts`.
 * The lane stack's contract is `lane-stack.ts`. The cross-stack contract test checks every template against
 * these lists, both ways.
 *
 * CloudFormation cannot hash, so computed names reach the templates as parameters; the templates constrain
 * them with {@link NAME_PARAMETER_RULES} and `AWS_NAME_RULES`.
 */

import type { AwsEnvironmentConfig, LanesConfig, ServiceConfig } from './config.js';
import {
  clusterNameOf,
  ENV_PATTERN,
  MAX_ENV_NAME_LENGTH,
  MAX_SERVICE_NAME_LENGTH,
  SERVICE_PATTERN,
} from './config.js';
import { MAX_LANE_LENGTH } from './lane.js';
import { configNames, environmentNames, laneTargetGroupNamePrefix, serviceNames } from './naming.js';

/** `MaxLength` and `AllowedPattern` of a template parameter carrying a name the config declares. */
export interface NameParameterRule {
  /** Maximum length in characters. */
  readonly maxLength: number;
  /** CloudFormation `AllowedPattern` (a Java regular expression, anchored). */
  readonly pattern: string;
}

/**
 * Template-parameter rules for the names the user declares (service, environment, lane). Lanes share the
 * service grammar (lowercase letters, digits, single hyphens, no trailing hyphen), with their own length.
 */
export const NAME_PARAMETER_RULES = {
  service: { maxLength: MAX_SERVICE_NAME_LENGTH, pattern: SERVICE_PATTERN.source },
  env: { maxLength: MAX_ENV_NAME_LENGTH, pattern: ENV_PATTERN.source },
  lane: { maxLength: MAX_LANE_LENGTH, pattern: SERVICE_PATTERN.source },
} as const satisfies Record<string, NameParameterRule>;

/** The string CloudFormation boolean parameters take. */
export type CfnBoolean = 'true' | 'false';

const bool = (v: boolean): CfnBoolean => (v ? 'true' : 'false');

// ---------------------------------------------------------------- environment layer

/** Parameters of `env/network-stack.yaml` (stack `infra-network-{env}`). */
export const NETWORK_STACK_PARAMETER_NAMES = ['EnvName', 'VpcId', 'PrivateSubnets', 'PublicSubnets'] as const;
/** A network stack parameter name. */
export type NetworkStackParameterName = (typeof NETWORK_STACK_PARAMETER_NAMES)[number];

/** The network stack's parameter values for `env`. */
export function networkStackParameters(env: AwsEnvironmentConfig): Record<NetworkStackParameterName, string> {
  return {
    EnvName: env.name,
    VpcId: env.vpcId,
    PrivateSubnets: env.privateSubnets.join(','),
    PublicSubnets: env.publicSubnets.join(','),
  };
}

/** Parameters of `env/namespace-stack.yaml` (stack `infra-namespace-{env}`). */
export const NAMESPACE_STACK_PARAMETER_NAMES = [
  'EnvName',
  'NamespaceName',
  'ClusterName',
  'InitCloudMap',
  'ExistingNamespaceId',
  'NetworkStackName',
  'ProjectName',
  'ConnectionArn',
  'InfraRepository',
  'InfraBranch',
  'GcSchedule',
] as const;
/** A namespace stack parameter name. */
export type NamespaceStackParameterName = (typeof NAMESPACE_STACK_PARAMETER_NAMES)[number];

/**
 * The namespace stack's parameter values. With `initCloudMap: false` the namespace `{env}.local` must
 * already exist: its id goes in `ExistingNamespaceId` (the template refuses an empty one).
 */
export function namespaceStackParameters(
  config: LanesConfig,
  env: AwsEnvironmentConfig,
  existing: { readonly namespaceId?: string } = { namespaceId: env.existingNamespaceId },
): Record<NamespaceStackParameterName, string> {
  const names = environmentNames(env.name);
  return {
    EnvName: env.name,
    NamespaceName: names.namespace,
    ClusterName: clusterNameOf(config, env),
    InitCloudMap: bool(env.initCloudMap),
    ExistingNamespaceId: existing.namespaceId ?? '',
    NetworkStackName: names.networkStack,
    // The scheduled `lanes gc` job (gc-job.ts of the CDK): the Infra repo it checks out and when it runs.
    ProjectName: config.project,
    ConnectionArn: config.infraRepo.connectionArn,
    InfraRepository: config.infraRepo.repository,
    InfraBranch: config.infraRepo.branch,
    GcSchedule: env.policy.gcSchedule,
  };
}

// ---------------------------------------------------------------- service layer

/** Parameters of `service/sd-stack.yaml` (stack `boot-sd-{service}-{env}`). */
export const SD_STACK_PARAMETER_NAMES = ['ServiceName', 'EnvName', 'NamespaceStackName'] as const;
/** A Cloud Map service stack parameter name. */
export type SdStackParameterName = (typeof SD_STACK_PARAMETER_NAMES)[number];

/** The Cloud Map service stack's parameter values. */
export function sdStackParameters(
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
): Record<SdStackParameterName, string> {
  return {
    ServiceName: serviceNames(service.name, env.name).cloudMapService,
    EnvName: env.name,
    NamespaceStackName: environmentNames(env.name).namespaceStack,
  };
}

/** Parameters of `service/log-stack.yaml` (stack `boot-log-{service}-{env}`). */
export const LOG_STACK_PARAMETER_NAMES = ['ServiceName', 'EnvName', 'LogGroupName', 'InitLog'] as const;
/** A log stack parameter name. */
export type LogStackParameterName = (typeof LOG_STACK_PARAMETER_NAMES)[number];

/** The log stack's parameter values. With `initLog: false` the log group must already exist. */
export function logStackParameters(
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
): Record<LogStackParameterName, string> {
  return {
    ServiceName: service.name,
    EnvName: env.name,
    LogGroupName: serviceNames(service.name, env.name).logGroup,
    InitLog: bool(env.initLog),
  };
}

/** Parameters of `service/alb-stack.yaml` (stack `boot-alb-{service}-{env}`). */
export const ALB_STACK_PARAMETER_NAMES = [
  'ServiceName',
  'EnvName',
  'LoadBalancerName',
  'DefaultTargetGroupName',
  'ContainerPort',
  'HealthPath',
  'InitAlb',
  'NetworkStackName',
  'ExistingLoadBalancerArn',
  'ExistingLoadBalancerDnsName',
  'ExistingLoadBalancerFullName',
  'ExistingListenerArn',
  'ExistingDefaultTargetGroupArn',
  'ExistingDefaultTargetGroupFullName',
  'ExistingLoadBalancerSecurityGroupId',
] as const;
/** An ALB stack parameter name. */
export type AlbStackParameterName = (typeof ALB_STACK_PARAMETER_NAMES)[number];

/** An existing load balancer adopted when `initAlb` is false. */
export interface ExistingAlb {
  readonly loadBalancerArn: string;
  readonly loadBalancerDnsName: string;
  /** `app/{name}/{id}`, the CloudWatch dimension. */
  readonly loadBalancerFullName: string;
  readonly listenerArn: string;
  readonly defaultTargetGroupArn: string;
  /** `targetgroup/{name}/{id}`, the CloudWatch dimension. */
  readonly defaultTargetGroupFullName: string;
  /** A security group of the adopted load balancer: the service's tasks admit it on the container port. */
  readonly securityGroupId: string;
}

/**
 * The existing load balancer of `service` declared in `env.existingAlbs`, with the CloudWatch dimensions
 * (`app/{name}/{id}`, `targetgroup/{name}/{id}`) read from the ARNs. Undefined when none is declared.
 */
export function existingAlbOf(env: AwsEnvironmentConfig, service: ServiceConfig): ExistingAlb | undefined {
  const alb = env.existingAlbs?.[service.name];
  if (!alb) return undefined;
  return {
    loadBalancerArn: alb.loadBalancerArn,
    loadBalancerDnsName: alb.dnsName,
    loadBalancerFullName: alb.loadBalancerArn.slice(
      alb.loadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length,
    ),
    listenerArn: alb.listenerArn,
    defaultTargetGroupArn: alb.defaultTargetGroupArn,
    defaultTargetGroupFullName: alb.defaultTargetGroupArn.slice(
      alb.defaultTargetGroupArn.lastIndexOf(':') + 1,
    ),
    securityGroupId: alb.securityGroupId,
  };
}

/**
 * The ALB stack's parameter values. With `initAlb: false` the stack adopts an existing load balancer,
 * whose identifiers go in the `Existing*` parameters (the template refuses empty ones).
 */
export function albStackParameters(
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
  existing: ExistingAlb | undefined = existingAlbOf(env, service),
): Record<AlbStackParameterName, string> {
  const names = serviceNames(service.name, env.name);
  return {
    ServiceName: service.name,
    EnvName: env.name,
    LoadBalancerName: names.alb,
    DefaultTargetGroupName: names.defaultTargetGroup,
    ContainerPort: String(service.port),
    HealthPath: service.healthPath,
    InitAlb: bool(env.initAlb),
    NetworkStackName: environmentNames(env.name).networkStack,
    ExistingLoadBalancerArn: existing?.loadBalancerArn ?? '',
    ExistingLoadBalancerDnsName: existing?.loadBalancerDnsName ?? '',
    ExistingLoadBalancerFullName: existing?.loadBalancerFullName ?? '',
    ExistingListenerArn: existing?.listenerArn ?? '',
    ExistingDefaultTargetGroupArn: existing?.defaultTargetGroupArn ?? '',
    ExistingDefaultTargetGroupFullName: existing?.defaultTargetGroupFullName ?? '',
    ExistingLoadBalancerSecurityGroupId: existing?.securityGroupId ?? '',
  };
}

/** Parameters of `service/ecr-stack.yaml` (stack `boot-ecr-{service}-{env}`). */
export const ECR_STACK_PARAMETER_NAMES = ['ServiceName', 'EnvName', 'RepositoryName'] as const;
/** An ECR stack parameter name. */
export type EcrStackParameterName = (typeof ECR_STACK_PARAMETER_NAMES)[number];

/** The ECR stack's parameter values. */
export function ecrStackParameters(
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
): Record<EcrStackParameterName, string> {
  return {
    ServiceName: service.name,
    EnvName: env.name,
    RepositoryName: serviceNames(service.name, env.name).ecrRepository,
  };
}

// ---------------------------------------------------------------- pipelines

/** Parameters of `pipelines/pipeline-infra.yaml` (pipeline `infra-{env}`). */
export const INFRA_PIPELINE_PARAMETER_NAMES = [
  'EnvName',
  'PipelineName',
  'ConnectionArn',
  'InfraRepository',
  'InfraBranch',
  'NetworkStackName',
  'NamespaceStackName',
] as const;
/** An infra pipeline parameter name. */
export type InfraPipelineParameterName = (typeof INFRA_PIPELINE_PARAMETER_NAMES)[number];

/** The infra pipeline stack's parameter values. */
export function infraPipelineParameters(
  config: LanesConfig,
  env: AwsEnvironmentConfig,
): Record<InfraPipelineParameterName, string> {
  const names = environmentNames(env.name);
  return {
    EnvName: env.name,
    PipelineName: names.pipeline,
    ConnectionArn: config.infraRepo.connectionArn,
    InfraRepository: config.infraRepo.repository,
    InfraBranch: config.infraRepo.branch,
    NetworkStackName: names.networkStack,
    NamespaceStackName: names.namespaceStack,
  };
}

/** Parameters of `pipelines/pipeline-boot.yaml` (pipeline `bootstrap-{service}-{env}`). */
export const BOOT_PIPELINE_PARAMETER_NAMES = [
  'ServiceName',
  'EnvName',
  'PipelineName',
  'ConnectionArn',
  'InfraRepository',
  'InfraBranch',
  'SdStackName',
  'LogStackName',
  'AlbStackName',
  'EcrStackName',
] as const;
/** A bootstrap pipeline parameter name. */
export type BootPipelineParameterName = (typeof BOOT_PIPELINE_PARAMETER_NAMES)[number];

/** The bootstrap pipeline stack's parameter values. */
export function bootPipelineParameters(
  config: LanesConfig,
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
): Record<BootPipelineParameterName, string> {
  const names = serviceNames(service.name, env.name);
  return {
    ServiceName: service.name,
    EnvName: env.name,
    PipelineName: names.bootstrapPipeline,
    ConnectionArn: config.infraRepo.connectionArn,
    InfraRepository: config.infraRepo.repository,
    InfraBranch: config.infraRepo.branch,
    SdStackName: names.sdStack,
    LogStackName: names.logStack,
    AlbStackName: names.albStack,
    EcrStackName: names.ecrStack,
  };
}

/** Parameters of `pipelines/pipeline-app.yaml` (pipeline `{service}-{env}`, variables `lane` and `branch`). */
export const APP_PIPELINE_PARAMETER_NAMES = [
  'ServiceName',
  'EnvName',
  'PipelineName',
  'BuildProjectName',
  'InfraConnectionArn',
  'InfraRepository',
  'InfraBranch',
  'AppConnectionArn',
  'AppRepository',
  'AppBranch',
  'ModulePath',
  'BaselineLane',
  'ClusterName',
  'EcrStackName',
  'ConfigPath',
  'AlbStackName',
  'TargetGroupNamePrefix',
] as const;
/** An app pipeline parameter name. */
export type AppPipelineParameterName = (typeof APP_PIPELINE_PARAMETER_NAMES)[number];

/**
 * The app pipeline stack's parameter values. The App repo uses its own connection when it declares one,
 * else the Infra repo's.
 */
export function appPipelineParameters(
  config: LanesConfig,
  env: AwsEnvironmentConfig,
  service: ServiceConfig,
): Record<AppPipelineParameterName, string> {
  const names = serviceNames(service.name, env.name);
  return {
    ServiceName: service.name,
    EnvName: env.name,
    PipelineName: names.appPipeline,
    BuildProjectName: names.buildProject,
    InfraConnectionArn: config.infraRepo.connectionArn,
    InfraRepository: config.infraRepo.repository,
    InfraBranch: config.infraRepo.branch,
    AppConnectionArn: service.appRepo.connectionArn ?? config.infraRepo.connectionArn,
    AppRepository: service.appRepo.repository,
    AppBranch: service.appRepo.branch,
    ModulePath: service.modulePath,
    BaselineLane: env.baselineLane,
    ClusterName: clusterNameOf(config, env),
    EcrStackName: names.ecrStack,
    // The deploy job resolves the lane's configuration below it (read-only).
    ConfigPath: configNames(config.project, env.name, service.name).serviceRoot,
    AlbStackName: names.albStack,
    TargetGroupNamePrefix: laneTargetGroupNamePrefix(service.name, env.name),
  };
}

/** The AWS environments of a config, in declaration order. */
export function awsEnvironments(config: LanesConfig): AwsEnvironmentConfig[] {
  return config.environments.filter((e): e is AwsEnvironmentConfig => e.target === 'aws');
}
