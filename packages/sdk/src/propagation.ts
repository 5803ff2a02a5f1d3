/**
 * Outgoing propagation: writes the current request's lane into the `tracestate` of outgoing calls.
 *
 * - {@link propagatingFetch} / {@link createPropagatingFetch}: a `fetch`-compatible function;
 * - {@link laneInterceptor}: an undici 7 dispatcher interceptor (`new Agent().compose(laneInterceptor())`).
 *
 * When the request has no lane, calls go out untouched (nothing is allocated). With a lane, `ctx=lane:<lane>` is
 * put at the front of the call's own `tracestate` (W3C Trace Context §3.5), or of the incoming one when the call
 * has none, keeping every other vendor's member in order (core `withLane`).
 */
import type { Dispatcher } from 'undici';
import { currentLane, outgoingTraceState, TRACESTATE_HEADER } from './context.js';

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

/**
 * The `init` to send a call with the current lane, or `init` itself when nothing needs to change.
 * @internal shared with `lanes-fetch.ts`.
 */
export function initWithLane(
  input: string | URL | Request,
  init: RequestInit | undefined,
): RequestInit | undefined {
  const source = sourceHeaders(input, init);
  if (source === undefined || isPlainRecord(source)) {
    // The common cases (no headers, or a plain object) without building a Headers object, which costs
    // microseconds: copy the record, replacing any spelling of `tracestate`.
    let existing: string | undefined;
    const record: Record<string, string> = {};
    if (source !== undefined) {
      for (const name in source) {
        const value = (source as Record<string, string>)[name]!;
        if (name.length === TRACESTATE_HEADER.length && name.toLowerCase() === TRACESTATE_HEADER) {
          existing = existing === undefined ? value : `${existing},${value}`;
        } else record[name] = value;
      }
    }
    const traceState = outgoingTraceState(existing);
    if (traceState === undefined) return init;
    if (traceState.length > 0) record[TRACESTATE_HEADER] = traceState;
    return init === undefined ? { headers: record } : { ...init, headers: record };
  }
  const headers = new Headers(source);
  const traceState = outgoingTraceState(headers.get(TRACESTATE_HEADER) ?? undefined);
  if (traceState === undefined) return init;
  if (traceState.length === 0) headers.delete(TRACESTATE_HEADER);
  else headers.set(TRACESTATE_HEADER, traceState);
  return init === undefined ? { headers } : { ...init, headers };
}

/**
 * A `fetch` that propagates the current lane, built on `baseFetch` (default: the global `fetch`).
 */
export function createPropagatingFetch(
  baseFetch: FetchLike = (input, init) => fetch(input, init),
): FetchLike {
  return (input, init) =>
    currentLane() === undefined ? baseFetch(input, init) : baseFetch(input, initWithLane(input, init));
}

/** The global `fetch`, propagating the current lane. */
export const propagatingFetch: FetchLike = createPropagatingFetch();

// ---------------------------------------------------------------------------------------------------------------
// undici dispatcher interceptor
// ---------------------------------------------------------------------------------------------------------------

type UndiciHeaders = Dispatcher.DispatchOptions['headers'];

function isTraceStateName(name: string): boolean {
  return name.length === TRACESTATE_HEADER.length && name.toLowerCase() === TRACESTATE_HEADER;
}

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

/** The headers of a dispatch with the current lane written into `tracestate`, or undefined to leave them. */
function headersWithLane(headers: UndiciHeaders): UndiciHeaders | undefined {
  if (headers === null || headers === undefined) {
    const traceState = outgoingTraceState(undefined);
    return traceState === undefined || traceState.length === 0
      ? undefined
      : { [TRACESTATE_HEADER]: traceState };
  }
  const flat = flatten(headers);
  const existing: string[] = [];
  for (let index = 0; index < flat.length; index += 2) {
    if (isTraceStateName(flat[index]!)) existing.push(flat[index + 1]!);
  }
  const traceState = outgoingTraceState(existing.length === 0 ? undefined : existing);
  if (traceState === undefined) return undefined;
  const result: string[] = [];
  for (let index = 0; index < flat.length; index += 2) {
    if (!isTraceStateName(flat[index]!)) result.push(flat[index]!, flat[index + 1]!);
  }
  if (traceState.length > 0) result.push(TRACESTATE_HEADER, traceState);
  return result;
}

/**
 * An undici 7 interceptor that propagates the current lane:
 * `const agent = new Agent().compose(laneInterceptor())`, then `request(url, { dispatcher: agent })`,
 * `fetch(url, { dispatcher: agent })` from undici, or `setGlobalDispatcher(agent)`.
 */
export function laneInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (currentLane() === undefined) return dispatch(options, handler);
    const headers = headersWithLane(options.headers);
    return headers === undefined ? dispatch(options, handler) : dispatch({ ...options, headers }, handler);
  };
}
