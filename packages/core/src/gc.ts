/**
 * Garbage collection of lanes (`lanes gc`): which lanes of an environment have expired and may be removed
 * now, and the run that removes them through any {@link LaneTarget}. Never removes a baseline, a lane that
 * is deploying, or one the target says cannot be removed safely; each lane skipped says why.
 *
 * The plan is pure; {@link collectGarbage} only calls the target it is given.
 */
import { describeExpiry, isExpired } from './lifecycle.js';
import { NotExpiredError } from './not-expired.js';
import type { LaneSummary, LaneTarget, ProgressListener } from './target.js';

/** One lane in a gc plan or result. */
export interface GcEntry {
  readonly service: string;
  readonly lane: string;
  /** The lane's owner, when known. */
  readonly owner?: string;
  /** The lane's expiry (ISO 8601), when it has one. */
  readonly expiresAt?: string;
  /** Why it is kept or skipped, or why its removal failed. */
  readonly reason?: string;
  /** What was (or would be) removed. */
  readonly actions?: readonly string[];
}

/** What gc would do with an environment's lanes. */
export interface GcPlan {
  /** Expired lanes that can be removed now. */
  readonly remove: readonly LaneSummary[];
  /** Expired lanes that cannot be removed now, with the reason. */
  readonly skip: readonly GcEntry[];
  /** Lanes that have not expired (baselines included), with when they expire. */
  readonly keep: readonly GcEntry[];
}

/** Lane states in which a deploy or removal is under way. */
const BUSY_STATES: ReadonlySet<string> = new Set(['creating', 'updating', 'deleting']);

function entry(lane: LaneSummary, reason: string): GcEntry {
  return {
    service: lane.service,
    lane: lane.lane,
    ...(lane.owner ? { owner: lane.owner } : {}),
    ...(lane.expiresAt ? { expiresAt: lane.expiresAt } : {}),
    reason,
  };
}

/** Sorts `lanes` into what gc removes, skips (expired, but unsafe now) and keeps (not expired) at `now`. */
export function planGc(lanes: readonly LaneSummary[], now: number): GcPlan {
  const remove: LaneSummary[] = [];
  const skip: GcEntry[] = [];
  const keep: GcEntry[] = [];
  for (const lane of lanes) {
    if (lane.baseline) keep.push(entry(lane, 'the baseline never expires'));
    else if (!isExpired(lane, now))
      keep.push(
        entry(lane, lane.expiresAt ? `expires ${describeExpiry(lane.expiresAt, now)}` : 'has no expiry'),
      );
    else if (BUSY_STATES.has(lane.state))
      skip.push(
        entry(lane, `it is ${lane.state}${lane.detail ? ` (${lane.detail})` : ''}; gc tries again next run`),
      );
    else if (lane.removeBlocked) skip.push(entry(lane, lane.removeBlocked));
    else remove.push(lane);
  }
  return { remove, skip, keep };
}

/** The outcome of a gc run. */
export interface GcResult {
  /** The environment collected. */
  readonly env: string;
  /** True when nothing was changed. */
  readonly dryRun: boolean;
  /** The time expiry was judged at (ISO 8601). */
  readonly now: string;
  /** Lanes removed (or, in a dry run, that would be). */
  readonly removed: readonly GcEntry[];
  /** Expired lanes left in place, with the reason. */
  readonly skipped: readonly GcEntry[];
  /** Expired lanes whose removal failed, with the error. */
  readonly failed: readonly GcEntry[];
  /** Lanes not expired. */
  readonly kept: readonly GcEntry[];
}

/** Options of {@link collectGarbage}. */
export interface GcOptions {
  readonly env: string;
  /** Judge expiry at this time (ms since the epoch). */
  readonly now: number;
  /** Only this service's lanes. @default every service */
  readonly service?: string;
  /** Plan and stop before the first removal. @default false */
  readonly dryRun?: boolean;
  readonly progress?: ProgressListener;
}

/**
 * Removes the expired lanes of an environment, one at a time, each only if it is still expired when its
 * removal starts ({@link RemoveLaneRequest.ifExpiredBy}). A failed removal is reported and the run goes on.
 */
export async function collectGarbage(target: LaneTarget, options: GcOptions): Promise<GcResult> {
  const progress = options.progress ?? (() => {});
  const lanes = await target.list(options.service === undefined ? {} : { service: options.service });
  const plan = planGc(lanes, options.now);
  const now = new Date(options.now).toISOString();
  progress({
    phase: 'gc',
    message: `${lanes.length} lanes in ${options.env}: ${plan.remove.length} expired to remove, ${plan.skip.length} expired but skipped, ${plan.keep.length} kept`,
  });
  for (const s of plan.skip) progress({ phase: 'gc', message: `skip ${s.service}/${s.lane}: ${s.reason}` });
  const removed: GcEntry[] = [];
  const failed: GcEntry[] = [];
  const skipped: GcEntry[] = [...plan.skip];
  for (const [i, lane] of plan.remove.entries()) {
    progress({
      phase: 'gc',
      message: `(${i + 1}/${plan.remove.length}) ${options.dryRun ? 'would remove' : 'removing'} ${lane.service}/${lane.lane} (expired ${describeExpiry(lane.expiresAt, options.now).replace(/^expired /, '')}${lane.owner ? `, owner ${lane.owner}` : ''})`,
    });
    try {
      const result = await target.remove(
        {
          service: lane.service,
          env: options.env,
          lane: lane.lane,
          ifExpiredBy: now,
          ...(options.dryRun ? { dryRun: true } : {}),
        },
        progress,
      );
      removed.push({ ...entry(lane, 'expired'), actions: result.actions });
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof NotExpiredError) skipped.push(entry(lane, message));
      else failed.push(entry(lane, message));
      progress({ phase: 'gc', message: `${lane.service}/${lane.lane}: ${message}` });
    }
  }
  return {
    env: options.env,
    dryRun: options.dryRun ?? false,
    now,
    removed,
    skipped,
    failed,
    kept: plan.keep,
  };
}
