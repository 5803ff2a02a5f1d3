/**
 * OpenTelemetry integration. The rule (issue 12): **one source of each header**.
 *
 * - With OpenTelemetry injecting the calls — a W3C propagator registered and something subscribed to undici's
 *   `undici:request:create` diagnostics channel, as `@opentelemetry/instrumentation-undici` is — the SDK adds no
 *   header: it runs the call with the lane in the active span context's `tracestate`
 *   ({@link runWithLaneInOtelContext}), and OpenTelemetry's propagator injects `traceparent` and `tracestate`
 *   once. Without this, undici's `addHeader` appends OpenTelemetry's fields to the SDK's and every key arrives
 *   twice.
 * - Otherwise the SDK writes both headers itself ({@link outgoingHeadersFor}): from the active span when one is
 *   valid (OpenTelemetry set up by hand), else from the request (`trace-context.ts`).
 *
 * And a `TextMapPropagator` that carries the lane, to compose with the W3C one:
 *
 * ```ts
 * propagation.setGlobalPropagator(new CompositePropagator({
 *   propagators: [new W3CTraceContextPropagator(), new LanePropagator()],
 * }));
 * ```
 *
 * Why it is needed: `W3CTraceContextPropagator.extract` (@opentelemetry/core 2.x) returns the context unchanged
 * when `traceparent` is absent or invalid, and reads `tracestate` only after a valid `traceparent`, as the spec
 * says; so a request that carries only `ctx=lane:gray` (an edge request, as the ALB rule allows) would lose its
 * lane in a service that uses OpenTelemetry without the SDK's server integrations.
 *
 * What it does:
 * - `extract` reads the lane with core's `readLane` (the same reader as the server integrations, so the lane
 *   context and the span context agree), keeps it with the incoming `traceparent` and `tracestate` in the OTel
 *   context, and, when the W3C propagator (run before it) produced a span context, puts the lane entry in that
 *   span context's trace state in its normalized form, so spans started from it carry the lane too;
 * - `inject` writes `traceparent` and `tracestate` together, never one alone: from the span context when it is
 *   valid (the same `traceparent` the W3C propagator wrote, and its trace state with the lane in front), else
 *   the request's (continued or started, `trace-context.ts`). The lane comes from the context given to `inject`
 *   (extracted, or in the span's trace state), else from the SDK's async lane context (`currentLane()`). Without
 *   a lane it writes nothing, leaving the W3C propagator's output alone.
 */

import { channel } from 'node:diagnostics_channel';
import { LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX } from '@ecs-lanes/core/lane';
import {
  formatTraceParent,
  KNOWN_TRACE_FLAGS,
  readLane,
  TRACESTATE_PROPAGATION_LENGTH,
  TraceState,
} from '@ecs-lanes/core/tracestate';
import {
  type Context,
  createTraceState,
  isSpanContextValid,
  type TraceState as OtelTraceStateLike,
  context as otelContext,
  propagation,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  currentLaneContext,
  LANE_CONTEXT_KEY,
  type LaneContext,
  laneContextFromTraceState,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './context.js';
import type { OutgoingTraceHeaders, TraceContextOut } from './trace-context.js';

/** undici publishes every request it creates here; OpenTelemetry's undici instrumentation injects headers then. */
const UNDICI_REQUEST_CREATE = 'undici:request:create';

/**
 * True when OpenTelemetry injects trace context into undici calls (global `fetch`, undici's `request`) by itself:
 * a propagator that writes `traceparent` is registered (`propagation.fields()`) and something listens on undici's
 * `undici:request:create` channel (https://undici.nodejs.org/#/docs/api/DiagnosticsChannel), where
 * `@opentelemetry/instrumentation-undici` adds its headers with `request.addHeader`. Checked per call (cheap), so
 * instrumentation enabled or disabled at any time is followed.
 */
export function otelInjectsUndiciCalls(): boolean {
  return undiciRequestCreate.hasSubscribers && propagation.fields().includes(TRACEPARENT_HEADER);
}

const undiciRequestCreate = channel(UNDICI_REQUEST_CREATE);

/**
 * An OpenTelemetry `TraceState` backed by core's (Trace Context Level 2 grammar, 32 members, §3.3.1.5
 * truncation), so that what OpenTelemetry injects from a lane span context is exactly what the SDK would send.
 * Invalid `set` input is ignored (returns this), as OpenTelemetry's own TraceState does.
 */
class LaneTraceState implements OtelTraceStateLike {
  readonly #state: TraceState;
  constructor(state: TraceState) {
    this.#state = state;
  }
  set(key: string, value: string): LaneTraceState {
    try {
      const next = this.#state.set(key, value).truncate(TRACESTATE_PROPAGATION_LENGTH);
      return next === this.#state ? this : new LaneTraceState(next);
    } catch {
      return this;
    }
  }
  unset(key: string): LaneTraceState {
    const next = this.#state.unset(key);
    return next === this.#state ? this : new LaneTraceState(next);
  }
  get(key: string): string | undefined {
    return this.#state.get(key);
  }
  serialize(): string {
    return this.#state.serialize();
  }
}

/** The valid span context active in `context`, or undefined. */
function validSpanContext(context: Context): SpanContext | undefined {
  const spanContext = trace.getSpanContext(context);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * The span context that carries the lane for a call: the active one (valid) with `ctx=lane:<lane>` put in front
 * of its trace state; else the request's parent (`TraceContextOut.parent`: the incoming `traceparent`, or the
 * trace the SDK started), marked remote, with the request's outgoing `tracestate`.
 */
export function laneSpanContext(out: TraceContextOut, context: Context = otelContext.active()): SpanContext {
  const active = validSpanContext(context);
  if (active !== undefined) {
    const header = out.traceStateWith(active.traceState?.serialize() ?? '');
    return { ...active, traceState: new LaneTraceState(TraceState.parse(header)) };
  }
  return {
    traceId: out.parent.traceId,
    spanId: out.parent.parentId,
    traceFlags: out.parent.flags & KNOWN_TRACE_FLAGS,
    isRemote: true,
    traceState: new LaneTraceState(TraceState.parse(out.traceState)),
  };
}

/**
 * Runs `fn` (an outgoing call) with {@link laneSpanContext} active, so that the client span OpenTelemetry's
 * instrumentation starts for the call is a child of the right span and inherits the lane in its trace state, and
 * its propagator injects both headers once.
 */
export function runWithLaneInOtelContext<T>(out: TraceContextOut, fn: () => T): T {
  const active = otelContext.active();
  return otelContext.with(trace.setSpanContext(active, laneSpanContext(out, active)), fn);
}

/**
 * The headers the SDK writes on a call that carries `traceParent`/`traceState` of its own (undefined: none), when
 * OpenTelemetry does not inject: with a valid active span and no `traceparent` of the call's own, that span's
 * `traceparent` and trace state (with the lane in front), so the call stays in OpenTelemetry's trace; else the
 * request's (`TraceContextOut.headersFor`).
 */
export function outgoingHeadersFor(
  out: TraceContextOut,
  traceParent: string | readonly string[] | undefined,
  traceState: string | undefined,
): OutgoingTraceHeaders {
  if (traceParent === undefined) {
    const active = validSpanContext(otelContext.active());
    if (active !== undefined) {
      return {
        traceparent: formatTraceParent({
          traceId: active.traceId,
          parentId: active.spanId,
          flags: active.traceFlags,
        }),
        tracestate: out.traceStateWith(traceState ?? active.traceState?.serialize() ?? ''),
      };
    }
  }
  return out.headersFor(traceParent, traceState);
}

/**
 * The lane carried by an OTel context: the one extracted by {@link LanePropagator}, else the lane entry of the
 * span context's trace state. Undefined for the baseline.
 */
export function laneFromOtelContext(context: Context): string | undefined {
  const extracted = context.getValue(LANE_CONTEXT_KEY) as LaneContext | undefined;
  if (extracted?.lane !== undefined) return extracted.lane;
  const traceState = trace.getSpanContext(context)?.traceState;
  return traceState === undefined ? undefined : readLane(traceState.serialize());
}

/** A `TextMapPropagator` for the lane; compose it after `W3CTraceContextPropagator`. */
export class LanePropagator implements TextMapPropagator {
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const incoming = laneContextFromTraceState(
      getter.get(carrier, TRACESTATE_HEADER),
      getter.get(carrier, TRACEPARENT_HEADER),
    );
    if (incoming.traceState === undefined) return context;
    let result = context.setValue(LANE_CONTEXT_KEY, incoming);
    const spanContext = trace.getSpanContext(context);
    if (incoming.lane !== undefined && spanContext !== undefined) {
      const value = LANE_VALUE_PREFIX + incoming.lane;
      const traceState = spanContext.traceState ?? createTraceState();
      if (traceState.get(LANE_TRACESTATE_KEY) !== value) {
        result = trace.setSpanContext(result, {
          ...spanContext,
          traceState: traceState.set(LANE_TRACESTATE_KEY, value),
        });
      }
    }
    return result;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const extracted = context.getValue(LANE_CONTEXT_KEY) as LaneContext | undefined;
    const asyncContext = currentLaneContext(); // the SDK's own, else the active OTel context's
    const lane = laneFromOtelContext(context) ?? asyncContext?.lane;
    if (lane === undefined) return;
    const spanContext = validSpanContext(context);
    if (spanContext !== undefined) {
      const header = TraceState.parse(spanContext.traceState?.serialize() ?? '')
        .set(LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX + lane)
        .truncate(TRACESTATE_PROPAGATION_LENGTH)
        .serialize();
      setter.set(
        carrier,
        TRACEPARENT_HEADER,
        formatTraceParent({
          traceId: spanContext.traceId,
          parentId: spanContext.spanId,
          flags: spanContext.traceFlags,
        }),
      );
      setter.set(carrier, TRACESTATE_HEADER, header);
      return;
    }
    const out = (extracted?.lane !== undefined ? extracted : asyncContext)?.out;
    if (out === undefined) return;
    setter.set(carrier, TRACEPARENT_HEADER, out.traceParent);
    setter.set(carrier, TRACESTATE_HEADER, out.traceState);
  }

  fields(): string[] {
    return [TRACEPARENT_HEADER, TRACESTATE_HEADER];
  }
}
