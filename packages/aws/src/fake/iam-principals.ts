/**
 * The roles the fake knows (registered from the templates that define them, see `iam-roles.ts`) and the two
 * questions IAM answers about them: may a service assume the role (its trust policy), and may a session of the
 * role make a request (its identity policies, {@link evaluatePolicies}).
 *
 * A service principal assuming a role sends only the condition keys its documentation says it sends;
 * {@link SERVICE_ASSUME_CONTEXT} lists them. A trust policy that requires a key the service does not send
 * cannot be assumed: modelled strictly, as the key is absent from the request context.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount
 */
import { accessDeniedMessage, evaluatePolicies, type IamRequest, type PolicyDocument } from './iam.js';

/** A role as the fake holds it. */
export interface FakeRole {
  readonly arn: string;
  readonly trust?: PolicyDocument;
  readonly policies: readonly PolicyDocument[];
}

/**
 * The condition keys a service principal documents sending when it assumes a role in `account`.
 * - CodeBuild: aws:SourceAccount and aws:SourceArn
 *   (https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html);
 * - ECS tasks: aws:SourceAccount and aws:SourceArn
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html, "Task IAM role");
 * - CloudFormation (service role), CodePipeline (service role), Lambda (execution role) and ECS (infrastructure
 *   role): no source keys are documented for assuming these roles
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html,
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html),
 *   so the fake sends none.
 */
export const SERVICE_ASSUME_CONTEXT: Readonly<
  Record<string, (account: string) => Readonly<Record<string, string>>>
> = {
  'codebuild.amazonaws.com': (account) => ({ 'aws:SourceAccount': account }),
  'ecs-tasks.amazonaws.com': (account) => ({ 'aws:SourceAccount': account }),
  'cloudformation.amazonaws.com': () => ({}),
  'codepipeline.amazonaws.com': () => ({}),
  'lambda.amazonaws.com': () => ({}),
  'ecs.amazonaws.com': () => ({}),
};

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** The roles of one fake account. */
export class FakeIam {
  private readonly roles = new Map<string, FakeRole>();

  /** Registers (or replaces) a role. */
  register(role: FakeRole): void {
    this.roles.set(role.arn, role);
  }

  /** Removes a role (its stack was deleted). */
  remove(arn: string): void {
    this.roles.delete(arn);
  }

  /** The role, when the fake knows it. */
  role(arn: string): FakeRole | undefined {
    return this.roles.get(arn);
  }

  /**
   * Why `service` may not assume the role, or undefined when its trust policy allows `sts:AssumeRole` for the
   * service principal with the keys the service sends ({@link SERVICE_ASSUME_CONTEXT}).
   */
  cannotAssume(roleArn: string, service: string, account: string): string | undefined {
    const role = this.roles.get(roleArn);
    if (!role) return `Role ${roleArn} does not exist`;
    const context = SERVICE_ASSUME_CONTEXT[service]?.(account);
    if (!context)
      throw new Error(`the fake does not know which keys ${service} sends when it assumes a role`);
    // A trust policy names no Resource: it applies to the role itself.
    const trusting = list(role.trust?.Statement)
      .filter((s) =>
        list((s as { Principal?: { Service?: string | string[] } }).Principal?.Service).includes(service),
      )
      .map((s) => ({ ...s, Resource: roleArn }));
    const decision = evaluatePolicies([{ Statement: trusting }], {
      action: 'sts:AssumeRole',
      resource: roleArn,
      context,
    });
    return decision.decision === 'Allow'
      ? undefined
      : `Role ${roleArn} is invalid or cannot be assumed by ${service}`;
  }

  /**
   * Why a session of `roleArn` may not make `request` (the AccessDenied message AWS gives), or undefined when its
   * policies allow it. A role the fake does not know is not evaluated (undefined): callers decide whether that is
   * allowed.
   */
  denied(roleArn: string, request: IamRequest): string | undefined {
    const role = this.roles.get(roleArn);
    if (!role) return undefined;
    const decision = evaluatePolicies(role.policies, request);
    if (decision.decision === 'Allow') return undefined;
    return accessDeniedMessage(sessionArn(roleArn), request, decision);
  }
}

/** The assumed-role session ARN of a role (`arn:aws:sts::{account}:assumed-role/{name}/{session}`). */
export function sessionArn(roleArn: string, session = 'fake-session'): string {
  const [, , , , account, resource] = roleArn.split(':');
  const name = resource!.slice(resource!.lastIndexOf('/') + 1);
  return `arn:aws:sts::${account}:assumed-role/${name}/${session}`;
}
