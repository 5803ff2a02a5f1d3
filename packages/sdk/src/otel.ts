/**
 * OpenTelemetry integration: a `TextMapPropagator` that carries the lane, to compose with the W3C one:
 *
 * ```ts
 * propagation.setGlobalPropagator(new CompositePropagator({
 *   propagators: [new W3CTraceContextPropagator(), new LanePropagator()],
 * }));
 * ```
 *
 * Why it is needed: `W3CTraceContextPropagator.extract` (@opentelemetry/core 2.x) returns the context unchanged
 * when `traceparent` is absent or invalid, and reads `tracestate` only after a valid `traceparent`; and `inject`
 * writes `tracestate` only from a valid span context. So a request that carries `tracestate` without a valid
 * `traceparent` (a client that only sets the lane, as the ALB rule allows) would lose its lane at the next hop.
 *
 * What it does:
 * - `extract` reads the lane with core's `readLane` (the same reader as the server integrations, so the lane
 *   context and the span context agree), keeps it and the incoming `tracestate` in the OTel context, and, when the
 *   W3C propagator (run before it) produced a span context, puts the lane entry in that span context's trace
 *   state in its normalized form, so spans started from it carry the lane too;
 * - `inject` writes `tracestate` with the lane at the front (core `withLane`), based on the span context's trace
 *   state when there is a valid span, else on the incoming `tracestate`. The lane comes from the context given to
 *   `inject` (extracted, or in the span's trace state), else from the SDK's async lane context
 *   (`currentLane()`). Without a lane it writes nothing, leaving the W3C propagator's output alone.
 */

import { LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX } from '@ecs-lanes/core/lane';
import { readLane, withLane } from '@ecs-lanes/core/tracestate';
import {
  type Context,
  isSpanContextValid,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { TraceState as OtelTraceState } from '@opentelemetry/core';
import {
  currentLaneContext,
  LANE_CONTEXT_KEY,
  type LaneContext,
  laneContextFromTraceState,
  TRACESTATE_HEADER,
} from './context.js';

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
    const incoming = laneContextFromTraceState(getter.get(carrier, TRACESTATE_HEADER));
    if (incoming.traceState === undefined) return context;
    let result = context.setValue(LANE_CONTEXT_KEY, incoming);
    const spanContext = trace.getSpanContext(context);
    if (incoming.lane !== undefined && spanContext !== undefined) {
      const value = LANE_VALUE_PREFIX + incoming.lane;
      const traceState = spanContext.traceState ?? new OtelTraceState();
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
    const spanContext = trace.getSpanContext(context);
    const base =
      spanContext !== undefined && isSpanContextValid(spanContext) && spanContext.traceState !== undefined
        ? spanContext.traceState.serialize()
        : (extracted?.traceState ?? asyncContext?.traceState);
    const header = withLane(base, lane);
    if (header.length > 0) setter.set(carrier, TRACESTATE_HEADER, header);
  }

  fields(): string[] {
    return [TRACESTATE_HEADER];
  }
}
