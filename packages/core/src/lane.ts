/**
 * Lane names: the grammar every lane must satisfy, and why.
 *
 * A lane name travels in three places, and its grammar is the intersection of what they allow:
 * - the W3C `tracestate` value `lane:<lane>` (W3C Trace Context §3.3.1.3.2: printable ASCII except `,` and `=`);
 * - AWS resource names built from it (target groups, stacks, ECS services: `[A-Za-z0-9-]`);
 * - one ALB `RegexValues` entry of at most 128 characters, in which each letter costs four characters
 *   (`[gG]`, so the match does not depend on whether the ALB compares case-sensitively): see `alb-match.ts`.
 *
 * Hence: lowercase letters, digits and single hyphens, starting with a letter, ending with a letter or a
 * digit, at most {@link MAX_LANE_LENGTH} characters. `--` is forbidden so that names built from lanes never
 * contain consecutive hyphens (see `naming.ts`).
 */

/** Maximum length of a lane name. Derived from the 128-character ALB regex budget (see `alb-match.ts`). */
export const MAX_LANE_LENGTH = 16;

/** The lane a request uses when it names none. Configurable per environment; this is the default. */
export const DEFAULT_BASELINE_LANE = 'base';

/** The tracestate list-member key that carries the lane (`ctx=lane:<lane>`). */
export const LANE_TRACESTATE_KEY = 'ctx';

/** The prefix of the tracestate value before the lane name (`ctx=lane:<lane>`). */
export const LANE_VALUE_PREFIX = 'lane:';

const LANE_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-))*$/;

/**
 * Lane names that cannot be used, each with the reason.
 * `default` would give a lane target group the name of the service's default target group.
 */
export const RESERVED_LANE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  default: "it would name the lane's target group like the service's default target group",
  all: 'it is reserved for commands that act on every lane',
  none: 'it is reserved to mean "no lane" in commands and output',
  latest: 'it is easily confused with an image tag',
});

/** The outcome of checking a lane name: ok, or the reason it is not a valid lane. */
export type LaneNameCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a lane name against the lane grammar and the reserved names.
 * Never throws; the reason, when there is one, says how to fix the name.
 */
export function checkLaneName(name: string): LaneNameCheck {
  if (name.length === 0) return { ok: false, reason: 'a lane name cannot be empty' };
  if (name.length > MAX_LANE_LENGTH) {
    return {
      ok: false,
      reason: `"${name}" has ${name.length} characters; a lane name has at most ${MAX_LANE_LENGTH} (the ALB rule that matches it must fit in 128 characters)`,
    };
  }
  if (!LANE_PATTERN.test(name) || name.endsWith('-')) {
    return {
      ok: false,
      reason: `"${name}" is not a valid lane name: use lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit (for example "gray" or "feat-login")`,
    };
  }
  const reserved = RESERVED_LANE_NAMES[name];
  if (reserved !== undefined) return { ok: false, reason: `"${name}" is reserved: ${reserved}` };
  return { ok: true };
}

/** True when `name` is a valid, non-reserved lane name. */
export function isValidLaneName(name: string): boolean {
  return checkLaneName(name).ok;
}

/** Thrown by {@link assertLaneName} when a lane name is invalid. */
export class InvalidLaneNameError extends Error {
  /** The lane name that was rejected. */
  readonly lane: string;
  constructor(lane: string, reason: string) {
    super(`invalid lane: ${reason}`);
    this.name = 'InvalidLaneNameError';
    this.lane = lane;
  }
}

/** Returns `name` when it is a valid lane name, else throws {@link InvalidLaneNameError} with the reason. */
export function assertLaneName(name: string): string {
  const check = checkLaneName(name);
  if (!check.ok) throw new InvalidLaneNameError(name, check.reason);
  return name;
}
