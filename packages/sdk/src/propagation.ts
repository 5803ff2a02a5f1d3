/**
 * Outgoing propagation: writes the current request's lane, with the trace it belongs to, into outgoing calls.
 *
 * - {@link propagatingFetch} / {@link createPropagatingFetch}: a `fetch`-compatible function;
 * - {@link laneInterceptor}: an undici 7 dispatcher interceptor (`new Agent().compose(laneInterceptor())`).
 *
 * When the request has no lane, calls go out untouched (nothing is allocated). With a lane, a call carries a valid
 * `traceparent` and a `tracestate` with `ctx=lane:<lane>` in front, always together (`trace-context.ts`), from one
 * source: OpenTelemetry when it injects undici calls (then the SDK only puts the lane in the span context the call
 * runs in, `otel.ts`), else the SDK, which replaces any `traceparent`/`tracestate` field of the call by one each.
 */
import type { Dispatcher } from 'undici';
import { currentLaneContext, TRACEPARENT_HEADER, TRACESTATE_HEADER } from './context.js';
import { otelInjectsUndiciCalls, outgoingHeadersFor, runWithLaneInOtelContext } from './otel.js';
import type { OutgoingTraceHeaders, TraceContextOut } from './trace-context.js';

/** A `fetch`-compatible function. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Headers of a request built from `init` and `input` the way `fetch` does: `init.headers` wins over the Request's. */
function sourceHeaders(
  input: string | URL | Request,
  init: RequestInit | undefined,
): ConstructorParameters<typeof Headers>[0] {
  if (init?.headers !== undefined) return init.headers;
  return input instanceof Request ? input.headers : undefined;
}

function isPlainRecord(value: unknown): value is Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `name` is `target` (lowercase) in any case. */
function isHeaderName(name: string, target: string): boolean {
  return name.length === target.length && name.toLowerCase() === target;
}

/** The request's outgoing trace context when the SDK writes the headers of calls, else undefined. */
function sdkWritten(): TraceContextOut | undefined {
  const out = currentLaneContext()?.out;
  return out === undefined || otelInjectsUndiciCalls() ? undefined : out;
}

/**
 * The `init` to send a call with the current lane, or `init` itself when nothing needs to change (no lane, or
 * OpenTelemetry injects the call: run it with {@link sendWithLane}).
 * @internal shared with `lanes-fetch.ts`.
 */
export function initWithLane(
  input: string | URL | Request,
  init: RequestInit | undefined,
): RequestInit | undefined {
  const out = sdkWritten();
  if (out === undefined) return init;
  const source = sourceHeaders(input, init);
  if (source === undefined || isPlainRecord(source)) {
    // The common cases (no headers, or a plain object) without building a Headers object, which costs
    // microseconds: copy the record, replacing any spelling of `traceparent` and `tracestate`.
    let traceParent: string | undefined;
    let traceState: string | undefined;
    const record: Record<string, string> = {};
    if (source !== undefined) {
      for (const name in source) {
        const value = (source as Record<string, string>)[name]!;
        if (isHeaderName(name, TRACESTATE_HEADER)) {
          traceState = traceState === undefined ? value : `${traceState},${value}`;
        } else if (isHeaderName(name, TRACEPARENT_HEADER)) {
          traceParent = traceParent === undefined ? value : `${traceParent},${value}`;
        } else record[name] = value;
      }
    }
    const headers = outgoingHeadersFor(out, traceParent, traceState);
    record[TRACEPARENT_HEADER] = headers.traceparent;
    record[TRACESTATE_HEADER] = headers.tracestate;
    return init === undefined ? { headers: record } : { ...init, headers: record };
  }
  const headers = new Headers(source);
  const written = outgoingHeadersFor(
    out,
    headers.get(TRACEPARENT_HEADER) ?? undefined,
    headers.get(TRACESTATE_HEADER) ?? undefined,
  );
  headers.set(TRACEPARENT_HEADER, written.traceparent);
  headers.set(TRACESTATE_HEADER, written.tracestate);
  return init === undefined ? { headers } : { ...init, headers };
}

/**
 * Sends a call with `send` in the current lane: when OpenTelemetry injects undici calls, inside the span context
 * that carries the lane (`otel.ts`), else as it is (its `init` already went through {@link initWithLane}).
 * @internal shared with `lanes-fetch.ts`.
 */
export function sendWithLane<T>(send: () => T): T {
  const out = currentLaneContext()?.out;
  return out !== undefined && otelInjectsUndiciCalls() ? runWithLaneInOtelContext(out, send) : send();
}

/**
 * A `fetch` that propagates the current lane, built on `baseFetch` (default: the global `fetch`).
 */
export function createPropagatingFetch(
  baseFetch: FetchLike = (input, init) => fetch(input, init),
): FetchLike {
  return (input, init) =>
    currentLaneContext()?.lane === undefined
      ? baseFetch(input, init)
      : sendWithLane(() => baseFetch(input, initWithLane(input, init)));
}

/** The global `fetch`, propagating the current lane. */
export const propagatingFetch: FetchLike = createPropagatingFetch();

// ---------------------------------------------------------------------------------------------------------------
// undici dispatcher interceptor
// ---------------------------------------------------------------------------------------------------------------

type UndiciHeaders = Dispatcher.DispatchOptions['headers'];

/** Flattens any undici header form into `[name, value, name, value, ...]`. */
function flatten(headers: NonNullable<UndiciHeaders>): string[] {
  if (Array.isArray(headers)) return [...headers];
  const flat: string[] = [];
  const entries =
    Symbol.iterator in headers
      ? (headers as Iterable<[string, string | string[] | undefined]>)
      : Object.entries(headers as Record<string, string | string[] | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) flat.push(name, one);
    else flat.push(name, String(value));
  }
  return flat;
}

/** The headers of a dispatch with the SDK's `traceparent` and `tracestate` written, replacing the call's own. */
function headersWithLane(out: TraceContextOut, headers: UndiciHeaders): string[] | Record<string, string> {
  if (headers === null || headers === undefined) {
    const written = outgoingHeadersFor(out, undefined, undefined);
    return { [TRACEPARENT_HEADER]: written.traceparent, [TRACESTATE_HEADER]: written.tracestate };
  }
  const flat = flatten(headers);
  const traceParents: string[] = [];
  const traceStates: string[] = [];
  const result: string[] = [];
  for (let index = 0; index < flat.length; index += 2) {
    const name = flat[index]!;
    if (isHeaderName(name, TRACEPARENT_HEADER)) traceParents.push(flat[index + 1]!);
    else if (isHeaderName(name, TRACESTATE_HEADER)) traceStates.push(flat[index + 1]!);
    else result.push(name, flat[index + 1]!);
  }
  const written: OutgoingTraceHeaders = outgoingHeadersFor(
    out,
    traceParents.length === 0 ? undefined : traceParents,
    traceStates.length === 0 ? undefined : traceStates.join(','),
  );
  result.push(TRACEPARENT_HEADER, written.traceparent, TRACESTATE_HEADER, written.tracestate);
  return result;
}

/**
 * An undici 7 interceptor that propagates the current lane:
 * `const agent = new Agent().compose(laneInterceptor())`, then `request(url, { dispatcher: agent })`,
 * `fetch(url, { dispatcher: agent })` from undici, or `setGlobalDispatcher(agent)`.
 */
export function laneInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const out = currentLaneContext()?.out;
    if (out === undefined) return dispatch(options, handler);
    if (otelInjectsUndiciCalls()) return runWithLaneInOtelContext(out, () => dispatch(options, handler));
    return dispatch({ ...options, headers: headersWithLane(out, options.headers) }, handler);
  };
}
