/**
 * `@ecs-lanes/aws`: the control plane on AWS SDK v3 (issue 4). Until it lands, opening an AWS environment
 * fails with a clear message instead of pretending.
 */
import { type AwsEnvironmentConfig, type LanesConfig, type LaneTarget, UserError } from '@ecs-lanes/core';

/** Options of {@link createAwsTarget}. */
export interface AwsTargetOptions {
  /** The validated configuration. */
  readonly config: LanesConfig;
  /** The AWS environment to act on. */
  readonly env: AwsEnvironmentConfig;
  /** Directory of lanes.yaml. */
  readonly root: string;
  /** AWS named profile. @default the SDK's default credential chain */
  readonly profile?: string;
  /** AWS region. @default the environment's region */
  readonly region?: string;
  /** Asks the user a yes/no question (only on a terminal). @default never asks */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** Opens the AWS lane target of an environment. */
export function createAwsTarget(options: AwsTargetOptions): LaneTarget {
  throw new UserError(
    `the aws target is not part of this build yet; environment ${options.env.name} cannot be opened`,
  );
}
