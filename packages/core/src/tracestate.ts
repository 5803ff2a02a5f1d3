/**
 * The W3C `tracestate` header (Trace Context Level 2), and the lane entry `ctx=lane:<lane>` it carries.
 * The `traceparent` it travels with is in `traceparent.ts`.
 *
 * Spec: https://www.w3.org/TR/trace-context-2/#tracestate-header (section numbers below are from that page).
 *
 * What this module does with input the spec calls invalid (§4.3 step 3: "If the `tracestate` header cannot be
 * parsed the vendor MAY discard the entire header. Invalid `tracestate` entries MAY also be discarded."):
 * - an invalid list-member (bad key, bad value, no `=`) is dropped; every valid member is kept, in order;
 * - a key that appears again is dropped after its first (leftmost) occurrence: §3.3.1.4 allows one entry per key,
 *   and the leftmost one is the most recent position, because updated keys move to the front (§3.5);
 * - list-members beyond the 32nd are dropped from the end, as §3.3.1.5 says truncation goes.
 * Parsing never throws. Only programmer input (`set` with an invalid key or value) throws.
 *
 * The lane helpers ({@link readLane}, {@link withLane}) are the single reading and writing of the lane entry; the
 * ALB rule that routes on it is in `alb-match.ts`, and `readLane` is proved to agree with it (see
 * `alb-match.property.test.ts` and docs/lane-matching.md).
 */

import { assertLaneName, checkLaneName, LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX } from './lane.js';
import { type RandomBytes, startTraceParent } from './traceparent.js';

// The `traceparent` a `tracestate` travels with, from the same entry point (`@ecs-lanes/core/tracestate`).
export * from './traceparent.js';

/** §3.3.1.1 / §3.3.1.2: "There can be a maximum of 32 `list-member`s in a `list`." */
export const MAX_TRACESTATE_MEMBERS = 32;

/** §3.3.1.5: "Vendors SHOULD propagate at least 512 characters of a combined header." */
export const TRACESTATE_PROPAGATION_LENGTH = 512;

/** §3.3.1.5: "Entries larger than 128 characters long SHOULD be removed first" when truncating. */
export const TRACESTATE_LARGE_MEMBER_LENGTH = 128;

/** §3.3.1.1: list-members are separated by commas. */
const LIST_MEMBERS_SEPARATOR = ',';

/** §3.3.1.1: "A `list-member` is a key/value pair separated by an equals sign (`=`)." */
const LIST_MEMBER_KEY_VALUE_SEPARATOR = '=';

// ---------------------------------------------------------------------------------------------------------------
// Grammar (§3.3.1.3). The only place the tracestate grammar is written down in this code base.
// ---------------------------------------------------------------------------------------------------------------

/**
 * §3.3.1.3.1 Key, as Trace Context **Level 2** writes it (https://www.w3.org/TR/trace-context-2/#key):
 * ```abnf
 * key = ( lcalpha / DIGIT ) 0*255 ( keychar )
 * keychar    = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"
 * lcalpha    = %x61-7A ; a-z
 * ```
 * "A `key` MUST begin with a lowercase letter or a digit and contain up to 256 characters including lowercase
 * letters, digits, underscores, dashes, asterisks, forward slashes, and at signs." Level 1's split into a
 * simple-key (starting with a letter) and a `tenant-id@system-id` key is gone: `0abc`, `a@b@c` and `t@` are keys.
 * OpenTelemetry JS (`@opentelemetry/core` 2.x) still applies Level 1's grammar and drops such members.
 */
const KEY_PATTERN = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;

/**
 * §3.3.1.3.2 Value: up to 256 printable ASCII characters except `,` and `=`, not ending with a space
 * (trailing spaces are optional whitespace, not part of the value; leading spaces are part of it).
 * ```abnf
 * value    = 0*255(chr) nblk-chr
 * nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
 * chr      = %x20 / nblk-chr
 * ```
 */
const VALUE_PATTERN = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** True when `key` is a tracestate key (§3.3.1.3.1, Level 2 grammar). */
export function isValidTraceStateKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** True when `value` is a tracestate value (§3.3.1.3.2). */
export function isValidTraceStateValue(value: string): boolean {
  return VALUE_PATTERN.test(value);
}

/** §3.3.1.1 "Spaces and horizontal tabs surrounding `list-member`s are ignored" (OWS, RFC 7230 §3.2.3). */
function isOws(charCode: number): boolean {
  return charCode === 0x20 || charCode === 0x09;
}

/** Removes OWS (spaces and tabs only, unlike `String.prototype.trim`) from both ends. */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * §3.3.1.1: "When receiving multiple `tracestate` header fields, they MUST be combined into a single header
 * according to RFC7230" — in order, joined by commas (RFC 7230 §3.2.2). Never throws on odd input.
 */
function combineFields(header: string | readonly string[] | undefined): string {
  if (typeof header === 'string') return header;
  if (!Array.isArray(header)) return '';
  return header.filter((field) => typeof field === 'string').join(LIST_MEMBERS_SEPARATOR);
}

/** The length of one list-member as serialized: `key=value`. */
function memberLength(member: readonly [string, string]): number {
  return member[0].length + 1 + member[1].length;
}

/** Thrown by {@link TraceState.set} when asked to store a key or value the spec does not allow. */
export class InvalidTraceStateEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTraceStateEntryError';
  }
}

type Member = readonly [key: string, value: string];

/**
 * An immutable `tracestate` list: at most {@link MAX_TRACESTATE_MEMBERS} list-members with unique, valid keys,
 * in header order (leftmost first). Every mutation returns a new object, or the same one when nothing changes.
 */
export class TraceState {
  /** The empty list. */
  static readonly EMPTY: TraceState = new TraceState([]);

  readonly #members: readonly Member[];

  private constructor(members: readonly Member[]) {
    this.#members = Object.freeze(members);
  }

  /**
   * Parses one or more `tracestate` header fields (several fields are combined in order, §3.3.1.1).
   *
   * Follows §3.3.1.2 `list = list-member 0*31( OWS "," OWS list-member )`, `list-member = (key "=" value) / OWS`:
   * empty and whitespace-only list-members are allowed and ignored; OWS around each member is ignored, so
   * trailing spaces of a value are dropped and leading spaces of a value kept (§3.3.1.3.2). Invalid members
   * are dropped, later duplicates of a key are dropped, and members beyond the 32nd are dropped (see the module
   * comment). Never throws: `undefined`, `''` and garbage all give a (possibly empty) TraceState.
   */
  static parse(header: string | readonly string[] | undefined): TraceState {
    const combined = combineFields(header);
    if (combined.length === 0) return TraceState.EMPTY;
    const members: Member[] = [];
    const seen = new Set<string>();
    for (const rawMember of combined.split(LIST_MEMBERS_SEPARATOR)) {
      if (members.length === MAX_TRACESTATE_MEMBERS) break;
      const member = trimOws(rawMember);
      if (member.length === 0) continue;
      const separator = member.indexOf(LIST_MEMBER_KEY_VALUE_SEPARATOR);
      if (separator < 0) continue;
      const key = member.slice(0, separator);
      const value = member.slice(separator + 1);
      if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value) || seen.has(key)) continue;
      seen.add(key);
      members.push([key, value]);
    }
    return members.length === 0 ? TraceState.EMPTY : new TraceState(members);
  }

  /** The number of list-members. */
  get size(): number {
    return this.#members.length;
  }

  /** The keys in header order (leftmost first). */
  keys(): string[] {
    return this.#members.map((member) => member[0]);
  }

  /** The value of `key`, or undefined when the list has no such key. */
  get(key: string): string | undefined {
    for (const member of this.#members) if (member[0] === key) return member[1];
    return undefined;
  }

  /**
   * Sets `key` to `value`. §3.5: "Modified keys SHOULD be moved to the beginning (left) of the list" and "The new
   * key/value pair SHOULD be added to the beginning of the list"; the order of the other members is kept. When
   * the list already holds 32 members and `key` is new, the last member is dropped (§3.3.1.5: remove from the
   * end). Returns this same object when `key` is already first with this value.
   *
   * @throws InvalidTraceStateEntryError when `key` or `value` does not satisfy the grammar (§3.3.1.3).
   */
  set(key: string, value: string): TraceState {
    if (!isValidTraceStateKey(key)) {
      throw new InvalidTraceStateEntryError(
        `"${key}" is not a valid tracestate key (W3C Trace Context §3.3.1.3.1)`,
      );
    }
    if (!isValidTraceStateValue(value)) {
      throw new InvalidTraceStateEntryError(
        `"${value}" is not a valid tracestate value (W3C Trace Context §3.3.1.3.2): 1 to 256 printable ASCII characters except "," and "=", not ending with a space`,
      );
    }
    const first = this.#members[0];
    if (first !== undefined && first[0] === key && first[1] === value) return this;
    const others = this.#members.filter((member) => member[0] !== key);
    if (others.length === MAX_TRACESTATE_MEMBERS) others.pop();
    return new TraceState([[key, value], ...others]);
  }

  /** Removes `key` (§3.5 "Delete a key/value pair"). Returns this same object when there is no such key. */
  unset(key: string): TraceState {
    if (this.get(key) === undefined) return this;
    const others = this.#members.filter((member) => member[0] !== key);
    return others.length === 0 ? TraceState.EMPTY : new TraceState(others);
  }

  /**
   * Drops whole members until the serialized list fits in `maxLength` characters, as §3.3.1.5 says: "Entries
   * larger than 128 characters long SHOULD be removed first. Then entries SHOULD be removed starting from the end".
   * Large entries are removed from the end too, and only as many as needed. Propagating everything is allowed
   * (the spec asks for at least 512), so nothing here truncates on its own; call this where a size limit exists.
   */
  truncate(maxLength: number = TRACESTATE_PROPAGATION_LENGTH): TraceState {
    let length = this.serialize().length;
    if (length <= maxLength) return this;
    const members = [...this.#members];
    const removeAt = (index: number): void => {
      const [removed] = members.splice(index, 1);
      length -= memberLength(removed!) + (members.length > 0 ? 1 : 0);
    };
    for (let index = members.length - 1; index >= 0 && length > maxLength; index--) {
      if (memberLength(members[index]!) > TRACESTATE_LARGE_MEMBER_LENGTH) removeAt(index);
    }
    while (members.length > 0 && length > maxLength) removeAt(members.length - 1);
    return members.length === 0 ? TraceState.EMPTY : new TraceState(members);
  }

  /**
   * The header value: members joined by `,` without optional whitespace (§3.3.1.1 "a caller SHOULD NOT generate
   * optional whitespace" other than a single space). `''` for the empty list; §3.3.1.1 says vendors SHOULD avoid
   * sending empty headers, so send no `tracestate` field at all then.
   */
  serialize(): string {
    let header = '';
    for (const [key, value] of this.#members) {
      if (header.length > 0) header += LIST_MEMBERS_SEPARATOR;
      header += key + LIST_MEMBER_KEY_VALUE_SEPARATOR + value;
    }
    return header;
  }

  /** Same as {@link serialize}. */
  toString(): string {
    return this.serialize();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The lane entry `ctx=lane:<lane>`.
// ---------------------------------------------------------------------------------------------------------------

/** `s` with ASCII `A`-`Z` lowered and nothing else touched (unlike `toLowerCase`, which maps e.g. U+212A to `k`). */
function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** True when `text` equals the lowercase ASCII `lower`, ignoring ASCII case. */
function equalsIgnoringAsciiCase(text: string, lower: string): boolean {
  if (text.length !== lower.length) return false;
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(index)) return false;
  }
  return true;
}

/** True when `value` starts with `lane:`, ignoring ASCII case. */
function isLaneValue(value: string): boolean {
  return equalsIgnoringAsciiCase(value.slice(0, LANE_VALUE_PREFIX.length), LANE_VALUE_PREFIX);
}

/**
 * The lane a request names with `ctx=lane:<lane>` in its `tracestate`, or undefined when it names none.
 *
 * Reads what the ALB listener rule routes on (see `alb-match.ts` and docs/lane-matching.md), so that a request
 * the ALB sent to lane `gray` is also read as `gray` by the service behind it:
 * - the member whose key is `ctx` is found **ignoring ASCII case** (the ALB compares case-insensitively; the
 *   spec allows only lowercase keys, so `CTX` is otherwise invalid), and so is the `lane:` prefix;
 * - the lane name is lowered and must then be a valid lane name (`lane.ts`), else the result is undefined;
 * - OWS around the member is ignored; nothing else is (`ctx =lane:gray` and `ctx=lane: gray` name no lane);
 * - the first (leftmost) `ctx` member decides, the one §3.3.1.4 calls the most recent; the ALB may instead match
 *   a later duplicate. The SDK never writes duplicates ({@link withLane}).
 * - only the list-members {@link TraceState.parse} keeps count toward the 32 (§3.3.1.2): a `ctx` member after 32
 *   kept members names no lane, as the parser drops it (the ALB would still match it; such a header is invalid);
 * - It does not require a `traceparent`, unlike §4.2 step 3: the ALB routes on `tracestate` alone, and the lane
 *   must survive a request that carries no trace. (The SDK then re-emits only its own `ctx` member, with a
 *   `traceparent` it starts: see `@ecs-lanes/sdk` `trace-context.ts`.)
 *
 * Never throws.
 */
export function readLane(header: string | readonly string[] | undefined): string | undefined {
  const combined = combineFields(header);
  if (combined.length === 0) return undefined;
  const rawMembers = combined.split(LIST_MEMBERS_SEPARATOR);
  // Only a list of more than 32 raw members can hold a member the parser drops for the 32-member limit.
  const counted = rawMembers.length > MAX_TRACESTATE_MEMBERS ? new Set<string>() : undefined;
  for (const rawMember of rawMembers) {
    if (counted !== undefined && counted.size === MAX_TRACESTATE_MEMBERS) return undefined;
    const member = trimOws(rawMember);
    const separator = member.indexOf(LIST_MEMBER_KEY_VALUE_SEPARATOR);
    if (separator < 0) continue;
    const key = member.slice(0, separator);
    const value = member.slice(separator + 1);
    if (!equalsIgnoringAsciiCase(key, LANE_TRACESTATE_KEY)) {
      if (counted !== undefined && isValidTraceStateKey(key) && isValidTraceStateValue(value))
        counted.add(key);
      continue;
    }
    if (!isLaneValue(value)) return undefined;
    const lane = asciiLowerCase(value.slice(LANE_VALUE_PREFIX.length));
    return checkLaneName(lane).ok ? lane : undefined;
  }
  return undefined;
}

/**
 * The `tracestate` header to send onwards for a request in `lane`.
 *
 * - With a lane: `ctx=lane:<lane>` (lowercase) is set at the front (§3.5), every other vendor's member is kept in
 *   order; any earlier `ctx` member is replaced, so the result never holds two.
 * - With `undefined` (the request is in no lane, i.e. goes to the baseline): a `ctx` member whose value is a lane
 *   entry (`lane:...`, any case) is removed, so that `readLane` of the result is undefined; a `ctx` member with
 *   another value belongs to someone else and is kept (§3.5: "Vendors SHOULD NOT delete keys that were not
 *   generated by them").
 *
 * The header is re-serialized by {@link TraceState.parse}: invalid members (including keys in uppercase, such as
 * `CTX`) and later duplicates are dropped, OWS is removed. `''` means: send no `tracestate` field.
 *
 * @throws InvalidLaneNameError when `lane` is not a valid lane name (a programming error; the header never throws).
 */
export function withLane(header: string | readonly string[] | undefined, lane: string | undefined): string {
  const state = TraceState.parse(header);
  if (lane !== undefined) {
    return state.set(LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX + assertLaneName(lane)).serialize();
  }
  const current = state.get(LANE_TRACESTATE_KEY);
  return (
    current !== undefined && isLaneValue(current) ? state.unset(LANE_TRACESTATE_KEY) : state
  ).serialize();
}

/** The headers a request that starts in a lane carries: a fresh `traceparent` and `ctx=lane:<lane>`. */
export interface LaneRequestHeaders {
  /** A `traceparent` that starts a trace ({@link startTraceParent}). */
  readonly traceparent: string;
  /** `ctx=lane:<lane>`, the only member. */
  readonly tracestate: string;
}

/**
 * The headers of a request that starts in `lane` (`lanes verify`, `lanes trace`, the demo, the end-to-end tests):
 * `tracestate: ctx=lane:<lane>` and, with it, a fresh valid `traceparent`. A `tracestate` alone is discarded by
 * every spec-compliant hop: §3.3 "If the vendor failed to parse `traceparent`, it MUST NOT attempt to parse
 * `tracestate`" (https://www.w3.org/TR/trace-context/#tracestate-header), and §4.2 processing model. Each call
 * starts its own trace.
 *
 * @param random a CSPRNG, such as `randomBytes` of `node:crypto`
 * @throws InvalidLaneNameError when `lane` is not a valid lane name (a programming error)
 */
export function laneRequestHeaders(lane: string, random: RandomBytes): LaneRequestHeaders {
  return { traceparent: startTraceParent(random), tracestate: withLane(undefined, lane) };
}
