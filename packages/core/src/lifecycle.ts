/**
 * The life of a lane: who made it, when, and until when it may live. Short-lived lanes are the point of the
 * product (ARCHITECTURE.md, decision 12); every lane but the baseline has an expiry, a redeploy moves it, and
 * `lanes gc` removes what has expired. Both targets store the same four facts: stack tags on AWS
 * ({@link LIFECYCLE_TAGS}), the state file locally.
 *
 * Pure: times come in as milliseconds since the epoch and go out as ISO 8601 strings.
 */
import { UserError } from './target.js';

/** Stack tags holding a lane's lifecycle on AWS (CloudFormation tag values: at most 256 characters). */
export const LIFECYCLE_TAGS = {
  /** Who created the lane (the AWS caller identity's ARN). */
  owner: 'ecs-lanes:owner',
  /** When the lane was first deployed (ISO 8601). */
  createdAt: 'ecs-lanes:created-at',
  /** When the lane was last deployed (ISO 8601). */
  deployedAt: 'ecs-lanes:deployed-at',
  /** When the lane expires (ISO 8601); absent on the baseline, which never expires. */
  expiresAt: 'ecs-lanes:expires-at',
} as const;

/**
 * The app pipeline's variables `ttl` and `owner` need a default of at least one character
 * (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineVariableDeclaration.html, defaultValue):
 * these values mean "not given" to `lanes ci deploy`.
 */
export const PIPELINE_TTL_DEFAULT = 'default';
/** See {@link PIPELINE_TTL_DEFAULT}. */
export const PIPELINE_OWNER_UNKNOWN = 'unknown';

/** The lifecycle facts of one lane, as every target reports them. */
export interface LaneLifecycle {
  /** Who created the lane: an AWS caller ARN, or a git author / OS user locally. */
  readonly owner?: string;
  /** When the lane was created (ISO 8601). */
  readonly createdAt?: string;
  /** When the lane was last deployed (ISO 8601). */
  readonly deployedAt?: string;
  /** When the lane expires (ISO 8601). Absent: it never expires (the baseline). */
  readonly expiresAt?: string;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The grammar of a duration: a whole number and a unit, `m`inutes, `h`ours, `d`ays or `w`eeks (`90m`, `3d`). */
export const DURATION_PATTERN = /^([1-9][0-9]{0,5})([mhdw])$/;

/** The outcome of {@link parseDuration}. */
export type DurationResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

/** Parses a duration such as `3d`, `12h`, `90m` or `2w`; never throws. */
export function parseDuration(text: string): DurationResult {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) {
    return {
      ok: false,
      reason: `"${text}" is not a duration; write a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), for example 3d or 12h`,
    };
  }
  return { ok: true, ms: Number(m[1]) * UNIT_MS[m[2]!]! };
}

/** Formats milliseconds as the largest whole unit that fits: `3d`, `5h`, `12m` (at least `0m`). */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= UNIT_MS.d!) return `${Math.floor(abs / UNIT_MS.d!)}d`;
  if (abs >= UNIT_MS.h!) return `${Math.floor(abs / UNIT_MS.h!)}h`;
  return `${Math.floor(abs / UNIT_MS.m!)}m`;
}

/** The lifecycle policy of an environment that expiry needs (see `policy.ts` for the whole policy). */
export interface TtlPolicy {
  /** TTL of a lane deployed without `--ttl`, as a duration. */
  readonly defaultTtl: string;
  /** Longest TTL a lane may be given, as a duration. */
  readonly maxTtl: string;
}

/**
 * The expiry a deploy or `lanes extend` gives a lane: `now + ttl` (or the default TTL), never beyond the
 * maximum; undefined for the baseline, which never expires.
 * @throws LifecycleError when `ttl` is not a duration or exceeds the maximum (the message names the rule and the fix)
 */
export function expiryFor(input: {
  readonly baseline: boolean;
  readonly ttl?: string;
  readonly policy: TtlPolicy;
  readonly now: number;
  /** Where the policy lives, for messages, e.g. `environments[1].policy`. @default 'policy' */
  readonly policyPath?: string;
}): string | undefined {
  if (input.baseline) return undefined;
  const where = input.policyPath ?? 'policy';
  const max = mustParse(input.policy.maxTtl, `${where}.maxTtl`);
  const text = input.ttl ?? input.policy.defaultTtl;
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new LifecycleError(`--ttl: ${parsed.reason}`);
  if (parsed.ms > max) {
    throw new LifecycleError(
      `${input.ttl === undefined ? `${where}.defaultTtl` : '--ttl'} ${text} is longer than the maximum TTL ${input.policy.maxTtl} (${where}.maxTtl); give --ttl ${input.policy.maxTtl} or less, or raise ${where}.maxTtl in lanes.yaml`,
    );
  }
  return new Date(input.now + parsed.ms).toISOString();
}

/** True when the lane has an expiry and it is at or before `now`. */
export function isExpired(lifecycle: LaneLifecycle, now: number): boolean {
  if (lifecycle.expiresAt === undefined) return false;
  const at = Date.parse(lifecycle.expiresAt);
  return !Number.isNaN(at) && at <= now;
}

/** `expires in 2d`, `expired 5h ago`, or `never` (the baseline). */
export function describeExpiry(expiresAt: string | undefined, now: number): string {
  if (expiresAt === undefined) return 'never';
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return 'unknown';
  return at <= now ? `expired ${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
}

/**
 * The lifecycle a deploy records: the owner and creation time are kept from the lane's previous record, the
 * deploy time is now, and the expiry moves (a redeploy extends the lane).
 */
export function nextLifecycle(
  previous: LaneLifecycle | undefined,
  deploy: { readonly owner: string; readonly now: number; readonly expiresAt: string | undefined },
): LaneLifecycle {
  const now = new Date(deploy.now).toISOString();
  return {
    owner: previous?.owner ?? deploy.owner,
    createdAt: previous?.createdAt ?? now,
    deployedAt: now,
    ...(deploy.expiresAt === undefined ? {} : { expiresAt: deploy.expiresAt }),
  };
}

/** The lifecycle as stack tags ({@link LIFECYCLE_TAGS}); owner cut to the 256 characters a tag value holds. */
export function lifecycleTags(lifecycle: LaneLifecycle): Record<string, string> {
  const out: Record<string, string> = {};
  if (lifecycle.owner) out[LIFECYCLE_TAGS.owner] = lifecycle.owner.slice(0, 256);
  if (lifecycle.createdAt) out[LIFECYCLE_TAGS.createdAt] = lifecycle.createdAt;
  if (lifecycle.deployedAt) out[LIFECYCLE_TAGS.deployedAt] = lifecycle.deployedAt;
  if (lifecycle.expiresAt) out[LIFECYCLE_TAGS.expiresAt] = lifecycle.expiresAt;
  return out;
}

/** The lifecycle read back from stack tags. */
export function lifecycleFromTags(tags: Readonly<Record<string, string>>): LaneLifecycle {
  const out: { -readonly [K in keyof LaneLifecycle]: LaneLifecycle[K] } = {};
  if (tags[LIFECYCLE_TAGS.owner]) out.owner = tags[LIFECYCLE_TAGS.owner];
  if (tags[LIFECYCLE_TAGS.createdAt]) out.createdAt = tags[LIFECYCLE_TAGS.createdAt];
  if (tags[LIFECYCLE_TAGS.deployedAt]) out.deployedAt = tags[LIFECYCLE_TAGS.deployedAt];
  if (tags[LIFECYCLE_TAGS.expiresAt]) out.expiresAt = tags[LIFECYCLE_TAGS.expiresAt];
  return out;
}

function mustParse(text: string, where: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new LifecycleError(`${where}: ${parsed.reason}`);
  return parsed.ms;
}

/** A TTL or lifecycle policy broken by a request; the message names the rule and the fix. */
export class LifecycleError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'LifecycleError';
  }
}
