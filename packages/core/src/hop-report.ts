/**
 * Hop reports: what each hop of a traced request decided, on the wire (docs/trace.md).
 *
 * Tracing is opt-in per request: only a request carrying {@link TRACE_REQUEST_HEADER}`: 1` is traced, and a
 * report never holds more than service names, lane names and the routing reason (no addresses, ports, instance
 * ids or timings). Two response headers carry reports back towards the caller:
 * - {@link TRACE_INSTANCE_HEADER}, written by the SDK in the instance that served: its own lane, the lane it was
 *   asked for, and the hops of the calls it made (an {@link InstanceReport});
 * - {@link TRACE_HOP_HEADER}, written by the local gateway: the gateway's routing decision wrapped around the
 *   instance's report (a {@link HopReport}).
 * A caller (the SDK's `lanes.fetch`, the gateway, `lanes trace`) wraps the instance report of its callee in the
 * routing decision it made itself, so the entry point's answer holds the whole tree.
 *
 * Reports come from the network: decoding never throws, bounds the size ({@link MAX_TRACE_REPORT_LENGTH},
 * {@link MAX_TRACE_HOPS}, {@link MAX_TRACE_DEPTH}) and checks every name against the service and lane grammars;
 * anything else gives `undefined` (no report). Encoding drops the deepest, latest calls first when a tree would
 * not fit, and marks the hop whose calls were cut as `truncated`.
 *
 * Pure: no I/O. Imports only the lane grammar, so the SDK can load it without the config schema.
 */
import { isValidLaneName } from './lane.js';

/** The request header that asks every hop to report (value {@link TRACE_REQUEST_VALUE}). Never sent by default. */
export const TRACE_REQUEST_HEADER = 'x-lanes-trace';
/** The only value of {@link TRACE_REQUEST_HEADER} that turns tracing on. */
export const TRACE_REQUEST_VALUE = '1';
/** The response header in which the SDK of the instance that served reports itself and its calls. */
export const TRACE_INSTANCE_HEADER = 'x-lanes-trace-instance';
/** The response header in which the local gateway reports its routing decision and the instance's report. */
export const TRACE_HOP_HEADER = 'x-lanes-trace-hop';

/**
 * Longest report header value written or read, in characters. Node's default limit for all the headers of a
 * response is 16 KiB (`--max-http-header-size`); a report keeps well below it.
 */
export const MAX_TRACE_REPORT_LENGTH = 8_192;
/** Most hops a report holds (every call counts, at every depth). */
export const MAX_TRACE_HOPS = 64;
/** Deepest call chain a report holds (the entry hop is depth 1). */
export const MAX_TRACE_DEPTH = 16;

/**
 * Why a hop was served by the lane it was:
 * - `lane`: the lane asked for served it (its own instance);
 * - `not-deployed`: fallback to the baseline, the lane is not deployed for that service;
 * - `unhealthy`: fallback to the baseline, the lane is deployed but has no healthy instance;
 * - `no-lane`: the request asked for no lane, so the baseline served it.
 */
export type RouteReason = 'lane' | 'not-deployed' | 'unhealthy' | 'no-lane';

/** Every {@link RouteReason}. */
export const ROUTE_REASONS: readonly RouteReason[] = ['lane', 'not-deployed', 'unhealthy', 'no-lane'];

/** Who made a hop's routing decision: the local gateway, the caller's SDK, or the ALB (seen from `lanes trace`). */
export type RouteMaker = 'gateway' | 'sdk' | 'alb';

/** One hop: a call to a service, the routing decision made for it, and the calls its instance made. */
export interface HopReport {
  /** The service called. */
  readonly service: string;
  /** The lane the call asked for; undefined when it asked for none. */
  readonly asked?: string;
  /** The lane whose instance served the call. */
  readonly served: string;
  /** Why that lane served it. */
  readonly reason: RouteReason;
  /** Who routed the call. */
  readonly by: RouteMaker;
  /** True when the instance that served reported itself (the SDK ran there and saw the trace header). */
  readonly reported: boolean;
  /** The calls the instance made while serving, in the order they were answered. */
  readonly calls: readonly HopReport[];
  /** True when calls were left out to keep the report within its bounds. @default false */
  readonly truncated?: boolean;
}

/** What the instance that served a traced request says about itself. */
export interface InstanceReport {
  /** The instance's own lane; undefined when the SDK was not told it. */
  readonly lane?: string;
  /** The lane the request asked for when it arrived; undefined for none. */
  readonly asked?: string;
  /** The calls the instance made while serving. */
  readonly calls: readonly HopReport[];
  /** True when calls were left out to keep the report within its bounds. @default false */
  readonly truncated?: boolean;
}

/** The grammar of a service name (config.ts `SERVICE_PATTERN`, repeated here to keep this module free of it). */
const SERVICE_NAME = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;
const MAX_SERVICE_NAME = 32;
const MAKERS: readonly string[] = ['gateway', 'sdk', 'alb'];

/** True when a request's header value turns tracing on (exactly `1`; repeated fields are not honoured). */
export function isTraceRequested(value: string | readonly string[] | undefined | null): boolean {
  return value === TRACE_REQUEST_VALUE;
}

/**
 * The routing reason for a call that asked for `asked` and was served by `served`.
 * @param deployed whether `asked` is deployed for the service at all (any health); only read on a fallback
 */
export function routeReason(
  asked: string | undefined,
  served: string,
  deployed: (lane: string) => boolean,
): RouteReason {
  if (asked === undefined) return 'no-lane';
  if (asked === served) return 'lane';
  return deployed(asked) ? 'unhealthy' : 'not-deployed';
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: compact JSON (names are [a-z0-9-], so the value is printable ASCII as a header needs).
// ---------------------------------------------------------------------------------------------------------------

interface WireHop {
  s: string;
  a?: string;
  l: string;
  r: RouteReason;
  b: RouteMaker;
  p: 0 | 1;
  c: WireHop[];
  t?: 1;
}
interface WireInstance {
  l?: string;
  a?: string;
  c: WireHop[];
  t?: 1;
}

/** Copies `calls` keeping at most `budget.left` hops, depth-first in order; marks where it cut. */
function toWire(calls: readonly HopReport[], depth: number, budget: { left: number }): [WireHop[], boolean] {
  const out: WireHop[] = [];
  let cut = false;
  for (const hop of calls) {
    if (budget.left <= 0 || depth > MAX_TRACE_DEPTH) {
      cut = true;
      break;
    }
    budget.left--;
    const [children, childCut] = toWire(hop.calls, depth + 1, budget);
    out.push({
      s: hop.service,
      ...(hop.asked === undefined ? {} : { a: hop.asked }),
      l: hop.served,
      r: hop.reason,
      b: hop.by,
      p: hop.reported ? 1 : 0,
      c: children,
      ...(hop.truncated || childCut ? { t: 1 as const } : {}),
    });
  }
  return [out, cut];
}

/** Encodes with a shrinking hop budget until the value fits in {@link MAX_TRACE_REPORT_LENGTH}. */
function encodeWithin(make: (budget: { left: number }) => unknown): string {
  for (let hops = MAX_TRACE_HOPS; ; hops = Math.floor(hops / 2)) {
    const text = JSON.stringify(make({ left: hops }));
    if (text.length <= MAX_TRACE_REPORT_LENGTH || hops === 0) return text;
  }
}

/** The {@link TRACE_INSTANCE_HEADER} value of an instance report. */
export function encodeInstanceReport(report: InstanceReport): string {
  return encodeWithin((budget) => {
    const [calls, cut] = toWire(report.calls, 2, budget);
    const wire: WireInstance = {
      ...(report.lane === undefined ? {} : { l: report.lane }),
      ...(report.asked === undefined ? {} : { a: report.asked }),
      c: calls,
      ...(report.truncated || cut ? { t: 1 as const } : {}),
    };
    return wire;
  });
}

/** The {@link TRACE_HOP_HEADER} value of a hop report. */
export function encodeHopReport(hop: HopReport): string {
  // The hop itself is always kept; the budget is for its calls.
  return encodeWithin((budget) => toWire([hop], 1, { left: budget.left + 1 })[0][0]);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding untrusted input: never throws; undefined for anything that is not a valid report.
// ---------------------------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isServiceName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_SERVICE_NAME && SERVICE_NAME.test(value);
}

function isLane(value: unknown): value is string {
  return typeof value === 'string' && isValidLaneName(value);
}

function optionalLane(value: unknown): { ok: boolean; lane?: string } {
  if (value === undefined) return { ok: true };
  return isLane(value) ? { ok: true, lane: value } : { ok: false };
}

function fromWireCalls(value: unknown, depth: number, budget: { left: number }): HopReport[] | undefined {
  if (!Array.isArray(value) || (value.length > 0 && depth > MAX_TRACE_DEPTH)) return undefined;
  const out: HopReport[] = [];
  for (const item of value) {
    if (--budget.left < 0) return undefined;
    const hop = fromWireHop(item, depth, budget);
    if (hop === undefined) return undefined;
    out.push(hop);
  }
  return out;
}

function fromWireHop(value: unknown, depth: number, budget: { left: number }): HopReport | undefined {
  if (!isRecord(value)) return undefined;
  const asked = optionalLane(value.a);
  if (
    !isServiceName(value.s) ||
    !asked.ok ||
    !isLane(value.l) ||
    !(ROUTE_REASONS as readonly unknown[]).includes(value.r) ||
    !MAKERS.includes(value.b as string) ||
    (value.p !== 0 && value.p !== 1) ||
    (value.t !== undefined && value.t !== 1)
  ) {
    return undefined;
  }
  const calls = fromWireCalls(value.c, depth + 1, budget);
  if (calls === undefined) return undefined;
  return {
    service: value.s,
    ...(asked.lane === undefined ? {} : { asked: asked.lane }),
    served: value.l,
    reason: value.r as RouteReason,
    by: value.b as RouteMaker,
    reported: value.p === 1,
    calls,
    ...(value.t === 1 ? { truncated: true } : {}),
  };
}

function parseBounded(header: string | readonly string[] | null | undefined): unknown {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_TRACE_REPORT_LENGTH) {
    return undefined;
  }
  try {
    return JSON.parse(header);
  } catch {
    return undefined;
  }
}

/**
 * Reads a {@link TRACE_INSTANCE_HEADER} value. Undefined when it is missing, too long, repeated, not JSON, or
 * holds anything but valid service and lane names, known reasons, at most {@link MAX_TRACE_HOPS} hops and
 * {@link MAX_TRACE_DEPTH} levels.
 */
export function decodeInstanceReport(
  header: string | readonly string[] | null | undefined,
): InstanceReport | undefined {
  const value = parseBounded(header);
  if (!isRecord(value)) return undefined;
  const lane = optionalLane(value.l);
  const asked = optionalLane(value.a);
  if (!lane.ok || !asked.ok || (value.t !== undefined && value.t !== 1)) return undefined;
  const calls = fromWireCalls(value.c, 2, { left: MAX_TRACE_HOPS });
  if (calls === undefined) return undefined;
  return {
    ...(lane.lane === undefined ? {} : { lane: lane.lane }),
    ...(asked.lane === undefined ? {} : { asked: asked.lane }),
    calls,
    ...(value.t === 1 ? { truncated: true } : {}),
  };
}

/** Reads a {@link TRACE_HOP_HEADER} value, with the same checks as {@link decodeInstanceReport}. */
export function decodeHopReport(
  header: string | readonly string[] | null | undefined,
): HopReport | undefined {
  return fromWireHop(parseBounded(header), 1, { left: MAX_TRACE_HOPS });
}

/**
 * The hop of a call, from the routing decision its caller made and the callee's own report (if any). The lane
 * served is the one the instance says it is, when it says so.
 */
export function hopOf(
  decision: {
    readonly service: string;
    readonly asked: string | undefined;
    readonly served: string;
    readonly reason: RouteReason;
    readonly by: RouteMaker;
  },
  report: InstanceReport | undefined,
): HopReport {
  return {
    service: decision.service,
    ...(decision.asked === undefined ? {} : { asked: decision.asked }),
    served: report?.lane ?? decision.served,
    reason: decision.reason,
    by: decision.by,
    reported: report !== undefined,
    calls: report?.calls ?? [],
    ...(report?.truncated ? { truncated: true } : {}),
  };
}
