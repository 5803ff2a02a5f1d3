/**
 * What IAM authorizes for each API call the fake answers: the action, the resource ARN and the request context,
 * from the Service Authorization Reference ("Actions defined by ...": resource types and condition keys per
 * action). A call without an entry here is refused by the fake rather than allowed unchecked.
 *
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticloadbalancingv2.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodepipeline.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudmap.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 */
import type { IamRequest } from './iam.js';

/** What the table needs to know of the fake's state. */
export interface CallLookup {
  readonly account: string;
  readonly region: string;
  /** The ARN of the stack named (or with the id) `nameOrId`; a new stack gets a not-yet-known id. */
  stackArn(nameOrId: string): string;
}

/** The error code a denied call raises, per service (`AccessDenied` or `AccessDeniedException`). */
export interface CallAuthorization {
  readonly errorCode: string;
  readonly requests: readonly IamRequest[];
}

/**
 * `iam:PassRole` of `roleArn` to `service`: required of the caller whenever an API takes a role ARN that a
 * service will use.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
 */
export function passRoleRequest(roleArn: string, service: string): IamRequest {
  return { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': service } };
}

/** The IAM requests of one API call, or `null` when the call needs no permission (`sts:GetCallerIdentity`). */
export function callAuthorization(
  operation: string,
  input: Readonly<Record<string, unknown>>,
  lookup: CallLookup,
): CallAuthorization | null {
  const { account, region } = lookup;
  const cfn = (action: string, stack?: unknown): CallAuthorization => ({
    errorCode: 'AccessDenied',
    requests: [
      {
        action: `cloudformation:${action}`,
        resource: typeof stack === 'string' ? lookup.stackArn(stack) : '*',
      },
    ],
  });
  const any = (action: string, errorCode = 'AccessDenied'): CallAuthorization => ({
    errorCode,
    requests: [{ action, resource: '*' }],
  });
  const pipeline = (action: string, name: unknown): CallAuthorization => ({
    errorCode: 'AccessDeniedException',
    requests: [
      {
        action: `codepipeline:${action}`,
        resource: `arn:aws:codepipeline:${region}:${account}:${String(name)}`,
      },
    ],
  });
  const ssm = (action: string, names: readonly string[]): CallAuthorization => ({
    errorCode: 'AccessDeniedException',
    requests: names.map((n) => ({
      action: `ssm:${action}`,
      resource: `arn:aws:ssm:${region}:${account}:parameter${n.startsWith('/') ? '' : '/'}${n}`,
    })),
  });
  const logs = (action: string, group: string): CallAuthorization => ({
    errorCode: 'AccessDeniedException',
    requests: [
      { action: `logs:${action}`, resource: `arn:aws:logs:${region}:${account}:log-group:${group}` },
    ],
  });
  switch (operation) {
    // "No permissions are required to perform this operation."
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
    case 'GetCallerIdentity':
      return null;
    case 'DescribeStacks':
    case 'DescribeStackEvents':
    case 'DescribeStackResources':
    case 'GetTemplate':
    case 'GetStackPolicy':
    case 'DeleteStack':
    case 'UpdateTerminationProtection':
    case 'SetStackPolicy':
      return cfn(operation, input.StackName);
    case 'CreateChangeSet': {
      const auth = cfn('CreateChangeSet', input.StackName);
      const role = input.RoleARN;
      return typeof role === 'string'
        ? { ...auth, requests: [...auth.requests, passRoleRequest(role, 'cloudformation.amazonaws.com')] }
        : auth;
    }
    case 'DescribeChangeSet':
    case 'ExecuteChangeSet':
    case 'DeleteChangeSet': {
      const id = String(input.ChangeSetName ?? '');
      // A change set named by its ARN belongs to the stack whose name is passed, or else is found by the fake.
      return cfn(operation, typeof input.StackName === 'string' ? input.StackName : id);
    }
    case 'ListExports':
      return cfn('ListExports');
    case 'DescribeRules':
    case 'DescribeTargetGroups':
    case 'DescribeTargetHealth':
    case 'DescribeListeners':
      return any(`elasticloadbalancing:${operation}`);
    case 'DescribeServices': {
      const cluster = String(input.cluster ?? 'default');
      const services = (input.services as string[] | undefined) ?? [];
      return {
        errorCode: 'AccessDeniedException',
        requests: services.map((s) => ({
          action: 'ecs:DescribeServices',
          resource: `arn:aws:ecs:${region}:${account}:service/${cluster}/${s}`,
        })),
      };
    }
    case 'GetPipeline':
      return pipeline('GetPipeline', input.name);
    case 'StartPipelineExecution':
      return pipeline('StartPipelineExecution', input.name);
    case 'GetPipelineExecution':
    case 'ListPipelineExecutions':
    case 'ListActionExecutions':
      return pipeline(operation, input.pipelineName);
    case 'ListInstances':
      return {
        errorCode: 'AccessDeniedException',
        requests: [
          {
            action: 'servicediscovery:ListInstances',
            resource: `arn:aws:servicediscovery:${region}:${account}:service/${String(input.ServiceId)}`,
          },
        ],
      };
    case 'DescribeAlarms':
      return {
        errorCode: 'AccessDenied',
        requests: [
          {
            action: 'cloudwatch:DescribeAlarms',
            resource: `arn:aws:cloudwatch:${region}:${account}:alarm:${String(input.AlarmNamePrefix ?? '')}*`,
          },
        ],
      };
    // Parameter Store: the resource is the parameter, `parameter` + its name (which starts with "/"); for a path
    // query the path itself. https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
    // and https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
    case 'GetParametersByPath':
      return ssm('GetParametersByPath', [String(input.Path ?? '')]);
    case 'GetParameters':
      return ssm('GetParameters', (input.Names as string[] | undefined) ?? []);
    case 'PutParameter':
    case 'DeleteParameter':
      return ssm(operation, [String(input.Name ?? '')]);
    // CloudWatch Logs: the log group (`log-group:{name}`).
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
    case 'CreateLogGroup':
    case 'DescribeLogStreams':
    case 'FilterLogEvents':
      return logs(operation, String(input.logGroupName ?? ''));
    case 'StartLiveTail':
      return {
        errorCode: 'AccessDeniedException',
        requests: ((input.logGroupIdentifiers as string[] | undefined) ?? []).map((g) => ({
          action: 'logs:StartLiveTail',
          resource: g.startsWith('arn:') ? g : `arn:aws:logs:${region}:${account}:log-group:${g}`,
        })),
      };
    default:
      throw new Error(`the fake does not know how IAM authorizes ${operation}: add it to iam-requests.ts`);
  }
}
