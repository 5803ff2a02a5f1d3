/**
 * The IAM requests CloudFormation makes with a stack's service role while a handler creates, updates or deletes
 * one resource: every permission of the handler in {@link CFN_HANDLER_PERMISSIONS}, each on the resource it acts
 * on, plus `iam:PassRole` of every role the resource hands to a service. An update and a delete also run the
 * read handler (CloudFormation reads the resource's current state first): modelled strictly.
 *
 * Resource ARNs follow the Service Authorization Reference's formats; actions without resource-level
 * permissions ({@link ACTIONS_WITHOUT_RESOURCE_LEVEL}) are authorized on `*`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html
 * @see https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html (handlers)
 */
import {
  ACTIONS_WITHOUT_RESOURCE_LEVEL,
  CFN_HANDLER_PERMISSIONS,
  type CfnHandler,
} from './cfn-handler-permissions.js';
import type { IamRequest } from './iam.js';
import { passRoleRequest } from './iam-requests.js';
import type { TemplateResolver } from './iam-roles.js';

/** A resource under change, as its stack's template describes it. */
export interface ResourceUnderChange {
  readonly logicalId: string;
  readonly type: string;
  /** Its properties as written (resolved here through `resolver`). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Its physical id when it exists already (update, delete). */
  readonly physicalId?: string;
}

/** Where the stack is. */
export interface StackPlace {
  readonly account: string;
  readonly region: string;
}

/** The roles a resource passes to a service, by property: `[path, service]`. */
const PASSED_ROLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
  'AWS::ECS::TaskDefinition': [
    ['TaskRoleArn', 'ecs-tasks.amazonaws.com'],
    ['ExecutionRoleArn', 'ecs-tasks.amazonaws.com'],
  ],
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html
  'AWS::ECS::Service': [
    ['LoadBalancers.*.AdvancedConfiguration.RoleArn', 'ecs.amazonaws.com'],
    ['DeploymentConfiguration.LifecycleHooks.*.RoleArn', 'ecs.amazonaws.com'],
  ],
  // https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
  'AWS::Lambda::Function': [['Role', 'lambda.amazonaws.com']],
};

function valuesAt(node: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return node === undefined ? [] : [node];
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(node) ? node.flatMap((n) => valuesAt(n, rest)) : [];
  if (!node || typeof node !== 'object') return [];
  return valuesAt((node as Record<string, unknown>)[head!], rest);
}

/** The resource's own ARN, in the form IAM authorizes its actions on. */
function ownArn(r: ResourceUnderChange, resolver: TemplateResolver, place: StackPlace): string {
  const { account, region } = place;
  const p = (key: string) => {
    const v = r.properties[key];
    return v === undefined ? undefined : String(resolver.resolve(v));
  };
  switch (r.type) {
    case 'AWS::IAM::Role':
    case 'AWS::Logs::LogGroup':
    case 'AWS::Lambda::Function':
      return resolver.arnOf(r.logicalId);
    case 'AWS::ECS::TaskDefinition':
      return `arn:aws:ecs:${region}:${account}:task-definition/${p('Family') ?? r.logicalId}:*`;
    case 'AWS::ECS::Service':
      return `arn:aws:ecs:${region}:${account}:service/${p('Cluster') ?? 'default'}/${p('ServiceName') ?? resolver.physicalId(r.logicalId)}`;
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
      return (
        r.physicalId ??
        `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${p('Name')}/0000000000000000`
      );
    case 'AWS::ElasticLoadBalancingV2::ListenerRule':
      return (
        r.physicalId ??
        `${String(p('ListenerArn')).replace(':listener/', ':listener-rule/')}/0000000000000000`
      );
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${region}:${account}:alarm:${p('AlarmName') ?? resolver.physicalId(r.logicalId)}`;
    default:
      return r.physicalId ?? resolver.physicalId(r.logicalId);
  }
}

/** The roles the resource passes, with the service each goes to. */
function passedRoles(r: ResourceUnderChange, resolver: TemplateResolver): { arn: string; service: string }[] {
  return (PASSED_ROLES[r.type] ?? []).flatMap(([path, service]) =>
    valuesAt(r.properties, path.split('.'))
      .map((node) => resolver.resolve(node))
      .filter((v): v is string => typeof v === 'string' && v.length > 0)
      .map((arn) => ({ arn, service })),
  );
}

/** The IAM requests of running `handler` (and, for update and delete, the read handler) on the resource. */
export function handlerRequests(
  r: ResourceUnderChange,
  handler: Exclude<CfnHandler, 'read'>,
  resolver: TemplateResolver,
  place: StackPlace,
): IamRequest[] | undefined {
  const row = CFN_HANDLER_PERMISSIONS[r.type];
  if (!row) return undefined;
  const actions = new Set(handler === 'create' ? row.create : [...row[handler], ...row.read]);
  const self = ownArn(r, resolver, place);
  const roles = passedRoles(r, resolver);
  const requests: IamRequest[] = [];
  for (const action of actions) {
    if (action === 'iam:PassRole') {
      for (const role of roles) requests.push(passRoleRequest(role.arn, role.service));
    } else if (action === 'iam:GetRole' && r.type !== 'AWS::IAM::Role') {
      for (const role of roles) requests.push({ action, resource: role.arn });
    } else if (ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action)) {
      requests.push({ action, resource: '*' });
    } else if (action === 'elasticloadbalancing:CreateRule') {
      // The rule does not exist yet: CreateRule is authorized on the listener.
      requests.push({ action, resource: String(resolver.resolve(r.properties.ListenerArn)) });
    } else if (action === 'ecs:DescribeServiceDeployments' || action === 'ecs:StopServiceDeployment') {
      // Both act on a service deployment of the service (Service Authorization Reference, Amazon ECS).
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
      requests.push({ action, resource: `${self.replace(':service/', ':service-deployment/')}/0000000000` });
    } else {
      requests.push({ action, resource: self });
    }
  }
  return requests;
}
