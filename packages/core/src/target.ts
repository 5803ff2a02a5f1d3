/**
 * The lane model shared by both targets (`aws` and `local`): what a lane looks like from the outside and the
 * operations every target offers. The CLI picks one {@link LaneTarget} per environment, once, and never
 * branches on the target again (STYLE.md, "Commands").
 *
 * Pure types and small pure helpers only.
 */
import type { LaneCost } from './cost.js';
import type { ListenerBudget } from './policy.js';

import type { LaneTrace } from './trace.js';

/** Identifies one lane of one service in one environment. */
export interface LaneRef {
  /** Service name, as declared in `lanes.yaml`. */
  readonly service: string;
  /** Environment name, as declared in `lanes.yaml`. */
  readonly env: string;
  /** Lane name (see `lane.ts`). */
  readonly lane: string;
}

/** Where a lane is in its life. */
export type LaneState =
  /** Being created; not yet routable. */
  | 'creating'
  /** Healthy and routable. */
  | 'serving'
  /** A new version is being rolled out; the previous one still serves. */
  | 'updating'
  /** The last deploy failed; the previous version (if any) still serves. */
  | 'failed'
  /** Deployed, but nothing healthy runs behind its route (no running task, or no healthy target). */
  | 'unhealthy'
  /** Being removed. */
  | 'deleting'
  /** Declared but not running (for example, the local target is down). */
  | 'stopped'
  /** The target could not tell. */
  | 'unknown';

/** One row of `lanes ls`: the same columns on every target. */
export interface LaneSummary extends LaneRef {
  /** True for the environment's baseline lane. */
  readonly baseline: boolean;
  /** What runs: an image tag on AWS, a commit on the local target. */
  readonly version?: string;
  /** The branch the running version was built from. */
  readonly branch?: string;
  /** Lane state. */
  readonly state: LaneState;
  /** Target-specific state detail (a stack status, a process state). */
  readonly detail?: string;
  /** Running instances (tasks or processes). */
  readonly running: number;
  /** Desired instances. */
  readonly desired: number;
  /** Healthy targets behind the lane's route. */
  readonly healthy: number;
  /** When the lane was created (ISO 8601). */
  readonly createdAt?: string;
  /** Where to send requests (the service's gateway or ALB); add the lane's tracestate to reach this lane. */
  readonly url?: string;
  /** Who created the lane: the AWS caller ARN, or the git author / OS user locally. @default unknown (older lanes) */
  readonly owner?: string;
  /** When the lane was last deployed (ISO 8601). */
  readonly deployedAt?: string;
  /** When the lane expires (ISO 8601). Absent: it never expires (the baseline, or a lane from before expiry). */
  readonly expiresAt?: string;
  /** The lane's cost estimate (numbers, USD). Absent when none can be made; {@link costNote} says why. */
  readonly cost?: LaneCost;
  /** Why there is no estimate, or what it shows (the AWS environment a local lane mirrors). */
  readonly costNote?: string;
  /**
   * Why the lane cannot be removed safely now (a deploy in progress, a stack state CloudFormation cannot
   * delete from cleanly). Absent: it can be removed. `lanes gc` skips such lanes and says why.
   */
  readonly removeBlocked?: string;
}

/** One check of `lanes verify`, printed as `[OK]`, `[NG]` or `[SKIP]`. */
export interface VerifyCheck {
  /** What was checked, for example "healthy targets > 0". */
  readonly name: string;
  /** The result. */
  readonly status: 'OK' | 'NG' | 'SKIP';
  /** What was seen. */
  readonly detail?: string;
  /** The propagation gate's trace, to print as a tree (docs/trace.md). @default none */
  readonly trace?: LaneTrace;
}

/** A progress event of a long operation; printed on stderr by the CLI. */
export interface ProgressEvent {
  /** Short phase name, for example "build", "start", "health", "route", "stack". */
  readonly phase: string;
  /** Human message. */
  readonly message: string;
}

/** Receives progress events. */
export type ProgressListener = (event: ProgressEvent) => void;

/** A request to deploy (create or update) a lane. */
export interface DeployLaneRequest extends LaneRef {
  /** Branch of the App repo to build (its tip). @default the service's `appRepo.branch` */
  readonly branch?: string;
  /**
   * An explicit commit of that branch to build instead of its tip (a full 40-digit id; AWS target only: the
   * pipeline run starts with it as the App source's revision). @default the branch's tip
   */
  readonly commit?: string;
  /** Walk the same path and stop before the first side effect. @default false */
  readonly dryRun?: boolean;
  /**
   * Time to live from this deploy, as a duration (`3d`, `12h`); a redeploy moves the expiry. Ignored for the
   * baseline, which never expires. @default the environment's policy.defaultTtl
   */
  readonly ttl?: string;
  /**
   * Wait until the lane serves (or the deploy fails). With false, return once the deploy has started
   * (on AWS: the pipeline execution id in {@link DeployResult.executionId}). @default true
   */
  readonly wait?: boolean;
  /**
   * Aborts waiting (Ctrl-C). The target then rejects with a {@link UserError} (exit code 130) that says in which
   * state the lane is left. @default never aborted
   */
  readonly signal?: AbortSignal;
}

/** The outcome of a deploy or rollback. */
export interface DeployResult extends LaneRef {
  /** True when nothing was changed (dry run). */
  readonly dryRun: boolean;
  /** What was (or would be) done, one line each. */
  readonly actions: readonly string[];
  /** The version now serving (image tag or commit). */
  readonly version?: string;
  /** Where to send requests. */
  readonly url?: string;
  /** The pipeline execution that carries the deploy, when there is one (AWS). */
  readonly executionId?: string;
  /**
   * False when the deploy or rollback found nothing to change (for example a rollback to the version that
   * already runs). @default true (something changed, or the target cannot tell)
   */
  readonly changed?: boolean;
}

/** The outcome of a removal. */
export interface RemoveResult extends LaneRef {
  /** True when nothing was changed (dry run). */
  readonly dryRun: boolean;
  /** What was (or would be) removed, in order. */
  readonly actions: readonly string[];
}

/** A request to set a lane's expiry (`lanes extend`). */
export interface ExtendLaneRequest extends LaneRef {
  /** The new time to live from now, as a duration (`3d`, `12h`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
  /** Walk the same path and stop before the first side effect. @default false */
  readonly dryRun?: boolean;
}

/** The outcome of `lanes extend`. */
export interface ExtendResult extends LaneRef {
  /** True when nothing was changed (dry run). */
  readonly dryRun: boolean;
  /** The expiry before (ISO 8601); absent when the lane had none. */
  readonly previousExpiresAt?: string;
  /** The new expiry (ISO 8601). */
  readonly expiresAt: string;
}

/** A request to remove a lane. */
export interface RemoveLaneRequest extends LaneRef {
  /** Remove the baseline lane too. @default false */
  readonly force?: boolean;
  /** Walk the same path and stop before the first side effect. @default false */
  readonly dryRun?: boolean;
  /**
   * Remove only when the lane's expiry is at or before this time (ISO 8601), checked again just before the
   * removal (so a lane redeployed or extended meanwhile survives); otherwise refuse with a UserError.
   * @default remove whatever the expiry
   */
  readonly ifExpiredBy?: string;
}

/** Detailed status of one lane. */
export interface LaneStatusReport {
  /** The lane's summary row. */
  readonly summary: LaneSummary;
  /** Further facts, as label/value pairs in display order (stack, deployment, targets, alarms, last run, ...). */
  readonly details: readonly (readonly [string, string])[];
}

/** What every target can do with lanes. Implemented by `@ecs-lanes/aws` and `@ecs-lanes/local`. */
export interface LaneTarget {
  /** Creates or updates a lane; resolves when it serves (or fails, leaving the previous version serving). */
  deploy(request: DeployLaneRequest, progress?: ProgressListener): Promise<DeployResult>;
  /** Lists lanes, optionally of one service. */
  list(filter?: { readonly service?: string }): Promise<LaneSummary[]>;
  /** Detailed status of one lane. */
  status(ref: LaneRef): Promise<LaneStatusReport>;
  /**
   * Runs the verification checks of one lane; then, unless turned off for the service, the propagation gate
   * (a traced request in the lane along `dependsOn`, `NG` when a hop is `[NG]`; docs/trace.md).
   */
  verify(ref: LaneRef, progress?: ProgressListener): Promise<VerifyCheck[]>;
  /**
   * Sends one request in the lane, asking every hop to report (`x-lanes-trace: 1`), to the service's entry (the
   * gateway locally, the ALB on AWS) and judges the hops: `[OK]`, `[FALLBACK]` with the reason, `[NG]`.
   */
  trace(ref: LaneRef & { readonly path?: string }, progress?: ProgressListener): Promise<LaneTrace>;
  /** Redeploys the previous version of a lane, or the version `to`. */
  rollback(
    ref: LaneRef & { readonly to?: string; readonly dryRun?: boolean },
    progress?: ProgressListener,
  ): Promise<DeployResult>;
  /** Removes a lane: its route first, then its instances. The baseline lane needs `force`. */
  remove(ref: RemoveLaneRequest, progress?: ProgressListener): Promise<RemoveResult>;
  /** Sets a lane's expiry to now + ttl (within the environment's maximum). The baseline never expires. */
  extend(request: ExtendLaneRequest, progress?: ProgressListener): Promise<ExtendResult>;
  /** Rules and target groups in use on each service's ALB (the local gateway counts as the ALB would). */
  budgets(filter?: { readonly service?: string }): Promise<ListenerBudget[]>;
}

/**
 * An error already explained to the user (bad input, a missing resource): the CLI prints its message on one
 * line and exits non-zero, without a stack trace. Anything else is a bug and is printed with its stack.
 */
export class UserError extends Error {
  /** Suggested process exit code. @default 1 */
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** True when every check passed or was skipped. */
export function verifyPassed(checks: readonly VerifyCheck[]): boolean {
  return checks.every((c) => c.status !== 'NG');
}
