/**
 * The local gateway's part in hop tracing (docs/trace.md): for a request that carries `x-lanes-trace: 1`, the
 * gateway answers with `x-lanes-trace-hop`: its own routing decision (the lane asked, the lane it routed to and
 * why) wrapped around the report of the instance that served (`x-lanes-trace-instance`, written by the SDK).
 * Tracing is opt-in per request; untraced requests never reach this module.
 */
import type http from 'node:http';
import {
  decodeInstanceReport,
  encodeHopReport,
  hopOf,
  readLane,
  routeReason,
  TRACE_INSTANCE_HEADER,
} from '@ecs-lanes/core';

/**
 * The `x-lanes-trace-hop` value for a traced request routed to `served`.
 * @param deployed the service's lanes that have an instance, healthy or not (tells `unhealthy` from `not-deployed`)
 */
export function gatewayHopHeader(
  service: string,
  request: http.IncomingMessage,
  served: string,
  deployed: ReadonlySet<string>,
  answer: http.IncomingMessage,
): string {
  const asked = readLane(request.headers.tracestate);
  const reason = routeReason(asked, served, (lane) => deployed.has(lane));
  const report = decodeInstanceReport(answer.headers[TRACE_INSTANCE_HEADER]);
  return encodeHopReport(hopOf({ service, asked, served, reason, by: 'gateway' }, report));
}
