/**
 * Hop tracing in the SDK (docs/trace.md): when a request carries `x-lanes-trace: 1`, the instance serving it
 * collects the routing decision of every call it makes through `lanes.fetch` (service, lane asked, lane served,
 * why) with the callee's own report, and answers with `x-lanes-trace-instance`: its lane, the lane it was asked
 * for, and those calls. So the entry point's answer holds the whole tree.
 *
 * Opt-in per request, never by default; nothing but service names, lane names and reasons is reported (core
 * `hop-report.ts`). A request without the header costs one header lookup. The trace header is sent only on calls
 * to logical service names (`http://orders/...`), never to other hosts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  decodeInstanceReport,
  encodeInstanceReport,
  type HopReport,
  hopOf,
  isTraceRequested,
  type RouteReason,
  TRACE_INSTANCE_HEADER,
  TRACE_REQUEST_HEADER,
  TRACE_REQUEST_VALUE,
} from '@ecs-lanes/core/discovery';
import { readLane } from '@ecs-lanes/core/tracestate';

/** The hops collected while serving one traced request. */
export class TraceCollector {
  /** The calls made so far, in the order they were answered. */
  readonly calls: HopReport[] = [];
  constructor(
    /** This instance's lane; undefined when the SDK was not told it. */
    readonly lane: string | undefined,
    /** The lane the request asked for when it arrived. */
    readonly asked: string | undefined,
  ) {}

  /** The `x-lanes-trace-instance` value for the calls collected so far. */
  header(): string {
    return encodeInstanceReport({
      ...(this.lane === undefined ? {} : { lane: this.lane }),
      ...(this.asked === undefined ? {} : { asked: this.asked }),
      calls: this.calls,
    });
  }
}

const storage = new AsyncLocalStorage<TraceCollector>();

/** The collector of the traced request being served, or undefined (not traced, or outside any request). */
export function currentTrace(): TraceCollector | undefined {
  return storage.getStore();
}

/**
 * Runs `serve` for one request; when the request asks for a trace, inside a {@link TraceCollector}, with the
 * report written on the response as its headers go out (whether the handler calls `writeHead` or not), and with
 * the request's own later events (`data`, `end`) in the same trace. Used by every server integration.
 */
export function serveTraced<T>(
  request: IncomingMessage,
  response: ServerResponse,
  lane: string | undefined,
  serve: () => T,
): T {
  if (!isTraceRequested(request.headers[TRACE_REQUEST_HEADER])) return serve();
  const collector = new TraceCollector(lane, readLane(request.headers.tracestate));
  const writeHead = response.writeHead;
  // Node's implicit header (on the first write or end) goes through `this.writeHead` too.
  response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!this.headersSent) this.setHeader(TRACE_INSTANCE_HEADER, collector.header());
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  const emit = request.emit;
  request.emit = (...args: Parameters<typeof emit>) =>
    storage.run(collector, () => emit.apply(request, args));
  return storage.run(collector, serve);
}

/** The routing decision of one call, as `lanes.fetch` made it. */
export interface CallDecision {
  readonly service: string;
  readonly asked: string | undefined;
  readonly served: string;
  readonly reason: RouteReason;
}

/** `init` with `x-lanes-trace: 1` added (the headers `fetch` would send: `init.headers`, else the Request's). */
function withTraceHeader(input: string | Request, init: RequestInit | undefined): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set(TRACE_REQUEST_HEADER, TRACE_REQUEST_VALUE);
  return { ...init, headers };
}

/**
 * Sends one call of a traced request with the trace header, and records its hop (the decision, with the callee's
 * report when it sent a valid one) in `collector` once the callee has answered. A call that fails is not recorded.
 */
export async function sendTraced(
  collector: TraceCollector,
  decision: CallDecision,
  send: (input: string | Request, init: RequestInit) => Promise<Response>,
  input: string | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  const response = await send(input, withTraceHeader(input, init));
  const report = decodeInstanceReport(response.headers.get(TRACE_INSTANCE_HEADER));
  collector.calls.push(hopOf({ ...decision, by: 'sdk' }, report));
  return response;
}
