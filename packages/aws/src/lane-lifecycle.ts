/**
 * Lane lifecycle on AWS: owner and expiry in the lane stack's tags (core's `LIFECYCLE_TAGS`), `lanes extend`
 * (a change set that changes only the tags), the ALB's rule budget read from the listener, the policy checked
 * before a deploy starts, the stack states gc leaves alone, and the cost estimate of a lane.
 */

import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  checkDeployPolicy,
  type ExtendLaneRequest,
  type ExtendResult,
  estimateLaneCost,
  expiryFor,
  type LaneCost,
  type LaneLifecycle,
  LIFECYCLE_TAGS,
  type ListenerBudget,
  laneFootprint,
  lifecycleFromTags,
  lifecycleTags,
  nextLifecycle,
  type ProgressListener,
  pricesFor,
  UserError,
} from '@ecs-lanes/core';
import { type AwsContext, serviceExports, serviceOf } from './context.js';
import { findLaneStacks, requireLaneStack } from './inspect.js';
import { describeListenerRules } from './lane-deploy.js';
import { withThrottleRetry } from './retry.js';

/** Where the environment's policy lives in lanes.yaml, for messages. */
export function policyPath(ctx: AwsContext): string {
  const i = ctx.config.environments.findIndex((e) => e.name === ctx.env.name);
  return `environments[${i}].policy`;
}

/** The ARN of the caller (the lane owner recorded by deploys). */
export async function callerArn(ctx: AwsContext): Promise<string> {
  const out = await ctx.clients.sts.send(new GetCallerIdentityCommand({}));
  return out.Arn ?? out.UserId ?? 'unknown';
}

/**
 * The lifecycle tags a lane stack deploy writes: the owner and creation time kept from the stack's tags, the
 * deploy time now, the expiry now + ttl (or kept, for a rollback). The baseline has no expiry.
 * @throws LifecycleError for a TTL that is not a duration or exceeds policy.maxTtl
 */
export function lifecycleForDeploy(
  ctx: AwsContext,
  input: {
    readonly lane: string;
    readonly currentTags: Readonly<Record<string, string>> | undefined;
    readonly owner: string;
    readonly ttl?: string;
    /** Keep the current expiry (rollback). @default false */
    readonly keepExpiry?: boolean;
  },
): Record<string, string> {
  const previous = input.currentTags ? lifecycleFromTags(input.currentTags) : undefined;
  const baseline = input.lane === ctx.env.baselineLane;
  const expiresAt =
    input.keepExpiry && previous !== undefined
      ? previous.expiresAt
      : expiryFor({
          baseline,
          ...(input.ttl ? { ttl: input.ttl } : {}),
          policy: ctx.env.policy,
          policyPath: policyPath(ctx),
          now: ctx.clock.now(),
        });
  return lifecycleTags(
    nextLifecycle(previous, { owner: input.owner, now: ctx.clock.now(), expiresAt }) satisfies LaneLifecycle,
  );
}

/** Target group ARNs a rule forwards to (a plain forward or a weighted forward config). */
function targetGroupsOf(rule: Rule): string[] {
  const out: string[] = [];
  for (const action of rule.Actions ?? []) {
    if (action.TargetGroupArn) out.push(action.TargetGroupArn);
    for (const tg of action.ForwardConfig?.TargetGroups ?? [])
      if (tg.TargetGroupArn) out.push(tg.TargetGroupArn);
  }
  return out;
}

/**
 * Rules (the default rule not counted) and distinct target groups on the listener of a service's ALB, against
 * the environment's quotas (policy.listenerRuleQuota, policy.targetGroupQuota).
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 */
export async function listenerBudget(ctx: AwsContext, service: string): Promise<ListenerBudget> {
  const { listenerArn } = await serviceExports(ctx, service);
  const rules = await describeListenerRules(ctx, listenerArn);
  const groups = new Set(rules.flatMap(targetGroupsOf));
  return {
    service,
    listener: listenerArn,
    rules: { used: rules.filter((r) => !r.IsDefault).length, quota: ctx.env.policy.listenerRuleQuota },
    targetGroups: { used: groups.size, quota: ctx.env.policy.targetGroupQuota },
  };
}

/** The budgets of every service (or one) that is bootstrapped in the environment. */
export async function listenerBudgets(ctx: AwsContext, service?: string): Promise<ListenerBudget[]> {
  const services = service === undefined ? ctx.config.services : [serviceOf(ctx, service)];
  const out: ListenerBudget[] = [];
  for (const s of services) {
    try {
      out.push(await listenerBudget(ctx, s.name));
    } catch (error) {
      // A service not bootstrapped yet has no ALB, hence no budget; asked for by name, say so.
      if (service !== undefined || !(error instanceof UserError)) throw error;
    }
  }
  return out;
}

/**
 * Refuses, before anything changes, a deploy that breaks the environment's policy (lane-name patterns, lanes
 * per service and environment, TTL) or would not fit under the ALB's rule and target-group quotas.
 * @throws PolicyError or LifecycleError naming the rule and the fix
 */
export async function checkLanePolicy(
  ctx: AwsContext,
  request: { readonly service: string; readonly lane: string; readonly ttl?: string },
): Promise<void> {
  const service = serviceOf(ctx, request.service);
  const baseline = request.lane === ctx.env.baselineLane;
  expiryFor({
    baseline,
    ...(request.ttl ? { ttl: request.ttl } : {}),
    policy: ctx.env.policy,
    policyPath: policyPath(ctx),
    now: ctx.clock.now(),
  });
  const lanes = await findLaneStacks(ctx);
  const exists = lanes.some((l) => l.service === service.name && l.lane === request.lane);
  checkDeployPolicy({
    policy: ctx.env.policy,
    policyPath: policyPath(ctx),
    service: service.name,
    lane: request.lane,
    baselineLane: ctx.env.baselineLane,
    lanes,
    ...(baseline || exists ? {} : { budget: await listenerBudget(ctx, service.name) }),
    footprint: laneFootprint(baseline, service.blueGreen.enabled),
  });
}

/** Stack states a lane may be deleted from without a human: complete, or a rollback that completed. */
const DELETABLE: ReadonlySet<string> = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
]);

/**
 * Why a lane stack in `status` should not be deleted by gc now, or undefined when it can be.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
 *   (stack status codes: *_IN_PROGRESS is an operation under way; *_FAILED leaves resources a human must look at)
 */
export function removeBlockedOf(stackName: string, status: string | undefined): string | undefined {
  if (status !== undefined && DELETABLE.has(status)) return undefined;
  if (status?.endsWith('_IN_PROGRESS'))
    return `stack ${stackName} is ${status}: an operation is under way; gc tries again next run`;
  return `stack ${stackName} is ${status ?? 'in an unknown state'}: deleting it now could leave resources behind; look at its events, fix it, then remove the lane with lanes rm`;
}

/** The cost estimate of a lane with `tasks` desired tasks, at the environment's prices. */
export function laneCostOf(
  ctx: AwsContext,
  serviceName: string,
  tasks: number,
): { cost?: LaneCost; costNote?: string } {
  const service = ctx.config.services.find((s) => s.name === serviceName);
  if (!service) return { costNote: `service ${serviceName} is not in lanes.yaml` };
  const prices = pricesFor(ctx.env.region, ctx.env.prices);
  if (!prices) {
    return {
      costNote: `no Fargate prices for ${ctx.env.region} in the price table; add prices (vcpuHour, gbHour, source) to environment ${ctx.env.name} in lanes.yaml`,
    };
  }
  return {
    cost: estimateLaneCost({
      tasks,
      cpu: service.cpu,
      memory: service.memory,
      prices,
      ...(service.blueGreen.enabled ? { blueGreenBakeMinutes: service.blueGreen.bakeTimeMinutes } : {}),
    }),
  };
}

/**
 * `lanes extend`: sets the lane's expiry to now + ttl with a change set that keeps the stack's template and
 * parameters and changes only its tags.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html
 */
export async function extendLane(
  ctx: AwsContext,
  request: ExtendLaneRequest,
  progress: ProgressListener,
): Promise<ExtendResult> {
  const lane = await requireLaneStack(ctx, request);
  if (request.lane === ctx.env.baselineLane) {
    throw new UserError(
      `lane ${request.lane} is the baseline of ${request.service} in ${ctx.env.name}: it never expires, so there is nothing to extend`,
    );
  }
  const expiresAt = expiryFor({
    baseline: false,
    ...(request.ttl ? { ttl: request.ttl } : {}),
    policy: ctx.env.policy,
    policyPath: policyPath(ctx),
    now: ctx.clock.now(),
  })!;
  const previous = lane.tags[LIFECYCLE_TAGS.expiresAt];
  const base = { service: request.service, env: ctx.env.name, lane: request.lane };
  const result = { ...base, ...(previous ? { previousExpiresAt: previous } : {}), expiresAt };
  if (request.dryRun) return { ...result, dryRun: true };
  const stackName = lane.stack.StackName!;
  const template = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.cloudformation.send(new GetTemplateCommand({ StackName: stackName })),
  );
  progress({ phase: 'extend', message: `${stackName}: expiry ${previous ?? 'none'} -> ${expiresAt}` });
  await ctx.stacks.deploy(
    async () => {
      const now = await requireLaneStack(ctx, request);
      return {
        stackName,
        templateBody: template.TemplateBody ?? '',
        parameters: now.parameters,
        tags: { ...now.tags, [LIFECYCLE_TAGS.expiresAt]: expiresAt },
        // The stack keeps the service role it has (CloudFormation would reuse it too when none is given).
        ...(now.stack.RoleARN
          ? { roleArn: now.stack.RoleARN }
          : ctx.laneStackRoleArn
            ? { roleArn: ctx.laneStackRoleArn }
            : {}),
      };
    },
    { progress },
  );
  return { ...result, dryRun: false };
}
