/**
 * Deploying one lane stack (`app-{service}-{env}-{lane}`): what the shared buildspec runs inside CodeBuild
 * (`lanes ci params|deploy`) and what `lanes rollback` runs directly.
 *
 * The rule priority comes from core's allocator over the listener's current rules; the lane keeps the slot
 * it has. When a concurrent deploy of another lane took the slot first, the lane stack fails with
 * `PriorityInUse` (and CloudFormation rolls it back): the slot is avoided, the listener read again, and the
 * deploy retried, a bounded number of times.
 *
 * A blue/green lane's two priorities are allocated together (the test rule below the production rule). A lane
 * that switches between rolling and blue/green gets priorities other than its current rules' (CloudFormation
 * creates the new rules before it deletes the old ones). A new rolling lane is created with its rule sending
 * lane traffic to the baseline (`LiveTargetGroup=default`) and shifted to its own target group
 * (`LiveTargetGroup=lane`) by a second, rule-only update once the stack is complete; a blue/green lane's
 * `LiveTargetGroup` is read from its live production rule, so an update never undoes a swap ECS made.
 * See docs/deploy-order.md.
 */
import { DescribeRulesCommand, type Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  allocatePriority,
  allocatePriorityPair,
  type ExistingRule,
  LANE_TAGS,
  type LiveTargetGroup,
  laneMatchRegex,
  laneNames,
  laneRuleKey,
  laneStackParameters,
  laneStackTags,
  type ProgressListener,
  UserError,
} from '@ecs-lanes/core';
import { type AwsContext, checkLane, imageTagOf, serviceExports, serviceOf } from './context.js';
import { tagsKeepingDeployTime } from './deploy-time.js';
import { errorMessage, errorName } from './errors.js';
import { configureLaneTemplate, describeResolvedConfig, type ResolvedConfig } from './lane-config.js';
import { callerArn, checkLanePolicy, lifecycleForDeploy } from './lane-lifecycle.js';
import { withThrottleRetry } from './retry.js';
import { StackDeployError, type StackDeployResult } from './stacks.js';

/** Tag holding the image tags this lane ran, newest first, space-separated (for `lanes rollback`). */
export const IMAGE_HISTORY_TAG = 'ecs-lanes:image-history';
/** Longest tag value CloudFormation accepts. */
const MAX_TAG_VALUE = 256;
/** How many times a deploy allocates again after losing its slot. */
export const MAX_PRIORITY_ATTEMPTS = 5;

/** What a lane stack deploy needs. */
export interface LaneStackRequest {
  readonly service: string;
  readonly lane: string;
  /** Full image URI with its tag. */
  readonly imageUri: string;
  /** Branch the image was built from. */
  readonly branch: string;
  readonly dryRun?: boolean;
  /**
   * Deploy with the configuration recorded for this image tag (a rollback) instead of today's.
   * @default today's effective configuration of the lane
   */
  readonly restoreConfigOf?: string;
  /** Time to live from this deploy (`3d`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
  /** Who deploys, recorded as a new lane's owner. @default the caller's ARN */
  readonly owner?: string;
  /** Keep the lane's expiry and skip the policy (a rollback of an existing lane). @default false */
  readonly keepExpiry?: boolean;
}

/** A lane stack's parameters, tags and the priority chosen. */
export interface LaneStackPlan {
  readonly stackName: string;
  readonly parameters: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly priority: number;
  /** The test-rule priority of a blue/green lane. */
  readonly testPriority?: number;
  /** True when the lane already had this priority. */
  readonly keptPriority: boolean;
  /** Where the lane's rules send its traffic with these parameters. */
  readonly liveTargetGroup: LiveTargetGroup;
  /** The stack's status, parameters and tags when planned. @default none (a new stack) */
  readonly current?: {
    readonly status: string;
    readonly parameters: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
  };
}

/** How the lane's own rules are recognised on the listener. */
export interface OwnRuleKeys {
  /** Key of the lane's (production) rule: its condition is the lane's tracestate regex. */
  readonly laneKey: string;
  /** A blue/green lane's test rule: its condition is `testHeaderName: <lane>`. */
  readonly test?: { readonly key: string; readonly headerName: string };
}

/** The listener's rules as the allocator takes them; the lane's own rules are recognised by their conditions. */
export async function listenerRules(
  ctx: AwsContext,
  listenerArn: string,
  lane: string,
  keys: string | OwnRuleKeys,
) {
  return ownRules(await describeListenerRules(ctx, listenerArn), lane, keys);
}

/** Every rule of the listener (paged). */
export async function describeListenerRules(ctx: AwsContext, listenerArn: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const page = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker })),
    );
    rules.push(...(page.Rules ?? []));
    marker = page.NextMarker;
  } while (marker);
  return rules;
}

/** The lane's production rule (its condition is the lane's tracestate regex), if any. */
export function laneProductionRule(rules: readonly Rule[], lane: string): Rule | undefined {
  const own = laneMatchRegex(lane);
  return rules.find((r) => r.Conditions?.some((c) => c.HttpHeaderConfig?.RegexValues?.includes(own)));
}

/**
 * The target group a rule sends its requests to: the heaviest of its forward action (a single-group
 * forward has no weights). Undefined when it forwards nowhere.
 */
export function ruleTargetGroupArn(rule: Rule | undefined): string | undefined {
  const forward = rule?.Actions?.find((a) => a.Type === 'forward');
  if (!forward) return undefined;
  const groups = forward.ForwardConfig?.TargetGroups ?? [];
  if (groups.length === 0) return forward.TargetGroupArn;
  return [...groups].sort((a, b) => (b.Weight ?? 1) - (a.Weight ?? 1))[0]?.TargetGroupArn;
}

/** The name part of a target group ARN (`...:targetgroup/{name}/{id}`). */
export function targetGroupNameOf(arn: string | undefined): string | undefined {
  return arn ? /:targetgroup\/([^/]+)\//.exec(arn)?.[1] : undefined;
}

function ownRules(rules: readonly Rule[], lane: string, keys: string | OwnRuleKeys): ExistingRule[] {
  const { laneKey, test } = typeof keys === 'string' ? { laneKey: keys, test: undefined } : keys;
  const own = laneMatchRegex(lane);
  return rules
    .filter((r) => !r.IsDefault && r.Priority !== 'default')
    .map((r): ExistingRule => {
      const mine = r.Conditions?.some((c) => c.HttpHeaderConfig?.RegexValues?.includes(own));
      if (mine) return { priority: Number(r.Priority), laneKey };
      const mineTest =
        test &&
        r.Conditions?.some(
          (c) =>
            c.HttpHeaderConfig?.HttpHeaderName?.toLowerCase() === test.headerName.toLowerCase() &&
            c.HttpHeaderConfig.Values?.length === 1 &&
            c.HttpHeaderConfig.Values[0] === lane,
        );
      return mineTest
        ? { priority: Number(r.Priority), laneKey: test.key }
        : { priority: Number(r.Priority) };
    });
}

/**
 * Computes the lane stack's parameters (names from core, the image, the allocated priority) and tags.
 * `avoid` lists slots lost to concurrent deploys.
 */
export async function planLaneStack(
  ctx: AwsContext,
  request: LaneStackRequest,
  avoid: ReadonlySet<number> = new Set(),
): Promise<LaneStackPlan> {
  const service = serviceOf(ctx, request.service);
  const lane = checkLane(request.lane);
  const names = laneNames(service.name, ctx.env.name, lane);
  const baseline = lane === ctx.env.baselineLane;
  const laneKey = laneRuleKey(service.name, ctx.env.name, lane);
  let priority = 0;
  let testPriority = 0;
  let keptPriority = false;
  const blueGreen = service.blueGreen.enabled && !baseline;
  const current = await ctx.stacks.describe(names.stack);
  const currentParameters = Object.fromEntries(
    (current?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
  );
  // Switching between rolling and blue/green replaces the lane's rules: the new ones are created before the
  // old ones are deleted, so they must not take the old rules' priorities (PriorityInUse).
  const switching =
    current !== undefined &&
    currentParameters.BlueGreen !== undefined &&
    currentParameters.IsBaseline === 'false' &&
    currentParameters.BlueGreen !== String(service.blueGreen.enabled);
  let liveTargetGroup: LiveTargetGroup = 'default';
  if (!baseline) {
    const exports = await serviceExports(ctx, service.name);
    // A blue/green lane has a second rule (the test route): it needs its own, distinct priority.
    const test = service.blueGreen.enabled
      ? {
          key: laneRuleKey(service.name, ctx.env.name, lane, 'test'),
          headerName: service.blueGreen.testHeaderName,
        }
      : undefined;
    const rules = await describeListenerRules(ctx, exports.listenerArn);
    const owned = ownRules(rules, lane, { laneKey, ...(test ? { test } : {}) });
    const existing: ExistingRule[] = switching ? owned.map((r) => ({ priority: r.priority })) : owned;
    const range = ctx.priorityRange ?? {};
    if (test) {
      const pair = allocatePriorityPair(laneKey, test.key, existing, { avoid, ...range });
      priority = pair.production;
      testPriority = pair.test;
    } else {
      priority = allocatePriority(laneKey, existing, { avoid, ...range });
    }
    keptPriority = existing.some((r) => r.laneKey === laneKey && r.priority === priority);
    if (blueGreen) {
      // Follow the swaps ECS made: the live target group is the one the production rule sends traffic to.
      const live = switching ? undefined : ruleTargetGroupArn(laneProductionRule(rules, lane));
      liveTargetGroup = targetGroupNameOf(live) === names.alternateTargetGroup ? 'alternate' : 'lane';
    } else if (
      !switching &&
      currentParameters.LiveTargetGroup === 'lane' &&
      current?.StackStatus !== 'ROLLBACK_COMPLETE' &&
      current?.StackStatus !== 'REVIEW_IN_PROGRESS'
    ) {
      liveTargetGroup = 'lane';
    }
  }
  const previousHistory = (current?.Tags ?? []).find((t) => t.Key === IMAGE_HISTORY_TAG)?.Value ?? '';
  const tag = imageTagOf(request.imageUri);
  const currentTags = current
    ? Object.fromEntries((current.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
    : undefined;
  const tags = {
    ...laneStackTags(
      ctx.config,
      { service: service.name, env: ctx.env.name, lane },
      { branch: request.branch, imageTag: tag },
    ),
    [IMAGE_HISTORY_TAG]: imageHistory(tag, previousHistory),
    ...lifecycleForDeploy(ctx, {
      lane,
      currentTags,
      owner: request.owner ?? (await callerArn(ctx)),
      ...(request.ttl ? { ttl: request.ttl } : {}),
      ...(request.keepExpiry ? { keepExpiry: true } : {}),
    }),
  };
  const parameters = laneStackParameters({
    config: ctx.config,
    env: ctx.env,
    service,
    lane,
    imageUri: request.imageUri,
    rulePriority: priority,
    testRulePriority: testPriority,
    liveTargetGroup,
  });
  return {
    stackName: names.stack,
    parameters,
    tags,
    priority,
    ...(testPriority ? { testPriority } : {}),
    keptPriority,
    liveTargetGroup,
    ...(current && currentTags
      ? {
          current: {
            status: current.StackStatus ?? '',
            parameters: currentParameters,
            tags: currentTags,
          },
        }
      : {}),
  };
}

/** The history with `tag` first, without repeats, cut to fit a tag value. */
export function imageHistory(tag: string, previous: string): string {
  const tags = [tag, ...previous.split(' ').filter((t) => t && t !== tag)];
  let out = '';
  for (const t of tags) {
    const next = out ? `${out} ${t}` : t;
    if (next.length > MAX_TAG_VALUE) break;
    out = next;
  }
  return out;
}

/** The image tags of a lane stack's history, newest first. */
export function historyOf(tags: Readonly<Record<string, string>>): string[] {
  const history = (tags[IMAGE_HISTORY_TAG] ?? '').split(' ').filter(Boolean);
  const current = tags[LANE_TAGS.imageTag];
  return current && !history.includes(current) ? [current, ...history] : history;
}

/**
 * The listener-rule priority a deploy lost to someone else (-1 when the message names none), or undefined when
 * `error` is not that: a stack failure with a `PriorityInUse` reason, or `PriorityInUse` answered by an API call.
 */
export function priorityInUse(error: unknown): number | undefined {
  if (errorName(error) === 'PriorityInUse') {
    const m = /Priority '?(\d+)'?/.exec(errorMessage(error));
    return m ? Number(m[1]) : -1;
  }
  if (!(error instanceof StackDeployError)) return undefined;
  for (const reason of error.reasons) {
    if (/PriorityInUse|Priority '?\d+'? is currently in use/.test(reason)) {
      const m = /Priority '?(\d+)'?/.exec(reason);
      return m ? Number(m[1]) : -1;
    }
  }
  return undefined;
}

/**
 * Deploys a lane stack (create or update through a change set), re-allocating the rule priority when a
 * concurrent deploy took it.
 */
export async function deployLaneStack(
  ctx: AwsContext,
  request: LaneStackRequest,
  progress: ProgressListener = () => {},
): Promise<StackDeployResult & { readonly plan: LaneStackPlan; readonly config: ResolvedConfig }> {
  const avoid = new Set<number>();
  // The policy, the TTL and the ALB's budget, before anything changes (a rollback keeps an existing lane).
  if (!request.keepExpiry) await checkLanePolicy(ctx, request);
  const configured = await configureLaneTemplate(
    ctx,
    {
      service: request.service,
      lane: checkLane(request.lane),
      imageTag: imageTagOf(request.imageUri),
      ...(request.restoreConfigOf !== undefined ? { restoreConfigOf: request.restoreConfigOf } : {}),
    },
    laneNames(request.service, ctx.env.name, request.lane).stack,
    await ctx.templates.laneStackTemplate(),
  );
  const templateBody = configured.templateBody;
  for (const line of [...describeResolvedConfig(configured.resolved), ...configured.resolved.notes]) {
    progress({ phase: 'config', message: line });
  }
  for (let attempt = 1; ; attempt++) {
    let plan = await planLaneStack(ctx, request, avoid);
    let reported = -1;
    const report = () => {
      if (plan.priority > 0 && plan.priority !== reported) {
        reported = plan.priority;
        progress({
          phase: 'route',
          message: `${plan.stackName}: listener rule priority ${plan.priority} (${plan.keptPriority ? 'kept' : 'allocated'})`,
        });
      }
    };
    report();
    try {
      let first = true;
      // A deploy of exactly what runs keeps the stack's deploy time, so its change set is empty (deploy-time.ts).
      const spec = (parameters: Record<string, string>) => ({
        stackName: plan.stackName,
        templateBody,
        parameters,
        tags: tagsKeepingDeployTime(
          { templateBody, parameters, tags: plan.tags },
          plan.current && {
            ...plan.current,
            templateBody: configured.currentTemplateBody,
          },
        ),
        ...(ctx.laneStackRoleArn ? { roleArn: ctx.laneStackRoleArn } : {}),
      });
      const result = await ctx.stacks.deploy(
        async () => {
          if (!first) {
            plan = await planLaneStack(ctx, request, avoid);
            report();
          }
          first = false;
          return spec(plan.parameters);
        },
        { ...(request.dryRun ? { dryRun: true } : {}), progress },
      );
      const rolling = plan.priority > 0 && plan.testPriority === undefined;
      if (!rolling || plan.liveTargetGroup !== 'default')
        return { ...result, plan, config: configured.resolved };
      // The stack is complete, so ECS reported the service stable with healthy targets: shift the lane's
      // traffic from the baseline to them (an update of the rule's weights only).
      if (request.dryRun) {
        return {
          ...result,
          plan,
          config: configured.resolved,
          notes: [
            ...result.notes,
            `then shift lane traffic to ${plan.stackName}'s target group (LiveTargetGroup=lane)`,
          ],
        };
      }
      progress({
        phase: 'route',
        message: `${plan.stackName}: service stable; shifting lane traffic to its target group`,
      });
      const shifted = {
        ...plan,
        liveTargetGroup: 'lane' as const,
        parameters: { ...plan.parameters, LiveTargetGroup: 'lane' },
      };
      const shift = await ctx.stacks.deploy(spec(shifted.parameters), { progress });
      return {
        ...result,
        changes: [...result.changes, ...shift.changes],
        notes: [
          ...result.notes,
          ...shift.notes,
          'lane traffic shifted from the baseline to the lane (LiveTargetGroup=lane)',
        ],
        outputs: shift.outputs,
        plan: shifted,
        config: configured.resolved,
      };
    } catch (error) {
      const lost = priorityInUse(error);
      if (lost === undefined) throw error;
      if (attempt >= MAX_PRIORITY_ATTEMPTS) {
        throw new UserError(
          `lane ${request.lane} of ${request.service} lost its listener-rule priority to concurrent deploys ${attempt} times; run the deploy again`,
          { cause: error },
        );
      }
      avoid.add(lost > 0 ? lost : plan.priority);
      progress({
        phase: 'route',
        message: `priority ${plan.priority} was taken by a concurrent deploy; allocating again (attempt ${attempt + 1}/${MAX_PRIORITY_ATTEMPTS})`,
      });
    }
  }
}
