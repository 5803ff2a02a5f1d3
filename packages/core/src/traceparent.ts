/**
 * The W3C `traceparent` header (Trace Context Level 1, with the flag Level 2 adds), which every `tracestate` the
 * SDK sends travels with.
 *
 * Spec: https://www.w3.org/TR/trace-context/#traceparent-header (section numbers below are from that page) and
 * https://www.w3.org/TR/trace-context-2/#trace-flags for the random-trace-id flag.
 *
 * Pure: parsing and formatting only. Random ids need a random source, which the caller brings (the SDK draws its
 * own; {@link startTraceParent} takes one).
 */

/** The header name, lowercase as §3.2.1 says vendors SHOULD send it. */
export const TRACEPARENT_HEADER = 'traceparent';

/** §3.2.2.1: the version this code writes. "Vendors MUST use these fields to construct the new `traceparent`
 * field according to the highest version of the specification known to the implementation" (§3.2.4). */
export const TRACEPARENT_VERSION = '00';

/** §3.2.2.5.1 sampled flag: "the caller may have recorded trace data". */
export const SAMPLED_FLAG = 0x01;

/**
 * Level 2 random-trace-id flag: "at least the right-most 7 bytes of the trace-id MUST be randomly (or
 * pseudo-randomly) generated" (https://www.w3.org/TR/trace-context-2/#random-trace-id-flag). It describes the
 * trace-id, so it is kept as long as the trace-id is.
 */
export const RANDOM_TRACE_ID_FLAG = 0x02;

/**
 * The flags this code knows and keeps. §3.2.2.5.2 Other Flags: "The behavior of other flags ... is not defined
 * and is reserved for future use. Vendors MUST set those to zero."
 */
export const KNOWN_TRACE_FLAGS = SAMPLED_FLAG | RANDOM_TRACE_ID_FLAG;

/** §3.2.2: the length of a version-00 `traceparent`, and the shortest one of a higher version (§3.2.4). */
export const TRACEPARENT_LENGTH = 55;

/** The three fields of a `traceparent` that outlive its version (§3.2.2.3 to §3.2.2.5). */
export interface TraceParent {
  /** 32 lowercase hex characters, not all zero (§3.2.2.3). */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zero (§3.2.2.4). */
  readonly parentId: string;
  /** The trace-flags byte as received (§3.2.2.5); {@link formatTraceParent} keeps only {@link KNOWN_TRACE_FLAGS}. */
  readonly flags: number;
}

const HEX_LC = /^[0-9a-f]+$/;
const ALL_ZERO = /^0+$/;

/** §3.2.2: `HEXDIGLC = DIGIT / "a" / "b" / "c" / "d" / "e" / "f"`; upper-case hex is invalid (§3.2.2.4). */
function isHexLc(text: string, length: number): boolean {
  return text.length === length && HEX_LC.test(text);
}

/** True when `id` is a valid trace-id: 32 lowercase hex characters, not all zero (§3.2.2.3). */
export function isValidTraceId(id: string): boolean {
  return isHexLc(id, 32) && !ALL_ZERO.test(id);
}

/** True when `id` is a valid parent-id: 16 lowercase hex characters, not all zero (§3.2.2.4). */
export function isValidParentId(id: string): boolean {
  return isHexLc(id, 16) && !ALL_ZERO.test(id);
}

/** Removes spaces and horizontal tabs from both ends (optional whitespace of RFC 7230 §3.2.3, §3.2.4 OWS). */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return text.slice(start, end);
}

/**
 * Parses a received `traceparent`, or returns undefined when it is invalid and the trace must restart. Never
 * throws.
 *
 * - §3.2.2: `version "-" trace-id "-" parent-id "-" trace-flags`, lowercase hex only; version `ff` is invalid;
 *   all-zero trace-id or parent-id is invalid ("vendors MUST ignore the `traceparent`").
 * - Version `00` is exactly 55 characters: anything after the flags makes it invalid.
 * - §3.2.4 Versioning: a higher version is parsed when it is at least 55 characters and the flags are followed by
 *   the end or a `-`; what follows is unknown and ignored.
 * - Spaces and tabs around the value are optional whitespace and ignored (the W3C test suite sends them).
 * - More than one header field (an array of two or more, or Node's `a, b` join of duplicates) is invalid: a
 *   request has one parent. The W3C test suite (`test_traceparent_duplicated`) expects the trace to restart.
 */
export function parseTraceParent(header: string | readonly string[] | undefined): TraceParent | undefined {
  let value: unknown = header;
  if (Array.isArray(header)) {
    if (header.length !== 1) return undefined;
    value = header[0];
  }
  if (typeof value !== 'string') return undefined;
  const text = trimOws(value);
  if (text.length < TRACEPARENT_LENGTH || text.charCodeAt(2) !== 0x2d) return undefined;
  const version = text.slice(0, 2);
  if (!isHexLc(version, 2) || version === 'ff') return undefined;
  if (version === TRACEPARENT_VERSION && text.length !== TRACEPARENT_LENGTH) return undefined;
  if (text.length > TRACEPARENT_LENGTH && text.charCodeAt(TRACEPARENT_LENGTH) !== 0x2d) return undefined;
  if (text.charCodeAt(35) !== 0x2d || text.charCodeAt(52) !== 0x2d) return undefined;
  const traceId = text.slice(3, 35);
  const parentId = text.slice(36, 52);
  const flags = text.slice(53, 55);
  if (!isValidTraceId(traceId) || !isValidParentId(parentId) || !isHexLc(flags, 2)) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/**
 * The header value for `traceParent`, in version `00` (§3.2.4: the highest version this code knows), with only
 * the {@link KNOWN_TRACE_FLAGS} kept.
 *
 * @throws TypeError when the trace-id or parent-id is invalid (a programming error: ids come from this code).
 */
export function formatTraceParent(traceParent: TraceParent): string {
  if (!isValidTraceId(traceParent.traceId) || !isValidParentId(traceParent.parentId)) {
    throw new TypeError(
      `invalid traceparent ids "${traceParent.traceId}"/"${traceParent.parentId}": 32 and 16 lowercase hex characters, not all zero (W3C Trace Context §3.2.2)`,
    );
  }
  const flags = traceParent.flags & KNOWN_TRACE_FLAGS;
  return `${TRACEPARENT_VERSION}-${traceParent.traceId}-${traceParent.parentId}-0${flags.toString(16)}`;
}

/** A source of random bytes, such as `randomBytes` of `node:crypto` (core does no I/O, so the caller brings it). */
export type RandomBytes = (size: number) => Uint8Array;

/** Random bytes {@link startTraceParent} draws: 16 for the trace-id, 8 for the parent-id (§3.2.2.3, §3.2.2.4). */
export const TRACEPARENT_RANDOM_BYTES = 24;

/** Lowercase hex of `bytes`; when they are all zero, the last bit is set (an all-zero id is invalid). */
function nonZeroHex(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return ALL_ZERO.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * A `traceparent` that starts a trace (§3.4 "Restart trace": a new trace-id and parent-id), for a request that
 * does not continue one, such as the requests `lanes verify`, `lanes trace` and the demo send. Version `00`,
 * flags `02`: not sampled ("It should be set to `0` as the default option when the trace is initiated by this
 * component", §3.2.2.5.1) and random-trace-id (Level 2), since the ids come from `random`, which should be a
 * CSPRNG (§6, trace-id generation).
 *
 * @throws TypeError when `random` gives fewer than {@link TRACEPARENT_RANDOM_BYTES} bytes
 */
export function startTraceParent(random: RandomBytes): string {
  const bytes = random(TRACEPARENT_RANDOM_BYTES);
  if (bytes.length < TRACEPARENT_RANDOM_BYTES) {
    throw new TypeError(
      `startTraceParent needs ${TRACEPARENT_RANDOM_BYTES} random bytes, the source gave ${bytes.length}`,
    );
  }
  return formatTraceParent({
    traceId: nonZeroHex(bytes.subarray(0, 16)),
    parentId: nonZeroHex(bytes.subarray(16, 24)),
    flags: RANDOM_TRACE_ID_FLAG,
  });
}
