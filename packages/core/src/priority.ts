/**
 * Listener-rule priorities, allocated, never fixed (ARCHITECTURE.md, decision 3).
 *
 * An ALB listener cannot hold two rules with one priority (1..50000), so a fixed priority makes the second
 * lane fail. A lane keeps the priority it has; a new lane starts at a deterministic preferred slot (a hash
 * of service, environment and lane) and probes upward, wrapping around, until it finds a free one. Two
 * concurrent deploys that pick the same free slot are resolved by the control plane: the loser sees
 * "PriorityInUse", re-reads the listener and allocates again.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html (Priority: 1-50000)
 */
import { createHash } from 'node:crypto';

/** Lowest priority a listener rule may have. */
export const MIN_RULE_PRIORITY = 1;
/** Highest priority a listener rule may have. */
export const MAX_RULE_PRIORITY = 50_000;

/** A rule already on the listener. */
export interface ExistingRule {
  /** The rule's priority. */
  readonly priority: number;
  /** The lane key the rule belongs to (see {@link laneRuleKey}), when it is a lane rule of ecs-lanes. */
  readonly laneKey?: string;
}

/** Options of {@link allocatePriority}. */
export interface AllocateOptions {
  /** Lowest priority to use. @default 1 */
  readonly min?: number;
  /** Highest priority to use. @default 50000 */
  readonly max?: number;
  /** Priorities to avoid in addition to the existing rules (for example, slots lost to a concurrent deploy). @default none */
  readonly avoid?: Iterable<number>;
}

/** Thrown when no priority is free in the range. */
export class NoFreePriorityError extends Error {
  constructor(min: number, max: number) {
    super(
      `no free listener-rule priority between ${min} and ${max}; delete unused lanes (lanes rm) or widen the range`,
    );
    this.name = 'NoFreePriorityError';
  }
}

/**
 * The key that identifies a lane's rule on a listener. `purpose` separates the several rules of one lane
 * (a blue/green lane has a production and a test rule).
 */
export function laneRuleKey(service: string, env: string, lane: string, purpose = 'lane'): string {
  return `${service}/${env}/${lane}/${purpose}`;
}

/** The deterministic slot a lane tries first, in `min..max`. */
export function preferredPriority(laneKey: string, min = MIN_RULE_PRIORITY, max = MAX_RULE_PRIORITY): number {
  const digest = createHash('sha256').update(laneKey).digest();
  return min + (digest.readUInt32BE(0) % (max - min + 1));
}

/**
 * Allocates the priority of the rule identified by `laneKey`, given the rules already on the listener.
 * - When a rule with this key exists, its priority is kept (a redeploy never moves a lane).
 * - Else the preferred slot, probing upward and wrapping around on collision.
 * The result never equals the priority of another existing rule nor any priority in `avoid`.
 */
export function allocatePriority(
  laneKey: string,
  existing: readonly ExistingRule[],
  options: AllocateOptions = {},
): number {
  const min = options.min ?? MIN_RULE_PRIORITY;
  const max = options.max ?? MAX_RULE_PRIORITY;
  if (
    !(
      Number.isInteger(min) &&
      Number.isInteger(max) &&
      MIN_RULE_PRIORITY <= min &&
      min <= max &&
      max <= MAX_RULE_PRIORITY
    )
  ) {
    throw new RangeError(
      `priority range ${min}..${max} must lie within ${MIN_RULE_PRIORITY}..${MAX_RULE_PRIORITY}`,
    );
  }
  const avoid = new Set(options.avoid ?? []);
  const own = existing.find((r) => r.laneKey === laneKey);
  if (own && !avoid.has(own.priority) && !existing.some((r) => r !== own && r.priority === own.priority)) {
    return own.priority;
  }
  const taken = new Set(existing.filter((r) => r !== own).map((r) => r.priority));
  for (const p of avoid) taken.add(p);
  const size = max - min + 1;
  const start = preferredPriority(laneKey, min, max);
  for (let i = 0; i < size; i++) {
    const candidate = min + ((start - min + i) % size);
    if (!taken.has(candidate)) return candidate;
  }
  throw new NoFreePriorityError(min, max);
}
