/**
 * What the SDK sends onwards for a request in a lane: a valid W3C `traceparent` and the `tracestate` that goes
 * with it, always together (ARCHITECTURE.md, decision 10). Specs: https://www.w3.org/TR/trace-context/ (Level 1,
 * for `traceparent`; section numbers below are from it) and https://www.w3.org/TR/trace-context-2/ (Level 2, for
 * the `tracestate` key grammar).
 *
 * - **A valid `traceparent` came in**: the trace continues — same trace-id, a new parent-id (the id of this
 *   service's part of the request, §3.4 "Update parent-id"), the sampled and random-trace-id flags kept (others
 *   zeroed, §3.2.2.5.2), version `00` (§3.4 "Downgrade the version"). The `tracestate` is the incoming one with
 *   `ctx=lane:<lane>` moved or added to the front (§3.5), at most 32 members and 512 characters (§3.3.1.5: larger
 *   than 128 characters removed first, then from the end).
 * - **None, or an invalid one, came in**: the trace starts — a random trace-id and parent-id (§3.4 "Restart
 *   trace"), flags `02`: not sampled ("It should be set to `0` as the default option when the trace is initiated
 *   by this component", §3.2.2.5.1; the SDK records nothing) and random-trace-id (Level 2: the ids come from a
 *   CSPRNG). The incoming `tracestate` is not forwarded: §3.3 "If the vendor failed to parse `traceparent`, it MUST
 *   NOT attempt to parse `tracestate`", and §3.4 "Vendors SHOULD clean up `tracestate` collection on `traceparent`
 *   restart". **The one deliberate exception**: the SDK's own `ctx` member is kept, re-emitted as the only member
 *   of the new `tracestate`, because a request at the edge (`curl -H 'tracestate: ctx=lane:gray'`, a test, a
 *   browser) names its lane this way, and the ALB rule routes on it without a `traceparent`.
 *
 * One trace per request: every call made while serving one request carries the same `traceparent`.
 */
import { randomFillSync } from 'node:crypto';
import { LANE_TRACESTATE_KEY, LANE_VALUE_PREFIX } from '@ecs-lanes/core/lane';
import {
  formatTraceParent,
  isValidParentId,
  isValidTraceId,
  parseTraceParent,
  RANDOM_TRACE_ID_FLAG,
  TRACESTATE_PROPAGATION_LENGTH,
  type TraceParent,
  TraceState,
} from '@ecs-lanes/core/tracestate';

/** Random bytes drawn 4 KiB at a time, so that an id costs a slice, not a system call. */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A random trace-id: 16 bytes from a CSPRNG, never all zero (§3.2.2.3; §6 trace-id generation). */
export function randomTraceId(): string {
  let id = randomHex(16);
  while (!isValidTraceId(id)) id = randomHex(16);
  return id;
}

/** A random parent-id: 8 bytes from a CSPRNG, never all zero (§3.2.2.4). */
export function randomParentId(): string {
  let id = randomHex(8);
  while (!isValidParentId(id)) id = randomHex(8);
  return id;
}

/** The headers of one outgoing call, always both. */
export interface OutgoingTraceHeaders {
  /** A valid `traceparent` (version `00`). */
  readonly traceparent: string;
  /** The `tracestate` that goes with it, `ctx=lane:<lane>` first. */
  readonly tracestate: string;
}

/**
 * What one request in lane `lane` sends onwards, computed from its incoming `traceparent` and `tracestate` (see
 * the module comment). Immutable.
 */
export class TraceContextOut {
  /** The lane. */
  readonly lane: string;
  /** The incoming `traceparent` when it was valid, else undefined (the trace was started here). */
  readonly incoming: TraceParent | undefined;
  /**
   * The parent that OpenTelemetry should see when no span is active: the incoming one (so that its spans are
   * children of the caller's), else the started trace with this request's parent-id.
   */
  readonly parent: TraceParent;
  /** The `traceparent` of every call this request makes. */
  readonly traceParent: string;
  /** The `tracestate` of a call that carries none of its own. */
  readonly traceState: string;
  readonly #laneValue: string;
  readonly #headers: OutgoingTraceHeaders;

  constructor(
    lane: string,
    traceParent: string | readonly string[] | undefined,
    traceState: string | undefined,
  ) {
    this.lane = lane;
    this.#laneValue = LANE_VALUE_PREFIX + lane;
    this.incoming = parseTraceParent(traceParent);
    const parentId = randomParentId();
    this.parent = this.incoming ?? { traceId: randomTraceId(), parentId, flags: RANDOM_TRACE_ID_FLAG };
    this.traceParent = formatTraceParent({ ...this.parent, parentId });
    this.traceState =
      this.incoming === undefined ? this.traceStateWith('') : this.traceStateWith(traceState ?? '');
    this.#headers = { traceparent: this.traceParent, tracestate: this.traceState };
  }

  /**
   * `header` with `ctx=lane:<lane>` at the front (§3.5), invalid members and later duplicates dropped, at most 32
   * members and {@link TRACESTATE_PROPAGATION_LENGTH} characters (§3.3.1.5 truncation order).
   */
  traceStateWith(header: string | readonly string[]): string {
    return TraceState.parse(header)
      .set(LANE_TRACESTATE_KEY, this.#laneValue)
      .truncate(TRACESTATE_PROPAGATION_LENGTH)
      .serialize();
  }

  /**
   * The headers of a call that carries `traceParent` and `traceState` of its own (undefined: none):
   * - no `traceparent` of its own: this request's `traceparent`, and the call's `tracestate` (this service's own
   *   members) or else this request's, with the lane in front;
   * - a valid one (for example injected by hand from an OpenTelemetry span): it is kept (in version `00`), with
   *   the call's `tracestate` and the lane in front — the members belong to that trace;
   * - an invalid one: replaced by this request's; the call's `tracestate` went with the invalid one and is not
   *   sent (§3.3), only the lane.
   */
  headersFor(
    traceParent: string | readonly string[] | undefined,
    traceState: string | undefined,
  ): OutgoingTraceHeaders {
    if (traceParent === undefined) {
      return traceState === undefined
        ? this.#headers
        : { traceparent: this.traceParent, tracestate: this.traceStateWith(traceState) };
    }
    const own = parseTraceParent(traceParent);
    if (own === undefined) return { traceparent: this.traceParent, tracestate: this.traceStateWith('') };
    return { traceparent: formatTraceParent(own), tracestate: this.traceStateWith(traceState ?? '') };
  }
}
