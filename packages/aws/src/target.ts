/**
 * The AWS {@link LaneTarget}: lanes deploy through the app pipeline, and are listed, inspected, verified,
 * rolled back and removed through CloudFormation, ELBv2, ECS, CloudWatch, Cloud Map and CodePipeline.
 */
import { DescribeStackEventsCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  APP_PIPELINE_VARIABLES,
  type AwsEnvironmentConfig,
  assertStillExpired,
  checkCommitId,
  type DeployLaneRequest,
  type DeployResult,
  LANE_TAGS,
  type LaneRef,
  type LanesConfig,
  type LaneTarget,
  LIFECYCLE_TAGS,
  laneNames,
  type ProgressListener,
  type RemoveLaneRequest,
  type RemoveResult,
  serviceNames,
  UserError,
} from '@ecs-lanes/core';
import { type AwsClients, createAwsClients } from './clients.js';
import { type Clock, systemClock } from './clock.js';
import {
  type AwsContext,
  checkAccount,
  checkLane,
  createContext,
  explained,
  type Fetch,
  imageRepositoryOf,
  listExports,
  serviceOf,
} from './context.js';
import { laneStatus, listLanes, requireLaneStack, verifyLane } from './inspect.js';
import { createSsmConfigStore } from './lane-config.js';
import { deployLaneStack, historyOf, planLaneStack } from './lane-deploy.js';
import { callerArn, checkLanePolicy, extendLane, listenerBudgets } from './lane-lifecycle.js';
import { followExecution, getPipeline, startPipeline } from './pipeline.js';
import { formatChanges } from './stacks.js';
import { missingTemplates, type TemplateSource } from './templates.js';
import { traceLane } from './trace.js';

/** Options of {@link createAwsTarget}. */
export interface AwsTargetOptions {
  readonly config: LanesConfig;
  readonly env: AwsEnvironmentConfig;
  /** Directory of `lanes.yaml`. */
  readonly root: string;
  /** Named AWS profile. @default the default credential chain */
  readonly profile?: string;
  /** Region. @default the environment's region */
  readonly region?: string;
  /** Clients (tests inject clients wired to the fake). @default real SDK clients */
  readonly clients?: AwsClients;
  /** Template bodies. @default none (commands that need templates say how to get them) */
  readonly templates?: TemplateSource;
  /** Clock of every wait. @default the system clock */
  readonly clock?: Clock;
  /**
   * Asks the user a yes/no question (only given on an interactive terminal), for callers that use the target
   * without the CLI; `lanes rm` asks before calling the target. @default no question asked
   */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** HTTP client of `verify`. @default global fetch */
  readonly fetch?: Fetch;
  /** Priorities lanes may take on their service's listener. @default 1..50000 */
  readonly priorityRange?: { readonly min: number; readonly max: number };
  /** See {@link AwsContext.laneStackRoleArn}. @default the caller's credentials */
  readonly laneStackRoleArn?: string;
}

/** Builds the context of the AWS control plane from target options. */
export function createAwsContext(options: AwsTargetOptions): AwsContext {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? options.env.region;
  return createContext({
    config: options.config,
    env: region === options.env.region ? options.env : { ...options.env, region },
    clients:
      options.clients ??
      createAwsClients({ region, clock, ...(options.profile ? { profile: options.profile } : {}) }),
    clock,
    templates: options.templates ?? missingTemplates,
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.priorityRange ? { priorityRange: options.priorityRange } : {}),
    ...(options.laneStackRoleArn ? { laneStackRoleArn: options.laneStackRoleArn } : {}),
  });
}

/** The AWS lane target. */
export function createAwsTarget(options: AwsTargetOptions): LaneTarget {
  const ctx = createAwsContext(options);
  let accountChecked: Promise<void> | undefined;
  const account = () => {
    accountChecked ??= checkAccount(ctx);
    return accountChecked;
  };
  const noop: ProgressListener = () => {};
  return {
    deploy: (request, progress = noop) =>
      explained(ctx, `deploying lane ${request.lane} of ${request.service}`, async () => {
        await account();
        return deployThroughPipeline(ctx, request, progress);
      }),
    list: (filter) =>
      explained(ctx, `listing the lanes of ${ctx.env.name}`, async () => {
        await account();
        return listLanes(ctx, filter?.service);
      }),
    status: (ref) =>
      explained(ctx, `reading the status of lane ${ref.lane} of ${ref.service}`, async () => {
        await account();
        return laneStatus(ctx, ref);
      }),
    verify: (ref, progress = noop) =>
      explained(ctx, `verifying lane ${ref.lane} of ${ref.service}`, async () => {
        await account();
        return verifyLane(ctx, ref, progress);
      }),
    trace: (ref, progress = noop) =>
      explained(ctx, `tracing lane ${ref.lane} of ${ref.service}`, async () => {
        await account();
        return traceLane(ctx, ref, progress);
      }),
    rollback: (ref, progress = noop) =>
      explained(ctx, `rolling back lane ${ref.lane} of ${ref.service}`, async () => {
        await account();
        return rollbackLane(ctx, ref, progress);
      }),
    remove: (ref, progress = noop) =>
      explained(ctx, `removing lane ${ref.lane} of ${ref.service}`, async () => {
        await account();
        // The CLI asks for confirmation itself (rm --yes skips it); the target does not ask a second time.
        return removeLane(ctx, ref, progress);
      }),
    extend: (request, progress = noop) =>
      explained(ctx, `extending lane ${request.lane} of ${request.service}`, async () => {
        await account();
        return extendLane(ctx, request, progress);
      }),
    budgets: (filter) =>
      explained(ctx, `reading the ALB rule budgets of ${ctx.env.name}`, async () => {
        await account();
        return listenerBudgets(ctx, filter?.service);
      }),
  };
}

/** The App repo's source action of the app pipeline (the one a `--commit` overrides). */
export const APP_SOURCE_ACTION = 'AppSource';

/**
 * Starts the app pipeline with `lane` and `branch` (and, for an explicit `commit`, the variable `commit` and the
 * App source's revision) and follows it (unless `wait` is false).
 */
export async function deployThroughPipeline(
  ctx: AwsContext,
  request: DeployLaneRequest,
  progress: ProgressListener,
): Promise<DeployResult> {
  const service = serviceOf(ctx, request.service);
  const lane = checkLane(request.lane);
  const branch = request.branch ?? service.appRepo.branch;
  const names = serviceNames(service.name, ctx.env.name);
  const ref = { service: service.name, env: ctx.env.name, lane };
  const pipeline = await getPipeline(ctx, names.appPipeline, service.name);
  const stageOrder = (pipeline.stages ?? []).map((s) => s.name ?? '?');
  const declared = new Set((pipeline.variables ?? []).map((v) => v.name));
  const commit = request.commit;
  if (commit !== undefined) {
    const problem = checkCommitId(commit);
    if (problem) throw new UserError(`invalid --commit: ${problem}`);
  }
  for (const variable of [
    APP_PIPELINE_VARIABLES.lane,
    APP_PIPELINE_VARIABLES.branch,
    ...(commit ? [APP_PIPELINE_VARIABLES.commit] : []),
  ]) {
    if (!declared.has(variable)) {
      throw new UserError(
        `pipeline ${names.appPipeline} declares no variable "${variable}"; update it with: lanes service bootstrap ${service.name} --env ${ctx.env.name}`,
      );
    }
  }
  // The policy, the TTL and the ALB's budget are checked before the pipeline starts: nothing changes when refused.
  await checkLanePolicy(ctx, { service: service.name, lane, ...(request.ttl ? { ttl: request.ttl } : {}) });
  // The app pipeline carries ttl and owner to `lanes ci deploy` (pipelines bootstrapped before lane expiry
  // declare neither: the lane then gets the default TTL and the build role as owner, and the user is told).
  const lifecycleVariables: Record<string, string> = {};
  if (declared.has('ttl')) lifecycleVariables.ttl = request.ttl ?? ctx.env.policy.defaultTtl;
  if (declared.has('owner')) lifecycleVariables.owner = await callerArn(ctx);
  if (!declared.has('ttl') || !declared.has('owner')) {
    progress({
      phase: 'pipeline',
      message: `pipeline ${names.appPipeline} declares no ttl/owner variables: the lane gets the default TTL and the build role as owner; update it with: lanes service bootstrap ${service.name} --env ${ctx.env.name}`,
    });
  }
  const start = `start pipeline ${names.appPipeline} (${pipeline.executionMode ?? 'SUPERSEDED'}) with lane=${lane} branch=${branch}${commit ? ` commit=${commit} (source revision of ${APP_SOURCE_ACTION})` : ''}${lifecycleVariables.ttl ? ` ttl=${lifecycleVariables.ttl}` : ''}`;
  if (request.dryRun) {
    const stackName = laneNames(service.name, ctx.env.name, lane).stack;
    const stack = await ctx.stacks.describe(stackName);
    const actions = [
      start,
      `${stack ? 'update' : 'create'} stack ${stackName}${stack ? ` (now ${stack.StackStatus})` : ''}`,
    ];
    if (lane !== ctx.env.baselineLane) {
      const plan = await planLaneStack(ctx, {
        service: service.name,
        lane,
        branch,
        imageUri:
          stack?.Parameters?.find((p) => p.ParameterKey === 'ImageUri')?.ParameterValue ?? 'image:unknown',
      });
      actions.push(`listener rule priority ${plan.priority} (${plan.keptPriority ? 'kept' : 'new'})`);
    } else {
      actions.push('baseline lane: served by the default target group, no listener rule');
    }
    // The configuration the deploy job would resolve today (names and versions; never a value).
    for (const e of await createSsmConfigStore(ctx).effective(ref)) {
      actions.push(
        `config ${e.key} <- ${e.source} version ${e.version}${e.secure ? ' (SecureString, as an ECS secret)' : ''}${e.overrides ? ' (lane override)' : ''}`,
      );
    }
    return { ...ref, dryRun: true, actions };
  }
  progress({ phase: 'pipeline', message: start });
  const executionId = await startPipeline(
    ctx,
    names.appPipeline,
    { lane, branch, ...lifecycleVariables, ...(commit ? { [APP_PIPELINE_VARIABLES.commit]: commit } : {}) },
    commit ? { [APP_SOURCE_ACTION]: commit } : {},
  );
  progress({ phase: 'pipeline', message: `execution ${executionId} started` });
  if (request.wait === false) return { ...ref, dryRun: false, actions: [start], executionId };
  const { execution, stages } = await followExecution(
    ctx,
    names.appPipeline,
    executionId,
    stageOrder,
    progress,
  );
  if (execution.status !== 'Succeeded') {
    const failed = stages.find((s) => s.status === 'Failed');
    const stack = await ctx.stacks.describe(laneNames(service.name, ctx.env.name, lane).stack);
    const serving =
      stack?.StackStatus === 'UPDATE_ROLLBACK_COMPLETE' || stack?.StackStatus === 'UPDATE_COMPLETE'
        ? `; the previous version (${stack.Tags?.find((t) => t.Key === LANE_TAGS.imageTag)?.Value ?? '?'}) still serves`
        : '';
    throw new UserError(
      `deploy of lane ${lane} of ${service.name} ${execution.status?.toLowerCase() ?? 'failed'}${failed ? ` at stage ${failed.stage}${failed.summary ? `: ${failed.summary}` : ''}` : ''} (execution ${executionId})${serving}; see: lanes status ${service.name} --env ${ctx.env.name} --lane ${lane}`,
    );
  }
  const stack = await ctx.stacks.describe(laneNames(service.name, ctx.env.name, lane).stack);
  const version = stack?.Tags?.find((t) => t.Key === LANE_TAGS.imageTag)?.Value;
  const dns = (await listExports(ctx)).get(`${names.albStack}:LoadBalancerDnsName`);
  return {
    ...ref,
    dryRun: false,
    actions: [start, ...stages.map((s) => `${s.stage}: ${s.status}`)],
    executionId,
    ...(version ? { version } : {}),
    ...(dns ? { url: `http://${dns}` } : {}),
  };
}

/** Redeploys the previous image tag of a lane (or `to`), directly (no build). */
export async function rollbackLane(
  ctx: AwsContext,
  ref: LaneRef & { readonly to?: string; readonly dryRun?: boolean },
  progress: ProgressListener,
): Promise<DeployResult> {
  const lane = await requireLaneStack(ctx, ref);
  const history = historyOf(lane.tags);
  const current = lane.tags[LANE_TAGS.imageTag];
  const target = ref.to ?? history.find((t) => t !== current);
  if (!target) {
    throw new UserError(
      `lane ${ref.lane} of ${ref.service} has no earlier image tag to roll back to (history: ${history.join(' ') || 'empty'}); deploy a branch with: lanes deploy ${ref.service} --env ${ctx.env.name} --lane ${ref.lane} --branch BRANCH`,
    );
  }
  if (!history.includes(target)) {
    throw new UserError(
      `image tag ${target} never ran in lane ${ref.lane} of ${ref.service}; known tags, newest first: ${history.join(', ')}`,
    );
  }
  const currentUri = lane.parameters.ImageUri;
  if (!currentUri)
    throw new UserError(`stack ${lane.stack.StackName} has no ImageUri parameter; it is not a lane stack`);
  const imageUri = `${imageRepositoryOf(currentUri)}:${target}`;
  const base = { service: ref.service, env: ctx.env.name, lane: ref.lane };
  const request = {
    service: ref.service,
    lane: ref.lane,
    imageUri,
    branch: lane.tags[LANE_TAGS.branch] ?? serviceOf(ctx, ref.service).appRepo.branch,
    restoreConfigOf: target,
    ...(ref.dryRun ? { dryRun: true } : {}),
    keepExpiry: true,
  };
  progress({ phase: 'rollback', message: `${ref.lane}: ${current ?? '?'} -> ${target}` });
  const result = await deployLaneStack(ctx, request, progress);
  const dns = (await listExports(ctx)).get(
    `${serviceNames(ref.service, ctx.env.name).albStack}:LoadBalancerDnsName`,
  );
  // An empty change set: the lane already runs `target` (for example `--to` the current version).
  const changed = result.outcome !== 'unchanged';
  return {
    ...base,
    dryRun: Boolean(ref.dryRun),
    actions: changed
      ? [
          `roll back ${ref.lane} from ${current ?? '?'} to ${target}`,
          ...result.config.notes,
          ...formatChanges(result.stackName, result),
        ]
      : [`lane ${ref.lane} of ${ref.service} already runs ${target}: nothing changed`, ...result.notes],
    version: ref.dryRun ? (current ?? target) : target,
    changed,
    ...(dns ? { url: `http://${dns}` } : {}),
  };
}

/** Deletion order of a lane stack's resources: what depends on others goes first. */
const DELETE_RANK: Readonly<Record<string, number>> = {
  'AWS::CloudWatch::Alarm': 0,
  'AWS::ECS::Service': 1,
  'AWS::ElasticLoadBalancingV2::ListenerRule': 2,
  'AWS::ECS::TaskDefinition': 3,
  'AWS::ElasticLoadBalancingV2::TargetGroup': 4,
};

/**
 * Deletes a lane stack. A rolling lane's rule is shifted to the baseline first (`LiveTargetGroup=default`, an
 * update of the rule's weights only), so that no lane request meets the draining service: the template makes
 * the service refer to the rule, so CloudFormation deletes the service before the rule.
 */
export async function removeLane(
  ctx: AwsContext,
  ref: RemoveLaneRequest,
  progress: ProgressListener,
  confirm?: (question: string) => Promise<boolean>,
): Promise<RemoveResult> {
  const lane = await requireLaneStack(ctx, ref);
  // gc's guard: the stack's tags read just now must still say expired (a redeploy or extend moves them).
  assertStillExpired(ref, lane.tags[LIFECYCLE_TAGS.expiresAt]);
  const base = { service: ref.service, env: ctx.env.name, lane: ref.lane };
  if (ref.lane === ctx.env.baselineLane && !ref.force) {
    throw new UserError(
      `lane ${ref.lane} is the baseline of ${ref.service} in ${ctx.env.name}: every request without a lane goes to it; pass --force to delete it anyway`,
    );
  }
  const stackName = lane.stack.StackName!;
  const shift =
    lane.parameters.IsBaseline === 'false' &&
    lane.parameters.BlueGreen === 'false' &&
    lane.parameters.LiveTargetGroup === 'lane' &&
    (lane.stack.StackStatus === 'CREATE_COMPLETE' ||
      lane.stack.StackStatus === 'UPDATE_COMPLETE' ||
      lane.stack.StackStatus === 'UPDATE_ROLLBACK_COMPLETE');
  const shiftAction = `shift lane traffic of ${ref.lane} to the baseline (LiveTargetGroup=default)`;
  if (ref.dryRun) {
    const resources = await ctx.clients.cloudformation.send(
      new DescribeStackResourcesCommand({ StackName: stackName }),
    );
    const ordered = [...(resources.StackResources ?? [])].sort(
      (a, b) => (DELETE_RANK[a.ResourceType ?? ''] ?? 5) - (DELETE_RANK[b.ResourceType ?? ''] ?? 5),
    );
    return {
      ...base,
      dryRun: true,
      actions: [
        ...(shift ? [shiftAction] : []),
        `delete stack ${stackName}`,
        ...ordered.map((r) =>
          `delete ${r.LogicalResourceId} (${r.ResourceType}) ${r.PhysicalResourceId ?? ''}`.trim(),
        ),
      ],
    };
  }
  if (
    confirm &&
    !(await confirm(`Delete lane ${ref.lane} of ${ref.service} in ${ctx.env.name} (stack ${stackName})?`))
  ) {
    throw new UserError('not confirmed; nothing was deleted');
  }
  const shifted: string[] = [];
  if (shift) {
    progress({ phase: 'route', message: `${stackName}: ${shiftAction}` });
    await ctx.stacks.deploy(
      {
        stackName,
        templateBody: await ctx.templates.laneStackTemplate(),
        parameters: { ...lane.parameters, LiveTargetGroup: 'default' },
        tags: lane.tags,
        ...(ctx.laneStackRoleArn ? { roleArn: ctx.laneStackRoleArn } : {}),
      },
      { progress },
    );
    shifted.push(shiftAction);
  }
  const stackId = lane.stack.StackId!;
  const since = ctx.clock.now();
  await ctx.stacks.deleteAndWait(stackName, progress);
  const events = await ctx.clients.cloudformation.send(
    new DescribeStackEventsCommand({ StackName: stackId }),
  );
  const deleted = (events.StackEvents ?? [])
    .filter(
      (e) =>
        (e.Timestamp?.getTime() ?? 0) >= since &&
        e.ResourceStatus === 'DELETE_COMPLETE' &&
        e.ResourceType !== 'AWS::CloudFormation::Stack',
    )
    .reverse()
    .map((e) => `deleted ${e.LogicalResourceId} (${e.ResourceType})`);
  return { ...base, dryRun: false, actions: [...shifted, ...deleted, `deleted stack ${stackName}`] };
}
