/**
 * Reading lanes back from AWS: `lanes ls`, `lanes status`, `lanes verify`. Lanes are found from the lane
 * stacks themselves (core's `LANE_TAGS` and naming rule), never from a local file.
 */
import { randomBytes } from 'node:crypto';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListInstancesCommand } from '@aws-sdk/client-servicediscovery';
import {
  clusterNameOf,
  EXPORT_KEYS,
  exportName,
  LANE_TAGS,
  type LaneRef,
  type LaneState,
  type LaneStatusReport,
  type LaneSummary,
  laneNames,
  laneRequestHeaders,
  lifecycleFromTags,
  type ProgressListener,
  propagationCheck,
  propagationGateSkip,
  serviceNames,
  UserError,
  type VerifyCheck,
} from '@ecs-lanes/core';
import { type AwsContext, checkLane, listExports, serviceOf } from './context.js';
import { errorMessage, errorName, isAwsAnswer } from './errors.js';
import { describeListenerRules, historyOf, laneProductionRule, ruleTargetGroupArn } from './lane-deploy.js';
import { laneCostOf, removeBlockedOf } from './lane-lifecycle.js';
import { lastExecutionForLane } from './pipeline.js';
import { withThrottleRetry } from './retry.js';
import { isInProgress, parametersOf, tagsOf } from './stacks.js';
import { traceLane } from './trace.js';

/** The response header in which services report the lane that answered. */
export const LANE_RESPONSE_HEADER = 'x-lanes-lane';

/** A lane stack found on AWS. */
export interface LaneStack {
  readonly service: string;
  readonly lane: string;
  readonly stack: Stack;
  readonly tags: Record<string, string>;
  readonly parameters: Record<string, string>;
}

/** The lane stacks of this project and environment, optionally of one service. */
export async function findLaneStacks(ctx: AwsContext, service?: string): Promise<LaneStack[]> {
  const stacks = await ctx.stacks.describeAll((s) => {
    const tags = tagsOf(s);
    return (
      tags[LANE_TAGS.project] === ctx.config.project &&
      tags[LANE_TAGS.env] === ctx.env.name &&
      tags[LANE_TAGS.service] !== undefined &&
      tags[LANE_TAGS.lane] !== undefined &&
      (service === undefined || tags[LANE_TAGS.service] === service) &&
      // The naming rule: the stack is the one core names for this lane (no stray stack with copied tags).
      laneNames(tags[LANE_TAGS.service]!, ctx.env.name, tags[LANE_TAGS.lane]!).stack === s.StackName
    );
  });
  return stacks
    .map((stack) => {
      const tags = tagsOf(stack);
      return {
        service: tags[LANE_TAGS.service]!,
        lane: tags[LANE_TAGS.lane]!,
        stack,
        tags,
        parameters: parametersOf(stack),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.lane.localeCompare(b.lane));
}

/** The lane's stack, or a UserError saying it does not exist and how to list lanes. */
export async function requireLaneStack(ctx: AwsContext, ref: LaneRef): Promise<LaneStack> {
  serviceOf(ctx, ref.service);
  checkLane(ref.lane);
  const name = laneNames(ref.service, ctx.env.name, ref.lane).stack;
  const stack = await ctx.stacks.describe(name);
  if (!stack) {
    throw new UserError(
      `lane ${ref.lane} of ${ref.service} does not exist in ${ctx.env.name} (no stack ${name}); list lanes with: lanes ls --service ${ref.service} --env ${ctx.env.name}`,
    );
  }
  return {
    service: ref.service,
    lane: ref.lane,
    stack,
    tags: tagsOf(stack),
    parameters: parametersOf(stack),
  };
}

/** What a lane's stack status means for the lane. */
export function laneStateOf(status: string | undefined): LaneState {
  switch (status) {
    case 'CREATE_COMPLETE':
    case 'UPDATE_COMPLETE':
      return 'serving';
    case 'CREATE_IN_PROGRESS':
    case 'REVIEW_IN_PROGRESS':
      return 'creating';
    case 'DELETE_IN_PROGRESS':
      return 'deleting';
    case 'UPDATE_ROLLBACK_COMPLETE':
    case 'ROLLBACK_COMPLETE':
    case 'ROLLBACK_IN_PROGRESS':
    case 'UPDATE_ROLLBACK_FAILED':
    case 'ROLLBACK_FAILED':
    case 'DELETE_FAILED':
      return 'failed';
    default:
      return isInProgress(status) ? 'updating' : 'unknown';
  }
}

/** Human detail of a stack status. */
function detailOf(stack: Stack): string {
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (status === 'UPDATE_ROLLBACK_COMPLETE') return `${status}: last deploy failed, previous version serving`;
  if (status === 'ROLLBACK_COMPLETE') return `${status}: first deploy failed, nothing serving`;
  return status;
}

/**
 * How long a stack may stay REVIEW_IN_PROGRESS (its first change set made, not yet executed) before it counts as
 * left behind: the control plane waits at most 30 minutes for a change set.
 */
export const STALE_REVIEW_MS = 30 * 60_000;

/** A part of a lane that could be read, or why it could not (an AWS error; a bug still throws). */
export type Reading<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** Reads one part of a lane; an error AWS answered becomes the reason the part is unknown. */
export async function read<T>(fn: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!isAwsAnswer(error)) throw error;
    return { ok: false, reason: `${errorName(error)}: ${errorMessage(error).split('\n')[0]}` };
  }
}

/** The value of a reading as text, or `unknown (reason)`. */
function shown<T>(reading: Reading<T>, format: (value: T) => string): string {
  return reading.ok ? format(reading.value) : `unknown (${reading.reason})`;
}

/**
 * The lane's state from its stack and from what runs: a complete stack serves only with a running task and a
 * healthy target; a stack left in REVIEW_IN_PROGRESS is a failed first deploy; what could not be read makes the
 * state unknown.
 */
function runtimeState(
  ctx: AwsContext,
  lane: LaneStack,
  ecs: Reading<Service | undefined>,
  health: Reading<{ healthy: number }>,
): { state: LaneState; detail: string } {
  const status = lane.stack.StackStatus ?? 'UNKNOWN';
  const fix = `lanes status ${lane.service} --env ${ctx.env.name} --lane ${lane.lane}`;
  if (status === 'REVIEW_IN_PROGRESS') {
    const age = ctx.clock.now() - (lane.stack.CreationTime?.getTime() ?? ctx.clock.now());
    if (age > STALE_REVIEW_MS) {
      return {
        state: 'failed',
        detail: `${status}: the first deploy stopped before creating anything; deploy again, or remove it with: lanes rm ${lane.service} --env ${ctx.env.name} --lane ${lane.lane}`,
      };
    }
  }
  const state = laneStateOf(status);
  if (state !== 'serving') return { state, detail: detailOf(lane.stack) };
  if (!ecs.ok || !health.ok) {
    const reason = !ecs.ok ? ecs.reason : !health.ok ? health.reason : '';
    return {
      state: 'unknown',
      detail: `${status}, but what runs could not be read (${reason}); see: ${fix}`,
    };
  }
  const running = ecs.value?.runningCount ?? 0;
  const desired = ecs.value?.desiredCount ?? 0;
  const healthy = health.value.healthy;
  if (ecs.value && desired === 0) return { state: 'stopped', detail: `${status}, desired count 0` };
  if (running === 0 || healthy === 0) {
    return {
      state: 'unhealthy',
      detail: `${status}, but ${running} of ${desired} tasks running and ${healthy} healthy target${healthy === 1 ? '' : 's'}; see: ${fix}`,
    };
  }
  return { state, detail: status };
}

/**
 * The target group ARN that serves a lane: the default target group for the baseline; for a blue/green lane
 * the one its production rule sends traffic to (ECS alternates them at each deployment); else the lane's.
 */
async function targetGroupArn(ctx: AwsContext, lane: LaneStack, exports: Map<string, string>) {
  if (lane.lane === ctx.env.baselineLane) {
    return exports.get(
      exportName(serviceNames(lane.service, ctx.env.name).albStack, 'DefaultTargetGroupArn'),
    );
  }
  if (lane.parameters.BlueGreen === 'true') {
    const listener = exports.get(
      exportName(serviceNames(lane.service, ctx.env.name).albStack, 'ListenerArn'),
    );
    const live = listener
      ? ruleTargetGroupArn(laneProductionRule(await describeListenerRules(ctx, listener), lane.lane))
      : undefined;
    if (live) return live;
  }
  try {
    const out = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.elbv2.send(
        new DescribeTargetGroupsCommand({
          Names: [laneNames(lane.service, ctx.env.name, lane.lane).targetGroup],
        }),
      ),
    );
    return out.TargetGroups?.[0]?.TargetGroupArn;
  } catch (error) {
    if (errorName(error) === 'TargetGroupNotFoundException') return undefined;
    throw error;
  }
}

/** Target health counts of a target group. */
async function targetHealth(ctx: AwsContext, arn: string | undefined) {
  if (!arn) return { healthy: 0, total: 0, states: {} as Record<string, number> };
  const out = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
  );
  const states: Record<string, number> = {};
  for (const d of out.TargetHealthDescriptions ?? []) {
    const state = d.TargetHealth?.State ?? 'unknown';
    states[state] = (states[state] ?? 0) + 1;
  }
  return { healthy: states.healthy ?? 0, total: out.TargetHealthDescriptions?.length ?? 0, states };
}

/** The ECS services of lanes, by name (one DescribeServices call per 10). */
async function ecsServices(ctx: AwsContext, names: readonly string[]): Promise<Map<string, Service>> {
  const out = new Map<string, Service>();
  const cluster = clusterNameOf(ctx.config, ctx.env);
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10);
    const page = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
    );
    for (const s of page.services ?? [])
      if (s.serviceName && s.status !== 'INACTIVE') out.set(s.serviceName, s);
  }
  return out;
}

/** The URL of a service's ALB. */
export function albUrl(ctx: AwsContext, service: string, exports: Map<string, string>): string | undefined {
  const dns = exports.get(exportName(serviceNames(service, ctx.env.name).albStack, 'LoadBalancerDnsName'));
  return dns ? `http://${dns}` : undefined;
}

/** Summaries of lanes (`lanes ls`). */
export async function listLanes(ctx: AwsContext, service?: string): Promise<LaneSummary[]> {
  if (service !== undefined) serviceOf(ctx, service);
  const lanes = await findLaneStacks(ctx, service);
  if (lanes.length === 0) return [];
  const exports = await listExports(ctx);
  const services = await read(() =>
    ecsServices(
      ctx,
      lanes.map((l) => laneNames(l.service, ctx.env.name, l.lane).ecsService),
    ),
  );
  return Promise.all(
    lanes.map(async (l) => {
      const health = await read(async () => targetHealth(ctx, await targetGroupArn(ctx, l, exports)));
      return summarize(ctx, l, exports, services, health);
    }),
  );
}

async function summarize(
  ctx: AwsContext,
  lane: LaneStack,
  exports: Map<string, string>,
  services: Reading<Map<string, Service>>,
  health: Reading<{ healthy: number }>,
): Promise<LaneSummary> {
  const name = laneNames(lane.service, ctx.env.name, lane.lane).ecsService;
  const ecsReading: Reading<Service | undefined> = services.ok
    ? { ok: true, value: services.value.get(name) }
    : services;
  const ecs = ecsReading.ok ? ecsReading.value : undefined;
  const { state, detail } = runtimeState(ctx, lane, ecsReading, health);
  const url = albUrl(ctx, lane.service, exports);
  const version = lane.tags[LANE_TAGS.imageTag];
  const branch = lane.tags[LANE_TAGS.branch];
  const lifecycle = lifecycleFromTags(lane.tags);
  const desired = ecs?.desiredCount ?? 0;
  const blocked = removeBlockedOf(lane.stack.StackName ?? '?', lane.stack.StackStatus);
  return {
    service: lane.service,
    env: ctx.env.name,
    lane: lane.lane,
    baseline: lane.lane === ctx.env.baselineLane,
    ...(version ? { version } : {}),
    ...(branch ? { branch } : {}),
    state,
    detail,
    running: ecs?.runningCount ?? 0,
    desired: ecs?.desiredCount ?? 0,
    healthy: health.ok ? health.value.healthy : 0,
    ...(lane.stack.CreationTime ? { createdAt: lane.stack.CreationTime.toISOString() } : {}),
    ...(url ? { url } : {}),
    ...(lifecycle.owner ? { owner: lifecycle.owner } : {}),
    ...(lifecycle.deployedAt ? { deployedAt: lifecycle.deployedAt } : {}),
    ...(lifecycle.expiresAt ? { expiresAt: lifecycle.expiresAt } : {}),
    ...laneCostOf(ctx, lane.service, desired),
    ...(blocked ? { removeBlocked: blocked } : {}),
  };
}

/**
 * Detailed status of one lane (`lanes status`): every part that could be read, and `unknown (reason)` for each
 * part AWS would not give (the lane state is then unknown rather than serving).
 */
export async function laneStatus(ctx: AwsContext, ref: LaneRef): Promise<LaneStatusReport> {
  const lane = await requireLaneStack(ctx, ref);
  const names = laneNames(ref.service, ctx.env.name, ref.lane);
  const exports = await listExports(ctx);
  const services = await read(() => ecsServices(ctx, [names.ecsService]));
  const health = await read(async () => targetHealth(ctx, await targetGroupArn(ctx, lane, exports)));
  const summary = await summarize(ctx, lane, exports, services, health);
  const details: [string, string][] = [];
  const stack = lane.stack;
  details.push([
    'stack',
    `${stack.StackName} ${stack.StackStatus}${stack.StackStatusReason ? ` (${stack.StackStatusReason})` : ''}`,
  ]);
  details.push(['updated', (stack.LastUpdatedTime ?? stack.CreationTime)?.toISOString() ?? '-']);
  details.push(['image', lane.parameters.ImageUri ?? '-']);
  details.push(['history', historyOf(lane.tags).join(' ') || '-']);
  details.push(['owner', summary.owner ?? '-']);
  details.push(['expires', summary.expiresAt ?? 'never']);
  if (lane.parameters.RulePriority && lane.parameters.RulePriority !== '0') {
    details.push(['rule priority', lane.parameters.RulePriority]);
  }
  if (!services.ok) details.push(['service', `unknown (${services.reason})`]);
  else {
    const ecs = services.value.get(names.ecsService);
    if (ecs) {
      details.push([
        'service',
        `${ecs.serviceName} ${ecs.status} running ${ecs.runningCount}/${ecs.desiredCount}`,
      ]);
      for (const d of ecs.deployments ?? []) {
        details.push([
          'deployment',
          `${d.status} ${d.rolloutState ?? ''} ${d.taskDefinition?.split('/').pop() ?? ''} running ${d.runningCount}/${d.desiredCount}${d.rolloutStateReason ? ` (${d.rolloutStateReason})` : ''}`.replace(
            / +/g,
            ' ',
          ),
        ]);
      }
    } else {
      details.push(['service', `${names.ecsService} not found`]);
    }
  }
  details.push([
    'targets',
    shown(
      health,
      (h) =>
        `${h.healthy} healthy of ${h.total}${
          Object.keys(h.states).length
            ? ` (${Object.entries(h.states)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})`
            : ''
        }`,
    ),
  ]);
  const sdId = exports.get(exportName(serviceNames(ref.service, ctx.env.name).sdStack, EXPORT_KEYS.sd[0]));
  if (sdId) {
    const instances = await read(() =>
      withThrottleRetry(ctx.clock, () =>
        ctx.clients.servicediscovery.send(new ListInstancesCommand({ ServiceId: sdId })),
      ),
    );
    details.push([
      'cloud map',
      shown(instances, (out) => {
        const mine = (out.Instances ?? []).filter((i) => i.Attributes?.ECS_SERVICE_NAME === names.ecsService);
        return `${mine.length} instance${mine.length === 1 ? '' : 's'} registered`;
      }),
    ]);
  }
  const alarms = await read(() =>
    withThrottleRetry(ctx.clock, () =>
      ctx.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: names.alarmPrefix })),
    ),
  );
  details.push([
    'alarms',
    shown(alarms, (out) => {
      const metricAlarms = out.MetricAlarms ?? [];
      return metricAlarms.length
        ? metricAlarms
            .map(
              (a) =>
                `${a.AlarmName?.slice(names.alarmPrefix.length).replace(/^-/, '') || a.AlarmName} ${a.StateValue}`,
            )
            .join(', ')
        : 'none';
    }),
  ]);
  const pipeline = serviceNames(ref.service, ctx.env.name).appPipeline;
  const last = await read(() => lastExecutionForLane(ctx, pipeline, ref.lane));
  details.push([
    'last run',
    shown(last, (run) =>
      run
        ? `${run.pipelineExecutionId} ${run.status} (branch ${run.variables?.find((v) => v.name === 'branch')?.resolvedValue ?? '?'})`
        : 'none found',
    ),
  ]);
  return { summary, details };
}

/**
 * The verification checks of one lane: the stack is complete, healthy targets > 0, `GET <health path>`
 * through the ALB, and a request with the lane's tracestate answered by that lane.
 */
export async function verifyLane(
  ctx: AwsContext,
  ref: LaneRef,
  progress: ProgressListener = () => {},
): Promise<VerifyCheck[]> {
  const lane = await requireLaneStack(ctx, ref);
  const service = serviceOf(ctx, ref.service);
  const checks: VerifyCheck[] = [];
  const add = (check: VerifyCheck) => {
    checks.push(check);
    progress({
      phase: 'verify',
      message: `[${check.status}] ${check.name}${check.detail ? `: ${check.detail}` : ''}`,
    });
  };
  const status = lane.stack.StackStatus ?? 'UNKNOWN';
  add({
    name: 'lane stack is deployed',
    status: status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' ? 'OK' : 'NG',
    detail: `${lane.stack.StackName} ${status}`,
  });
  const exports = await listExports(ctx);
  const health = await targetHealth(ctx, await targetGroupArn(ctx, lane, exports));
  add({
    name: 'healthy targets > 0',
    status: health.healthy > 0 ? 'OK' : 'NG',
    detail: `${health.healthy} healthy of ${health.total}`,
  });
  const url = albUrl(ctx, ref.service, exports);
  if (!url) {
    add({ name: `GET ${service.healthPath}`, status: 'SKIP', detail: 'no ALB export found' });
    add({ name: `answered by lane ${ref.lane}`, status: 'SKIP', detail: 'no ALB export found' });
    return checks;
  }
  const baseline = ref.lane === ctx.env.baselineLane;
  // Each request starts its own trace: a fresh traceparent with the lane's tracestate (W3C Trace Context §3.3).
  const headers = (): Record<string, string> =>
    baseline ? {} : { ...laneRequestHeaders(ref.lane, randomBytes) };
  try {
    const res = await ctx.fetch(`${url}${service.healthPath}`, {
      headers: headers(),
      signal: AbortSignal.timeout(10_000),
    });
    add({
      name: `GET ${service.healthPath} through the ALB`,
      status: res.status >= 200 && res.status < 300 ? 'OK' : 'NG',
      detail: `HTTP ${res.status}`,
    });
  } catch (error) {
    add({
      name: `GET ${service.healthPath} through the ALB`,
      status: 'NG',
      detail: (error as Error).message,
    });
  }
  try {
    const res = await ctx.fetch(`${url}/`, { headers: headers(), signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    let answered = res.headers.get(LANE_RESPONSE_HEADER) ?? undefined;
    if (!answered) {
      try {
        const parsed = JSON.parse(body) as { lane?: unknown };
        if (typeof parsed.lane === 'string') answered = parsed.lane;
      } catch {
        // Not JSON: no lane field.
      }
    }
    add({
      name: baseline
        ? `a request without a lane is answered by ${ref.lane}`
        : `a request with tracestate ctx=lane:${ref.lane} is answered by that lane`,
      status: answered === ref.lane ? 'OK' : 'NG',
      detail: answered
        ? `answered by lane ${answered} (HTTP ${res.status})`
        : `no ${LANE_RESPONSE_HEADER} header or lane field (HTTP ${res.status})`,
    });
  } catch (error) {
    add({ name: `answered by lane ${ref.lane}`, status: 'NG', detail: (error as Error).message });
  }
  add(
    propagationGateSkip(service, ref.lane, ctx.env.baselineLane, checks) ??
      propagationCheck(await traceLane(ctx, ref, progress)),
  );
  return checks;
}
