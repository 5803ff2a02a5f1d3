/**
 * `lanes trace` on AWS: one request in the lane to the service's ALB (its DNS name, from the ALB stack's export),
 * asking every hop to report (`x-lanes-trace: 1`). The ALB reports nothing itself, so the entry hop is read from
 * the answering task's report and the lane stacks found (lane deployed or not); the tasks' SDK reports the rest.
 * Judged by core against `dependsOn` (docs/trace.md).
 */
import { randomBytes } from 'node:crypto';
import {
  decodeInstanceReport,
  entryHopBehindAlb,
  judgeTrace,
  type LaneRef,
  type LaneTrace,
  laneNames,
  laneRequestHeaders,
  type ProgressListener,
  TRACE_INSTANCE_HEADER,
  TRACE_REQUEST_HEADER,
  TRACE_REQUEST_VALUE,
  traceExpectations,
  UserError,
} from '@ecs-lanes/core';
import { type AwsContext, checkLane, listExports, serviceOf } from './context.js';
import { albUrl, LANE_RESPONSE_HEADER } from './inspect.js';

/**
 * The services along `dependsOn` from `entry` (itself included) that have lane `lane` deployed: one
 * `DescribeStacks` of the lane's stack name per service (core naming), not a listing of every stack.
 */
async function laneDeployedAlong(
  ctx: AwsContext,
  entry: string,
  lane: string,
): Promise<{ service: string; lane: string }[]> {
  const along = new Set<string>();
  const visit = (name: string) => {
    if (along.has(name)) return;
    along.add(name);
    for (const dep of ctx.config.services.find((s) => s.name === name)?.dependsOn ?? []) visit(dep);
  };
  visit(entry);
  const found = await Promise.all(
    [...along].map(async (service) =>
      (await ctx.stacks.describe(laneNames(service, ctx.env.name, lane).stack))
        ? { service, lane }
        : undefined,
    ),
  );
  return found.filter((d) => d !== undefined);
}

/** Traces one request in `ref.lane` from the ALB of `ref.service`. */
export async function traceLane(
  ctx: AwsContext,
  ref: LaneRef & { readonly path?: string },
  progress: ProgressListener = () => {},
): Promise<LaneTrace> {
  const service = serviceOf(ctx, ref.service);
  const lane = checkLane(ref.lane);
  const path = ref.path ?? service.trace.path;
  const entry = albUrl(ctx, service.name, await listExports(ctx));
  if (entry === undefined) {
    throw new UserError(
      `service ${service.name} has no ALB in ${ctx.env.name} (no LoadBalancerDnsName export); bootstrap it with: lanes service bootstrap ${service.name} --env ${ctx.env.name}`,
    );
  }
  const deployed = await laneDeployedAlong(ctx, service.name, lane);
  const baseline = ctx.env.baselineLane;
  const expectations = traceExpectations(ctx.config, deployed, { lane, baseline, path });
  const asked = lane === baseline ? undefined : lane;
  const headers: Record<string, string> = { [TRACE_REQUEST_HEADER]: TRACE_REQUEST_VALUE };
  if (asked !== undefined) Object.assign(headers, laneRequestHeaders(asked, randomBytes));
  const base = { service: service.name, env: ctx.env.name, entry };
  progress({
    phase: 'trace',
    message: `GET ${entry}${path} in lane ${lane} with ${TRACE_REQUEST_HEADER}: 1`,
  });
  try {
    const res = await ctx.fetch(`${entry}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    await res.text();
    const report = entryHopBehindAlb({
      service: service.name,
      asked,
      report: decodeInstanceReport(res.headers.get(TRACE_INSTANCE_HEADER)),
      answeredBy: res.headers.get(LANE_RESPONSE_HEADER) ?? undefined,
      deployed: deployed.some((d) => d.service === service.name && d.lane === lane),
    });
    return judgeTrace({ ...base, status: res.status, report }, expectations);
  } catch (error) {
    return judgeTrace(
      { ...base, report: undefined, error: `GET ${entry}${path} failed: ${(error as Error).message}` },
      expectations,
    );
  }
}
