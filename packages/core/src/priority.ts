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

/** The two priorities of a blue/green lane: its test rule is evaluated before its production rule. */
export interface PriorityPair {
  /** Priority of the production rule (the lane's tracestate condition). */
  readonly production: number;
  /** Priority of the test rule (the test header); always lower than {@link production}. */
  readonly test: number;
}

/**
 * Allocates the production and test priorities of a blue/green lane together, so that the test rule is
 * always evaluated first. An ALB evaluates rules "in priority order, from the lowest value to the highest
 * value" and the first match wins: the validation hook sends both the test header and the lane's tracestate,
 * and must meet the test rule, never the production one.
 * - Both kept when the lane has both, the test one lower, neither clashing nor avoided.
 * - Else the production priority is allocated as {@link allocatePriority} does (kept when possible) and the
 *   test rule takes the highest free slot below it (its own slot kept when it still is below); when nothing
 *   below it is free, the production rule moves to the next slot that has a free one below.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html ("Rules are evaluated in priority order, from the lowest value to the highest value")
 * @throws NoFreePriorityError when no such pair exists in the range
 */
export function allocatePriorityPair(
  productionKey: string,
  testKey: string,
  existing: readonly ExistingRule[],
  options: AllocateOptions = {},
): PriorityPair {
  const min = options.min ?? MIN_RULE_PRIORITY;
  const max = options.max ?? MAX_RULE_PRIORITY;
  const avoid = new Set(options.avoid ?? []);
  const ownProduction = existing.find((r) => r.laneKey === productionKey);
  const ownTest = existing.find((r) => r.laneKey === testKey);
  const others = existing.filter((r) => r !== ownProduction && r !== ownTest);
  const taken = new Set([...others.map((r) => r.priority), ...avoid]);
  // Neither rule may move onto the slot the other one holds now: CloudFormation updates them one at a time.
  const free = (p: number, holder: ExistingRule | undefined) =>
    p >= min && p <= max && !taken.has(p) && p !== holder?.priority;
  const testBelow = (production: number): number | undefined => {
    if (ownTest && ownTest.priority < production && free(ownTest.priority, undefined))
      return ownTest.priority;
    for (let p = production - 1; p >= min; p--) if (free(p, ownProduction)) return p;
    return undefined;
  };
  const first = allocatePriority(productionKey, [...others, ...(ownProduction ? [ownProduction] : [])], {
    min,
    max,
    avoid: [...avoid, ...(ownTest ? [ownTest.priority] : [])],
  });
  const size = max - min + 1;
  for (let i = 0; i < size; i++) {
    const production = min + ((first - min + i) % size);
    if (!free(production, ownTest)) continue;
    const test = testBelow(production);
    if (test !== undefined) return { production, test };
  }
  throw new NoFreePriorityError(min, max);
}
