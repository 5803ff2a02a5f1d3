/**
 * A lane's configuration (issue 18): environment variables a service reads, kept per environment with per-lane
 * overrides. On AWS they live in SSM Parameter Store under core's {@link configNames} paths; on the local target
 * in `.lanes/config/{env}.yaml`. A lane gets the baseline's value of every variable it does not override.
 *
 * Pure: the merge, the key grammar and the store contract; the stores live in `aws` and `local`.
 */
import type { LaneRef } from './target.js';

/** Grammar of a configuration key: it becomes an environment variable (POSIX portable names). */
export const CONFIG_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest key accepted, so that `/{project}/{env}/{service}/lanes/{lane}/{KEY}` stays well inside SSM's limit. */
export const MAX_CONFIG_KEY_LENGTH = 128;

/**
 * Largest value a standard-tier parameter holds: 4 KB
 * (Parameter Store, "Managing parameter tiers",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
 */
export const MAX_CONFIG_VALUE_BYTES = 4096;

/**
 * Variables every lane already gets from the lane stack (ENV, LANE, PORT); configuration may not shadow them,
 * since ECS refuses a container definition that names one variable twice.
 */
export const RESERVED_CONFIG_KEYS: readonly string[] = ['ENV', 'LANE', 'PORT'];

/** Where a configuration value comes from. */
export type ConfigScope = 'service' | 'lane';

/** One stored configuration value. */
export interface ConfigEntry {
  /** The environment variable it becomes. */
  readonly key: string;
  /** Service-wide (the baseline's and every lane's value) or one lane's override. */
  readonly scope: ConfigScope;
  /** The value; absent for a secure value (it is never read back in plain text). */
  readonly value?: string;
  /** True for a secure value (an SSM SecureString, given to ECS as a `secret`). @default false */
  readonly secure: boolean;
  /** Version of the stored value (SSM's parameter version; 1 on the local target). */
  readonly version: number;
  /** Where it is stored (the SSM parameter name, or the local file and key). */
  readonly source: string;
}

/** The value a lane gets for one key, and where it came from. */
export interface EffectiveConfigEntry extends ConfigEntry {
  /** True when a lane override hides a service-wide value. */
  readonly overrides: boolean;
}

/**
 * The set a lane runs with: every service-wide entry, replaced by the lane's override where there is one,
 * sorted by key. For the baseline lane pass its own overrides too (an override of the baseline is legal).
 */
export function effectiveConfig(
  service: readonly ConfigEntry[],
  lane: readonly ConfigEntry[],
): EffectiveConfigEntry[] {
  const byKey = new Map<string, EffectiveConfigEntry>();
  for (const e of service) byKey.set(e.key, { ...e, overrides: false });
  for (const e of lane) byKey.set(e.key, { ...e, overrides: byKey.has(e.key) });
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Why `key` cannot be a configuration key, or undefined when it can. */
export function configKeyProblem(key: string): string | undefined {
  if (!CONFIG_KEY_PATTERN.test(key)) {
    return `"${key}" is not a valid key: use letters, digits and _ and do not start with a digit (it becomes an environment variable), for example FEATURE_FLAG`;
  }
  if (key.length > MAX_CONFIG_KEY_LENGTH)
    return `key "${key.slice(0, 20)}..." is longer than ${MAX_CONFIG_KEY_LENGTH} characters`;
  if (RESERVED_CONFIG_KEYS.includes(key)) {
    return `key ${key} is set by ecs-lanes itself (${RESERVED_CONFIG_KEYS.join(', ')}); choose another name`;
  }
  return undefined;
}

/** Why `value` cannot be stored, or undefined when it can. */
export function configValueProblem(key: string, value: string): string | undefined {
  if (value.length === 0)
    return `the value of ${key} is empty; Parameter Store refuses empty values (use unset to remove it)`;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_CONFIG_VALUE_BYTES)
    return `the value of ${key} has ${bytes} bytes; at most ${MAX_CONFIG_VALUE_BYTES} are allowed`;
  return undefined;
}

/** What `lanes config ls|set|unset` addresses: a service's configuration, or one lane's overrides. */
export interface ConfigTarget {
  readonly service: string;
  readonly env: string;
  /** The lane whose overrides are meant. @default the service-wide configuration */
  readonly lane?: string;
}

/** A change to make: set `key` (to `value`, secure or not) or remove it. */
export type ConfigChange =
  | { readonly kind: 'set'; readonly key: string; readonly value: string; readonly secure: boolean }
  | { readonly kind: 'unset'; readonly key: string };

/** The outcome of a change. */
export interface ConfigChangeResult {
  /** True when nothing was changed (dry run). */
  readonly dryRun: boolean;
  /** What was (or would be) done, one line each; never a secure value. */
  readonly actions: readonly string[];
  /** The entry after the change (set), when known. */
  readonly entry?: ConfigEntry;
}

/** Reads and changes a lane's configuration; implemented for SSM (`aws`) and a local file (`local`). */
export interface LaneConfigStore {
  /** Service-wide entries (no lane), or the lane's own overrides. */
  list(target: ConfigTarget): Promise<ConfigEntry[]>;
  /** The set `ref`'s lane runs with. */
  effective(ref: LaneRef): Promise<EffectiveConfigEntry[]>;
  /** Sets or removes one key; with `dryRun`, walks the same checks and changes nothing. */
  change(target: ConfigTarget, change: ConfigChange, dryRun: boolean): Promise<ConfigChangeResult>;
}
