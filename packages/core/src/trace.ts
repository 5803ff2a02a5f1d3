/**
 * Reading a trace: the hop reports of one request (hop-report.ts) judged against what is deployed and what
 * `lanes.yaml` says each service calls (`dependsOn`), as the tree `lanes trace` prints and the propagation gate
 * of `lanes verify` checks (docs/trace.md):
 * - `[OK]`: the hop stayed in the lane traced (or, tracing the baseline, was served by the baseline);
 * - `[FALLBACK] <reason>`: served by the baseline as designed: the lane is not deployed for that service, or has
 *   no healthy instance, or no lane was asked there (the lane was lost earlier, at a hop marked `[NG]`);
 * - `[NG]`: the service has the lane deployed but the request did not reach it, or the lane was lost after this
 *   hop (a call without the lane, or an expected call that never came back with the trace).
 *
 * Pure: the targets send the request and list the lanes; this module only judges and renders.
 */
import type { LanesConfig, ServiceConfig } from './config.js';
import {
  type HopReport,
  hopOf,
  type InstanceReport,
  type RouteMaker,
  type RouteReason,
  routeReason,
} from './hop-report.js';
import type { VerifyCheck } from './target.js';

/** The mark of one hop. */
export type TraceMark = 'OK' | 'FALLBACK' | 'NG';

/** One hop of a judged trace. */
export interface TraceNode {
  /** The service of the hop. */
  readonly service: string;
  /** False for a service that `dependsOn` says is called but that the trace never reached. */
  readonly reached: boolean;
  /** The lane the request asked for at this hop; undefined for none (or not reached). */
  readonly asked?: string;
  /** The lane that served it; undefined when not reached. */
  readonly served?: string;
  /** Why that lane served it; undefined when not reached. */
  readonly reason?: RouteReason;
  /** Who routed the request to this hop; undefined when not reached. */
  readonly by?: RouteMaker;
  /** True when the instance reported itself (the SDK's tracing ran there). */
  readonly reported: boolean;
  /** The judgement. */
  readonly mark: TraceMark;
  /** Why, in one line. */
  readonly detail: string;
  /** The hops of the calls this one made (and placeholders for expected calls not reached). */
  readonly calls: readonly TraceNode[];
}

/** The trace of one request in one lane, as `lanes trace` and the propagation gate report it. */
export interface LaneTrace {
  /** The entry service. */
  readonly service: string;
  /** The environment. */
  readonly env: string;
  /** The lane traced (the baseline when the request asked for none). */
  readonly lane: string;
  /** The path requested at the entry. */
  readonly path: string;
  /** Where the request was sent (the gateway's or the ALB's URL). */
  readonly entry: string;
  /** The HTTP status of the entry's answer; undefined when none came. */
  readonly status?: number;
  /** True when no hop is `[NG]` and the entry answered with a report. */
  readonly ok: boolean;
  /** The tree; undefined when the entry gave no report (see {@link error}). */
  readonly root?: TraceNode;
  /** Why there is no tree (the entry could not be reached, or did not report). */
  readonly error?: string;
  /** Hops per mark. */
  readonly counts: { readonly OK: number; readonly FALLBACK: number; readonly NG: number };
}

/** What a trace is judged against. */
export interface TraceExpectations {
  /** The lane traced. */
  readonly lane: string;
  /** The environment's baseline lane. */
  readonly baseline: string;
  /** The path requested (named in details). */
  readonly path: string;
  /** The lanes deployed for a service (any state). */
  readonly deployed: (service: string) => ReadonlySet<string>;
  /** The services a service calls, from `dependsOn`. */
  readonly dependsOn: (service: string) => readonly string[];
}

const REASON_TEXT: Readonly<Record<RouteReason, string>> = {
  lane: 'its own instance',
  'not-deployed': 'the lane is not deployed for it',
  unhealthy: 'the lane has no healthy instance',
  'no-lane': 'no lane asked',
};

/** Judges one reached hop and, below it, its calls. */
function judgeHop(hop: HopReport, x: TraceExpectations): TraceNode {
  const baselineTrace = x.lane === x.baseline;
  const deployedHere = x.deployed(hop.service).has(x.lane);
  let mark: TraceMark;
  let detail: string;
  if (baselineTrace) {
    mark = hop.served === x.baseline ? 'OK' : 'NG';
    detail =
      mark === 'OK'
        ? `baseline ${x.baseline}`
        : `served by lane ${hop.served}, not the baseline ${x.baseline}`;
  } else if (hop.asked !== undefined && hop.asked !== x.lane) {
    mark = 'NG';
    detail = `the request asked for lane ${hop.asked} instead of ${x.lane}; served by ${hop.served}`;
  } else if (hop.served === x.lane) {
    mark = 'OK';
    detail = `lane ${x.lane}`;
  } else if (deployedHere && hop.reason !== 'unhealthy') {
    mark = 'NG';
    detail =
      hop.reason === 'no-lane'
        ? `lane ${x.lane} is deployed for ${hop.service} but the request arrived without the lane; served by ${hop.served}`
        : `lane ${x.lane} is deployed for ${hop.service} but the request did not reach it; served by ${hop.served}`;
  } else {
    mark = 'FALLBACK';
    detail = `${REASON_TEXT[hop.reason]}${hop.reason === 'no-lane' ? ' (lost upstream)' : ''}; served by ${hop.served}`;
  }
  const calls = hop.calls.map((call) => judgeHop(call, x));
  const problems: string[] = [];
  // Losses are charged to the last hop that still had the lane.
  if (!baselineTrace && hop.asked === x.lane) {
    const lost = calls.filter((c) => c.asked === undefined).map((c) => c.service);
    if (lost.length > 0) problems.push(`lost the lane: called ${lost.join(', ')} without it`);
    const called = new Set(hop.calls.map((c) => c.service));
    const missing = x.dependsOn(hop.service).filter((d) => !called.has(d));
    if (!hop.reported && missing.length > 0) {
      problems.push(
        `did not report its calls (is the ecs-lanes SDK's server integration installed?), so the lane cannot be followed to ${missing.join(', ')}`,
      );
    } else if (missing.length > 0 && !hop.truncated) {
      problems.push(
        `lost the lane: no call to ${missing.join(', ')} (dependsOn) came back with the trace; ${hop.service} dropped the request's context on the way, or does not call ${missing.length > 1 ? 'them' : 'it'} for ${x.path}`,
      );
    }
    for (const service of missing) calls.push(notReached(service, x));
  }
  if (problems.length > 0) {
    mark = 'NG';
    detail = `${detail}; ${problems.join('; ')}`;
  }
  if (hop.truncated) detail = `${detail} (report truncated)`;
  else if (!hop.reported && problems.length === 0) detail = `${detail} (the instance did not report)`;
  return {
    service: hop.service,
    reached: true,
    ...(hop.asked === undefined ? {} : { asked: hop.asked }),
    served: hop.served,
    reason: hop.reason,
    by: hop.by,
    reported: hop.reported,
    mark,
    detail,
    calls,
  };
}

/** A service `dependsOn` expects to be called, that the trace did not reach. */
function notReached(service: string, x: TraceExpectations): TraceNode {
  const deployed = x.deployed(service).has(x.lane);
  return {
    service,
    reached: false,
    reported: false,
    mark: deployed ? 'NG' : 'FALLBACK',
    detail: deployed
      ? `not reached: lane ${x.lane} is deployed for ${service} but the request did not reach it`
      : `not reached in the trace; lane ${x.lane} is not deployed for ${service}, so the baseline serves it anyway`,
    calls: [],
  };
}

/** Counts the marks of a tree. */
function countMarks(node: TraceNode | undefined, counts = { OK: 0, FALLBACK: 0, NG: 0 }) {
  if (node === undefined) return counts;
  counts[node.mark]++;
  for (const call of node.calls) countMarks(call, counts);
  return counts;
}

/**
 * Judges the report of a traced request (the entry hop, with every call below it) into a {@link LaneTrace}.
 * @param entry where the request went and what came back; `report` undefined when the entry gave none
 */
export function judgeTrace(
  entry: {
    readonly service: string;
    readonly env: string;
    readonly entry: string;
    readonly status?: number;
    readonly report: HopReport | undefined;
    /** Why there is no report, when there is none. @default a message naming the missing header */
    readonly error?: string;
  },
  x: TraceExpectations,
): LaneTrace {
  const base = {
    service: entry.service,
    env: entry.env,
    lane: x.lane,
    path: x.path,
    entry: entry.entry,
    ...(entry.status === undefined ? {} : { status: entry.status }),
  };
  if (entry.report === undefined) {
    return {
      ...base,
      ok: false,
      error:
        entry.error ??
        `${entry.service} answered${entry.status === undefined ? '' : ` HTTP ${entry.status}`} without a trace report: does it run the ecs-lanes SDK's server integration?`,
      counts: { OK: 0, FALLBACK: 0, NG: 0 },
    };
  }
  const root = judgeHop(entry.report, x);
  const counts = countMarks(root);
  return { ...base, ok: counts.NG === 0, root, counts };
}

/** The services marked `[NG]`, in tree order. */
export function brokenHops(trace: LaneTrace): string[] {
  const out: string[] = [];
  const visit = (node: TraceNode) => {
    if (node.mark === 'NG') out.push(node.service);
    node.calls.forEach(visit);
  };
  if (trace.root) visit(trace.root);
  return out;
}

/**
 * The tree as text lines, for terminals and error messages:
 * ```
 * trace web lane gray in local: GET / via http://127.0.0.1:7100
 * └─ [OK] web — lane gray (gateway)
 *    └─ [FALLBACK] orders — the lane is not deployed for it; served by base (sdk)
 * 1 OK, 1 FALLBACK, 0 NG: lane gray holds on the way
 * ```
 */
export function renderTrace(trace: LaneTrace): string[] {
  const lines = [
    `trace ${trace.service} lane ${trace.lane} in ${trace.env}: GET ${trace.path} via ${trace.entry}`,
  ];
  const visit = (node: TraceNode, prefix: string, last: boolean) => {
    const by = node.by === undefined ? '' : ` (${node.by})`;
    lines.push(`${prefix}${last ? '└─' : '├─'} [${node.mark}] ${node.service} — ${node.detail}${by}`);
    node.calls.forEach((call, i) => {
      visit(call, `${prefix}${last ? '   ' : '│  '}`, i === node.calls.length - 1);
    });
  };
  if (trace.root) visit(trace.root, '', true);
  else lines.push(`└─ [NG] ${trace.service} — ${trace.error ?? 'no trace report'}`);
  const { OK, FALLBACK, NG } = trace.counts;
  const broken = brokenHops(trace);
  lines.push(
    trace.root === undefined
      ? `no trace: ${trace.error ?? 'no report'}`
      : `${OK} OK, ${FALLBACK} FALLBACK, ${NG} NG: ${
          trace.ok
            ? `lane ${trace.lane} holds on the way`
            : `lane ${trace.lane} breaks at ${broken.join(', ')}`
        }`,
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// What both targets share: expectations from the config and the lanes deployed, the entry hop, the gate check.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The expectations of a trace from `lanes.yaml` (`dependsOn`) and the lanes deployed (any state), as the target
 * lists them.
 */
export function traceExpectations(
  config: Pick<LanesConfig, 'services'>,
  deployedLanes: readonly { readonly service: string; readonly lane: string }[],
  input: { readonly lane: string; readonly baseline: string; readonly path: string },
): TraceExpectations {
  const deployed = new Map<string, Set<string>>();
  for (const { service, lane } of deployedLanes) {
    const lanes = deployed.get(service) ?? new Set<string>();
    deployed.set(service, lanes.add(lane));
  }
  const depends = new Map(config.services.map((s) => [s.name, s.dependsOn]));
  const none: ReadonlySet<string> = new Set();
  return {
    ...input,
    deployed: (service) => deployed.get(service) ?? none,
    dependsOn: (service) => depends.get(service) ?? [],
  };
}

/**
 * The entry hop behind a load balancer that does not report (the ALB): the lane served is the one the instance
 * reports (its `x-lanes-trace-instance` report, else its `x-lanes-lane` header); the reason is inferred from the
 * lanes deployed for the entry service and whether the lane asked has healthy targets.
 */
export function entryHopBehindAlb(input: {
  readonly service: string;
  readonly asked: string | undefined;
  readonly report: InstanceReport | undefined;
  readonly answeredBy: string | undefined;
  /** Whether the lane asked is deployed for the entry service. */
  readonly deployed: boolean;
}): HopReport | undefined {
  const served = input.report?.lane ?? input.answeredBy;
  if (served === undefined || input.report === undefined) return undefined;
  const reason = routeReason(input.asked, served, () => input.deployed);
  return hopOf({ service: input.service, asked: input.asked, served, reason, by: 'alb' }, input.report);
}

/** The name of the propagation gate's check in `lanes verify`. */
export function propagationCheckName(lane: string): string {
  return `propagation: lane ${lane} holds at every hop along dependsOn`;
}

/**
 * The propagation gate's check (docs/trace.md): `NG` when any hop is `[NG]` or the entry gave no report; the
 * trace goes with it so the caller can print the tree.
 */
export function propagationCheck(trace: LaneTrace): VerifyCheck {
  const broken = brokenHops(trace);
  return {
    name: propagationCheckName(trace.lane),
    status: trace.ok ? 'OK' : 'NG',
    detail: trace.root
      ? `${trace.counts.OK} OK, ${trace.counts.FALLBACK} FALLBACK, ${trace.counts.NG} NG${broken.length ? `; the lane breaks at ${broken.join(', ')}` : ''}`
      : (trace.error ?? 'no trace report'),
    trace,
  };
}

/**
 * Why the gate does not run for a lane, or undefined when it runs: it is off for the service, the lane is the
 * baseline (nothing to lose), or an earlier check failed (a lane that does not serve cannot be followed).
 */
export function propagationGateSkip(
  service: Pick<ServiceConfig, 'name' | 'trace'>,
  lane: string,
  baseline: string,
  checks: readonly VerifyCheck[],
): VerifyCheck | undefined {
  const name = propagationCheckName(lane);
  if (!service.trace.gate) {
    return {
      name,
      status: 'SKIP',
      detail: `turned off for ${service.name} (trace.gate: false in lanes.yaml)`,
    };
  }
  if (lane === baseline) {
    return {
      name,
      status: 'SKIP',
      detail: 'the baseline lane: a request without a lane has no lane to lose',
    };
  }
  if (checks.some((c) => c.status !== 'OK')) {
    return { name, status: 'SKIP', detail: 'an earlier check did not pass' };
  }
  return undefined;
}
