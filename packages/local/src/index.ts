/**
 * `@ecs-lanes/local`: the local target (issue 5). Until it lands, opening a local environment fails with a
 * clear message instead of pretending.
 */
import { type LanesConfig, type LaneTarget, type LocalEnvironmentConfig, UserError } from '@ecs-lanes/core';

/** Options of {@link createLocalTarget}. */
export interface LocalTargetOptions {
  /** The validated configuration. */
  readonly config: LanesConfig;
  /** The local environment. */
  readonly env: LocalEnvironmentConfig;
  /** Directory of lanes.yaml; state lives in `{root}/.lanes/`. */
  readonly root: string;
}

/** Opens the local lane target. */
export function createLocalTarget(options: LocalTargetOptions): LaneTarget {
  throw new UserError(
    `the local target is not part of this build yet; environment ${options.env.name} cannot be opened`,
  );
}
