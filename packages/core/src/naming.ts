/**
 * Every resource name of ecs-lanes, computed in one place (ARCHITECTURE.md, decision 1).
 *
 * Names are readable (`orders-dev-gray-tg`) when that is safe, and shortened deterministically with a hash
 * when not. "Safe" means two things:
 * 1. The name fits its AWS rule ({@link AWS_NAME_RULES}).
 * 2. The readable form can be parsed back unambiguously. Service names may contain hyphens, environment
 *    names never do, so `{service}-{env}` always parses from the right. A lane with a hyphen
 *    (`feat-login`) would make `{service}-{env}-{lane}` ambiguous (`a-b` + `c` + `d` against
 *    `a` + `b` + `c-d`), so names that include such a lane take the hashed form.
 *
 * The hashed form is `{readable prefix}-0{hash}{suffix}` ({@link HASH_MARK}): the segment before the suffix of a
 * readable name is always an environment or a lane name, which start with a letter, while a hashed name's starts
 * with the digit `0`, so a hashed name never equals a readable one; two hashed names differ unless 40 bits of
 * SHA-256 collide. No name contains `--`: AWS's ELBv2 API reference does not forbid consecutive hyphens in
 * target-group names, but another implementation of that API refuses them and the console is reported to, so
 * the names do not depend on it (issue 17, item 5).
 * When the readable prefix is not truncated (long-limit names such as ECS service names), the lane can still
 * be read back from it: see {@link laneFromEcsServiceName}.
 */
import { createHash } from 'node:crypto';

/** A naming rule of one AWS resource type. */
export interface AwsNameRule {
  /** Human name of the rule, used in messages. */
  readonly what: string;
  /** Maximum length in characters. */
  readonly maxLength: number;
  /** The characters and shape allowed. */
  readonly pattern: RegExp;
  /** Extra conditions beyond the pattern, as [test, reason] pairs. */
  readonly extra?: readonly (readonly [(name: string) => boolean, string])[];
  /** Link to the AWS page stating the rule. */
  readonly source: string;
}

/**
 * The AWS naming rules that ecs-lanes names must meet.
 * Each cites the page it comes from.
 */
export const AWS_NAME_RULES = {
  /** ALB and target group names. */
  elb: {
    what: 'load balancer / target group name',
    maxLength: 32,
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/,
    extra: [[(n: string) => !/^internal-/i.test(n), 'must not begin with "internal-"']],
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html (Name); API_CreateTargetGroup.html (Name)',
  },
  /** CloudFormation stack names. */
  stack: {
    what: 'CloudFormation stack name',
    maxLength: 128,
    pattern: /^[A-Za-z][A-Za-z0-9-]*$/,
    source:
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (StackName)',
  },
  /** CloudFormation export names. */
  export: {
    what: 'CloudFormation export name',
    maxLength: 255,
    pattern: /^[A-Za-z0-9:-]+$/,
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html',
  },
  /** ECS service names and task definition families. */
  ecs: {
    what: 'ECS service name / task definition family',
    maxLength: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (serviceName)',
  },
  /** CodePipeline pipeline names. */
  pipeline: {
    what: 'CodePipeline name',
    maxLength: 100,
    pattern: /^[A-Za-z0-9.@_-]+$/,
    source:
      'https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineDeclaration.html (name)',
  },
  /** CodeBuild project names. */
  codebuild: {
    what: 'CodeBuild project name',
    maxLength: 150,
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
    source: 'https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html (name)',
  },
  /** ECR repository names. */
  ecr: {
    what: 'ECR repository name',
    maxLength: 256,
    pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    source:
      'https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html (repositoryName)',
  },
  /** CloudWatch Logs log group names. */
  logGroup: {
    what: 'CloudWatch Logs log group name',
    maxLength: 512,
    pattern: /^[A-Za-z0-9_\-/.#]+$/,
    source: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  },
  /** CloudWatch alarm names. */
  alarm: {
    what: 'CloudWatch alarm name',
    maxLength: 255,
    pattern: /^[\x20-\x7e]+$/,
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  /** Cloud Map service names (a DNS label). */
  cloudMapService: {
    what: 'Cloud Map service name',
    maxLength: 63,
    pattern: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    source: 'https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateService.html (Name)',
  },
  /** IAM role names. */
  iamRole: {
    what: 'IAM role name',
    maxLength: 64,
    pattern: /^[\w+=,.@-]+$/,
    source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (RoleName)',
  },
} as const satisfies Record<string, AwsNameRule>;

/** Why `name` breaks `rule`, or undefined when it meets it. */
export function checkAwsName(rule: AwsNameRule, name: string): string | undefined {
  if (name.length === 0) return `${rule.what} is empty`;
  if (name.length > rule.maxLength) {
    return `${rule.what} "${name}" has ${name.length} characters; at most ${rule.maxLength} are allowed`;
  }
  if (!rule.pattern.test(name)) return `${rule.what} "${name}" does not match ${rule.pattern}`;
  for (const [ok, reason] of rule.extra ?? []) if (!ok(name)) return `${rule.what} "${name}" ${reason}`;
  return undefined;
}

/** Length of the hash used in shortened names (base32 characters: 40 bits). */
export const NAME_HASH_LENGTH = 8;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The character that opens the hash segment of a hashed name: a digit, because the segment in that place of a
 * readable name (an environment or a lane) always starts with a letter.
 */
export const HASH_MARK = '0';

/** A short, deterministic, lowercase base32 hash of the given parts. */
export function nameHash(parts: readonly string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < NAME_HASH_LENGTH) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= NAME_HASH_LENGTH) break;
  }
  return out;
}

/**
 * Builds a name from `parts` joined with `-`, then `suffix`: the readable form when `readable` is allowed
 * and it meets `rule`; otherwise `{prefix}-0{hash}{suffix}` with the prefix truncated to fit.
 * The hash covers `kind` and every part, so names of different kinds or inputs differ.
 */
function fitName(
  rule: AwsNameRule,
  kind: string,
  parts: readonly string[],
  suffix: string,
  readable: boolean,
): string {
  const full = parts.join('-');
  const plain = `${full}${suffix}`;
  if (readable && checkAwsName(rule, plain) === undefined) return plain;
  const hash = nameHash([kind, ...parts]);
  const room = rule.maxLength - suffix.length - 2 - hash.length;
  let prefix = full.slice(0, Math.max(0, room)).replace(/-+$/, '');
  if (/^internal-/i.test(prefix) || /^internal$/i.test(prefix))
    prefix = `i${prefix.slice('internal'.length)}`;
  // Parts never contain `--` (the service, environment and lane grammars forbid it) and the prefix loses its
  // trailing hyphens, so joining with a single `-` keeps the name free of consecutive hyphens.
  const name = prefix ? `${prefix}-${HASH_MARK}${hash}${suffix}` : `${hash}${suffix}`;
  const problem = checkAwsName(rule, name);
  if (problem) throw new Error(`naming bug: ${problem} (kind ${kind})`);
  return name;
}

/** True when the readable `{service}-{env}-{lane}` form parses back unambiguously (see the module doc). */
function laneIsReadable(lane: string): boolean {
  return !lane.includes('-');
}

/** Names of an environment's shared resources (the environment layer). */
export interface EnvironmentNames {
  /** Stack wrapping the existing VPC; exports VpcId, PrivateSubnets, PublicSubnets, SecurityGroups. */
  readonly networkStack: string;
  /** Stack with the Cloud Map private DNS namespace and the ECS cluster. */
  readonly namespaceStack: string;
  /** Cloud Map private DNS namespace: `{env}.local`. */
  readonly namespace: string;
  /** The environment's pipeline: `infra-{env}`. */
  readonly pipeline: string;
}

/** Names of the environment layer for `env`. */
export function environmentNames(env: string): EnvironmentNames {
  return {
    networkStack: fitName(AWS_NAME_RULES.stack, 'stack:network', ['infra-network', env], '', true),
    namespaceStack: fitName(AWS_NAME_RULES.stack, 'stack:namespace', ['infra-namespace', env], '', true),
    namespace: `${env}.local`,
    pipeline: fitName(AWS_NAME_RULES.pipeline, 'pipeline:infra', ['infra', env], '', true),
  };
}

/** Names of one service's shared resources in one environment (the service layer). */
export interface ServiceNames {
  /** Cloud Map service stack: `boot-sd-{service}-{env}`. */
  readonly sdStack: string;
  /** Log group stack: `boot-log-{service}-{env}`. */
  readonly logStack: string;
  /** ALB stack: `boot-alb-{service}-{env}`. */
  readonly albStack: string;
  /** ECR repository stack: `boot-ecr-{service}-{env}`. */
  readonly ecrStack: string;
  /** The service layer's pipeline: `bootstrap-{service}-{env}`. */
  readonly bootstrapPipeline: string;
  /** The lane pipeline (variables `lane`, `branch`): `{service}-{env}`. */
  readonly appPipeline: string;
  /** The app pipeline's CodeBuild project: `{service}-{env}-build`. */
  readonly buildProject: string;
  /** The ALB: `{service}-{env}-alb` (at most 32 characters). */
  readonly alb: string;
  /** The ALB's default target group, used by the baseline lane: `{service}-{env}-default-tg`. */
  readonly defaultTargetGroup: string;
  /** Log group: `/ecs/{env}/{service}`. */
  readonly logGroup: string;
  /** Cloud Map service name within `{env}.local`: `{service}`. */
  readonly cloudMapService: string;
  /** ECR repository: `{service}-{env}`. */
  readonly ecrRepository: string;
}

/** Names of the service layer for `service` in `env`. */
export function serviceNames(service: string, env: string): ServiceNames {
  const se = [service, env];
  return {
    sdStack: fitName(AWS_NAME_RULES.stack, 'stack:sd', ['boot-sd', ...se], '', true),
    logStack: fitName(AWS_NAME_RULES.stack, 'stack:log', ['boot-log', ...se], '', true),
    albStack: fitName(AWS_NAME_RULES.stack, 'stack:alb', ['boot-alb', ...se], '', true),
    ecrStack: fitName(AWS_NAME_RULES.stack, 'stack:ecr', ['boot-ecr', ...se], '', true),
    bootstrapPipeline: fitName(AWS_NAME_RULES.pipeline, 'pipeline:boot', ['bootstrap', ...se], '', true),
    appPipeline: fitName(AWS_NAME_RULES.pipeline, 'pipeline:app', se, '', true),
    buildProject: fitName(AWS_NAME_RULES.codebuild, 'codebuild:app', se, '-build', true),
    alb: fitName(AWS_NAME_RULES.elb, 'alb', se, '-alb', true),
    defaultTargetGroup: fitName(AWS_NAME_RULES.elb, 'tg:default', se, '-default-tg', true),
    logGroup: `/ecs/${env}/${service}`,
    cloudMapService: service,
    ecrRepository: fitName(AWS_NAME_RULES.ecr, 'ecr', se, '', true),
  };
}

/**
 * What ends the service in a lane stack name: `--`, which no service or environment name contains. So the IAM
 * pattern `app-{service}--{env}-*` of one service's app pipeline can match only that service's lane stacks in
 * that environment (with `app-{service}-{env}-*`, service `a` in env `b` would match service `a-b` in env `c`).
 */
export const LANE_STACK_SERVICE_SEPARATOR = '--';

/** The prefix of every lane stack name of `service` in `env`: `app-{service}--{env}-` (an IAM pattern's stem). */
export function laneStackNamePrefix(service: string, env: string): string {
  return `app-${service}${LANE_STACK_SERVICE_SEPARATOR}${env}-`;
}

/** Names of one lane's resources (the lane layer). */
export interface LaneNames {
  /** The lane stack: `app-{service}--{env}-{lane}` (see {@link LANE_STACK_SERVICE_SEPARATOR}). */
  readonly stack: string;
  /** Task definition family: `{service}-{lane}-{env}-task`. */
  readonly taskFamily: string;
  /** ECS service: `{service}-{env}-{lane}`. Cloud Map instances carry it as ECS_SERVICE_NAME. */
  readonly ecsService: string;
  /** Target group of a non-baseline lane: `{service}-{env}-{lane}-tg`. */
  readonly targetGroup: string;
  /** Alternate target group of a blue/green lane: `{service}-{env}-{lane}-tg2`. */
  readonly alternateTargetGroup: string;
  /** Name tag of the lane's listener rule: `{service}-{env}-{lane}-rule`. */
  readonly rule: string;
  /** Prefix of the lane's alarm names: `{service}-{env}-{lane}`. */
  readonly alarmPrefix: string;
  /** awslogs stream prefix: the lane. */
  readonly logStreamPrefix: string;
  /** Task and execution role names: `{service}-{env}-{lane}-task` / `-exec`. */
  readonly taskRole: string;
  /** The task execution role name. */
  readonly executionRole: string;
}

/** Names of the lane layer for `lane` of `service` in `env`. */
export function laneNames(service: string, env: string, lane: string): LaneNames {
  const sel = [service, env, lane];
  const ok = laneIsReadable(lane);
  return {
    // `app-{service}-` + `-{env}-{lane}`: the empty part puts the separator between service and env.
    stack: fitName(AWS_NAME_RULES.stack, 'stack:app', ['app', service, '', env, lane], '', ok),
    taskFamily: fitName(AWS_NAME_RULES.ecs, 'taskfamily', [service, lane, env], '-task', ok),
    ecsService: fitName(AWS_NAME_RULES.ecs, 'ecsservice', sel, '', ok),
    targetGroup: fitName(AWS_NAME_RULES.elb, 'tg:lane', sel, '-tg', ok),
    alternateTargetGroup: fitName(AWS_NAME_RULES.elb, 'tg:alt', sel, '-tg2', ok),
    rule: fitName(AWS_NAME_RULES.alarm, 'rule', sel, '-rule', ok),
    alarmPrefix: fitName(AWS_NAME_RULES.alarm, 'alarm', sel, '', ok),
    logStreamPrefix: lane,
    taskRole: fitName(AWS_NAME_RULES.iamRole, 'role:task', sel, '-task', ok),
    executionRole: fitName(AWS_NAME_RULES.iamRole, 'role:exec', sel, '-exec', ok),
  };
}

/**
 * The prefix every lane target group name of `service` in `env` starts with (readable or hashed, lane and
 * alternate): the app pipeline's lane stack role may change target groups named `{prefix}*` only. It is
 * `{service}-{env}-`, cut to what a hashed 32-character name keeps of it (see {@link fitName}).
 */
export function laneTargetGroupNamePrefix(service: string, env: string): string {
  const full = `${service}-${env}-`;
  const room = AWS_NAME_RULES.elb.maxLength - '-tg2'.length - 2 - NAME_HASH_LENGTH;
  return full.length <= room ? full : full.slice(0, room).replace(/-+$/, '');
}

/**
 * The name of an export: `{stackName}:{key}`. Stack names and keys only use letters, digits and `-`,
 * so the result meets the export rule; this function checks it anyway.
 */
export function exportName(stackName: string, key: string): string {
  const name = `${stackName}:${key}`;
  const problem = checkAwsName(AWS_NAME_RULES.export, name);
  if (problem) throw new Error(`naming bug: ${problem}`);
  return name;
}

/** The keys every layer exports, by stack. Import sites use {@link exportName} with these. */
export const EXPORT_KEYS = {
  network: ['VpcId', 'PrivateSubnets', 'PublicSubnets', 'SecurityGroups'],
  namespace: ['NamespaceId', 'NamespaceName', 'ClusterName', 'ClusterArn'],
  sd: ['CloudMapServiceId', 'CloudMapServiceArn'],
  log: ['LogGroupName'],
  alb: [
    'LoadBalancerArn',
    'LoadBalancerDnsName',
    'ListenerArn',
    'DefaultTargetGroupArn',
    'ServiceSecurityGroupId',
    // CloudWatch dimensions (`app/{name}/{id}`, `targetgroup/{name}/{id}`) for the lane stack's alarms.
    'LoadBalancerFullName',
    'DefaultTargetGroupFullName',
  ],
  ecr: ['RepositoryUri', 'RepositoryName'],
} as const;

/**
 * Reads the lane back from an ECS service name (the ECS_SERVICE_NAME attribute of a Cloud Map instance),
 * given the service and environment. Undefined when the name is not one of this service's lanes.
 */
export function laneFromEcsServiceName(
  service: string,
  env: string,
  ecsServiceName: string,
): string | undefined {
  const prefix = `${service}-${env}-`;
  if (!ecsServiceName.startsWith(prefix)) return undefined;
  const rest = ecsServiceName.slice(prefix.length);
  // ECS service names are never truncated (255 characters), so a hashed one is `{lane}-0{hash}`.
  const hashed = new RegExp(`^(.+)-${HASH_MARK}[a-z2-7]{${NAME_HASH_LENGTH}}$`).exec(rest);
  const lane = hashed ? hashed[1]! : rest;
  if (lane.length === 0) return undefined;
  // A hashed name must be exactly the one this lane would get; anything else is not ours.
  return laneNames(service, env, lane).ecsService === ecsServiceName ? lane : undefined;
}

/**
 * Where a service's configuration lives in SSM Parameter Store (issue 18). A parameter's last path segment is
 * the environment variable it becomes; the hierarchy is `/{project}/{env}/{service}/{NAME}` for the baseline
 * value and `/{project}/{env}/{service}/lanes/{lane}/{NAME}` for one lane's override.
 * Parameter Store allows at most 15 hierarchy levels and names of `a-zA-Z0-9_.-/`
 * (Parameter Store, "Creating Systems Manager parameters",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html); project, env,
 * service and lane names already meet that grammar, so these paths need no shortening.
 */
export interface ConfigNames {
  /** The service's own path, with a trailing slash: `/{project}/{env}/{service}/`. */
  readonly servicePath: string;
  /** The service's path without the trailing slash, for IAM resources (`parameter{serviceRoot}/*`). */
  readonly serviceRoot: string;
  /** Where every lane's overrides live: `/{project}/{env}/{service}/lanes/`. */
  readonly lanesPath: string;
}

/** Names of the configuration of `service` in `env` of `project`. */
export function configNames(project: string, env: string, service: string): ConfigNames {
  const serviceRoot = `/${project}/${env}/${service}`;
  return { servicePath: `${serviceRoot}/`, serviceRoot, lanesPath: `${serviceRoot}/lanes/` };
}

/** The path of one lane's overrides: `/{project}/{env}/{service}/lanes/{lane}/`. */
export function laneConfigPath(project: string, env: string, service: string, lane: string): string {
  return `${configNames(project, env, service).lanesPath}${lane}/`;
}

// ---------------------------------------------------------------- ECS Service Connect

/**
 * The naming rules of ECS Service Connect: the `discoveryName` of a Service Connect service (the Cloud Map
 * service ECS creates for it) and one label of a client alias's `dnsName`.
 */
export const SERVICE_CONNECT_NAME_RULES = {
  /** `discoveryName`: up to 64 characters of lowercase letters, digits, `_` and `-`, not starting with `-`. */
  discoveryName: {
    what: 'Service Connect discoveryName',
    maxLength: 64,
    pattern: /^[a-z0-9_][a-z0-9_-]*$/,
    source:
      'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectService.html (discoveryName: up to 64 characters)',
  },
  /**
   * One label of a client alias `dnsName` (the whole name may have 127 characters of lowercase letters, digits,
   * `_`, `-` and `.`; as a DNS name each label has at most 63 octets, RFC 1035 section 2.3.4).
   */
  dnsLabel: {
    what: 'Service Connect client alias dnsName label',
    maxLength: 63,
    pattern: /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/,
    source:
      'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectClientAlias.html (dnsName); RFC 1035 section 2.3.4 (labels: 63 octets or less)',
  },
} as const satisfies Record<string, AwsNameRule>;

/** Longest client alias `dnsName` ECS accepts (API_ServiceConnectClientAlias, dnsName). */
export const MAX_SERVICE_CONNECT_DNS_NAME_LENGTH = 127;

/** Why `name` is not a valid client alias `dnsName` (127 characters, each label a valid DNS label), or undefined. */
export function checkServiceConnectDnsName(name: string): string | undefined {
  if (name.length > MAX_SERVICE_CONNECT_DNS_NAME_LENGTH) {
    return `Service Connect client alias dnsName "${name}" has ${name.length} characters; at most ${MAX_SERVICE_CONNECT_DNS_NAME_LENGTH} are allowed`;
  }
  for (const label of name.split('.')) {
    const problem = checkAwsName(SERVICE_CONNECT_NAME_RULES.dnsLabel, label);
    if (problem) return problem;
  }
  return undefined;
}

/** The Service Connect names of one lane. */
export interface ServiceConnectNames {
  /** `discoveryName` of the lane's Service Connect service: `{service}-{env}-{lane}`, at most 64 characters. */
  readonly discoveryName: string;
  /**
   * The client alias `dnsName`: the service name for the baseline (what callers dial by default), else
   * `{service}-{env}-{lane}` shortened to one DNS label of at most 63 characters.
   */
  readonly dnsName: string;
}

/**
 * The Service Connect names of `lane` of `service` in `env`. Readable when they fit (and the lane has no
 * hyphen, as for the other lane names), else hashed like every other shortened name.
 */
export function serviceConnectNames(
  service: string,
  env: string,
  lane: string,
  baseline: boolean,
): ServiceConnectNames {
  const sel = [service, env, lane];
  const ok = laneIsReadable(lane);
  return {
    discoveryName: fitName(SERVICE_CONNECT_NAME_RULES.discoveryName, 'sc:discovery', sel, '', ok),
    dnsName: baseline ? service : fitName(SERVICE_CONNECT_NAME_RULES.dnsLabel, 'sc:dns', sel, '', ok),
  };
}
