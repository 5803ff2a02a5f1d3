/**
 * The lane of the request being served, kept in async context for the whole request.
 *
 * A request names its lane with the W3C `tracestate` list-member `ctx=lane:<lane>` (ARCHITECTURE.md, decision 10).
 * The lane is read once, on the way in, by core's `readLane` (the single reader of the lane entry), and kept with
 * the incoming `tracestate` so that outgoing calls forward every other vendor's entry too. An absent or invalid
 * lane entry means the baseline: {@link currentLane} is then `undefined`. Nothing here throws on a bad header.
 *
 * Services that use OpenTelemetry without the SDK's server integrations still get their lane: outside a lane
 * context, the lane context that `LanePropagator.extract` put in the active OTel context is used.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { assertLaneName } from '@ecs-lanes/core/lane';
import { readLane } from '@ecs-lanes/core/tracestate';
import { createContextKey, context as otelContext } from '@opentelemetry/api';
import { TraceContextOut } from './trace-context.js';

/** The request header that carries the lane (lowercase, as Node and the W3C spec write it). */
export const TRACESTATE_HEADER = 'tracestate';

/** The request header that carries the trace the `tracestate` belongs to (W3C Trace Context §3.2). */
export const TRACEPARENT_HEADER = 'traceparent';

/** The lane context of one request. Immutable, except for a cache of the outgoing headers. */
export class LaneContext {
  /** The request's lane, or undefined for the baseline (no lane entry, or an invalid one). */
  readonly lane: string | undefined;
  /** The incoming `tracestate`, as received (fields combined), or undefined when there was none. */
  readonly traceState: string | undefined;
  /** The incoming `traceparent`, as received, or undefined when there was none (valid or not). */
  readonly traceParent: string | readonly string[] | undefined;
  #out: TraceContextOut | undefined;

  constructor(
    lane: string | undefined,
    traceState: string | undefined,
    traceParent?: string | readonly string[] | undefined,
  ) {
    this.lane = lane;
    this.traceState = traceState;
    this.traceParent = traceParent;
  }

  /**
   * What this request sends onwards (see `trace-context.ts`): the `traceparent` and `tracestate` of its outgoing
   * calls. Computed once per request, on first use. Undefined when the request has no lane (then the SDK adds
   * nothing to outgoing calls).
   */
  get out(): TraceContextOut | undefined {
    if (this.lane === undefined) return undefined;
    if (this.#out === undefined)
      this.#out = new TraceContextOut(this.lane, this.traceParent, this.traceState);
    return this.#out;
  }

  /**
   * The `tracestate` to send on a call made while serving this request, when the call carries none of its own:
   * `ctx=lane:<lane>` at the front of the incoming list when a valid `traceparent` came with it, else alone
   * (W3C Trace Context §3.3: a `tracestate` is not parsed without a valid `traceparent`). Undefined when the
   * request has no lane.
   */
  get outgoingTraceState(): string | undefined {
    return this.out?.traceState;
  }
}

/** The context of a request with no lane and no tracestate; shared, so a baseline request allocates nothing. */
const BASELINE_CONTEXT = new LaneContext(undefined, undefined);

const storage = new AsyncLocalStorage<LaneContext>();

/** The OTel context key under which `LanePropagator.extract` keeps the incoming {@link LaneContext}. */
export const LANE_CONTEXT_KEY: symbol = createContextKey('@ecs-lanes/sdk lane context');

/** The lane context of the request: the SDK's own, else the one extracted into the active OTel context. */
function activeContext(): LaneContext | undefined {
  return storage.getStore() ?? (otelContext.active().getValue(LANE_CONTEXT_KEY) as LaneContext | undefined);
}

/** Combines repeated header fields in order, as RFC 7230 §3.2.2 says. Never throws. */
function combine(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header === 'string') return header.length === 0 ? undefined : header;
  if (!Array.isArray(header) || header.length === 0) return undefined;
  return header.filter((field) => typeof field === 'string').join(',');
}

/**
 * The lane context of an incoming request, from its `tracestate` header field(s) and its `traceparent` (default:
 * none came). Never throws: a missing, malformed or invalid lane entry gives the baseline (lane undefined); a
 * missing or invalid `traceparent` means the SDK starts a trace for what it sends (see `trace-context.ts`).
 */
export function laneContextFromTraceState(
  header: string | readonly string[] | undefined,
  traceParent?: string | readonly string[] | undefined,
): LaneContext {
  const traceState = combine(header);
  if (traceState === undefined) return BASELINE_CONTEXT;
  return new LaneContext(readLane(traceState), traceState, traceParent);
}

/** The lane context of an incoming request from its headers (`request.headers` of Node, Express or Fastify). */
export function laneContextFromHeaders(headers: {
  readonly [name: string]: string | readonly string[] | undefined;
}): LaneContext {
  return laneContextFromTraceState(headers[TRACESTATE_HEADER], headers[TRACEPARENT_HEADER]);
}

/** Runs `fn` with `context` as the current lane context (for this call and everything async it starts). */
export function runWithLaneContext<T>(context: LaneContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Runs `fn` in `lane` (undefined: the baseline), keeping the current incoming tracestate. For work that does not
 * start from an HTTP request (queue consumers, scheduled jobs, tests).
 *
 * @throws InvalidLaneNameError when `lane` is not a valid lane name (a programming error).
 */
export function runInLane<T>(lane: string | undefined, fn: () => T): T {
  if (lane !== undefined) assertLaneName(lane);
  const active = activeContext();
  return storage.run(new LaneContext(lane, active?.traceState, active?.traceParent), fn);
}

/**
 * The current request's lane context, or undefined outside any request. Set by the server integrations (and
 * {@link runWithLaneContext}); else, with OpenTelemetry, the one `LanePropagator` extracted into the active context.
 */
export function currentLaneContext(): LaneContext | undefined {
  return activeContext();
}

/** The current request's lane, or undefined for the baseline (or outside any request). */
export function currentLane(): string | undefined {
  return activeContext()?.lane;
}

/** The current request's incoming `tracestate` (as received), or undefined. */
export function currentTraceState(): string | undefined {
  return activeContext()?.traceState;
}

/**
 * The `tracestate` to send on an outgoing call that would carry `existing` (undefined: the call sets none), or
 * undefined to leave the call as it is: when the current request has no lane, nothing is added.
 *
 * - without an existing header: the request's outgoing `tracestate` ({@link LaneContext.outgoingTraceState});
 * - with one: that header with the lane at the front (core `withLane`), every other member kept in order, at most
 *   512 characters (§3.3.1.5 truncation order).
 *
 * The `traceparent` that must go with it is in {@link outgoingTraceHeaders}.
 */
export function outgoingTraceState(existing: string | readonly string[] | undefined): string | undefined {
  const out = activeContext()?.out;
  if (out === undefined) return undefined;
  const header = combine(existing);
  return header === undefined ? out.traceState : out.traceStateWith(header);
}

/**
 * The `traceparent` and `tracestate` to send on an outgoing call that carries `traceParent` and `traceState` of
 * its own (undefined: none), or undefined to leave the call as it is (the current request has no lane). Both
 * are always sent together and valid (see `TraceContextOut.headersFor`).
 */
export function outgoingTraceHeaders(
  traceParent: string | readonly string[] | undefined,
  traceState: string | readonly string[] | undefined,
): { readonly traceparent: string; readonly tracestate: string } | undefined {
  return activeContext()?.out?.headersFor(traceParent, combine(traceState));
}
