/**
 * The buildspec's steps (`lanes ci params|deploy|verify`), run inside CodeBuild by the app pipeline with the
 * pipeline variables `lane` and `branch` and the image just pushed.
 */
import {
  laneNames,
  type ProgressListener,
  renderTrace,
  UserError,
  type VerifyCheck,
  verifyPassed,
} from '@ecs-lanes/core';
import { type AwsContext, checkAccount, checkLane, explained, serviceOf } from './context.js';
import { verifyLane } from './inspect.js';
import { deployLaneStack, type LaneStackPlan, planLaneStack } from './lane-deploy.js';
import { formatChanges, isInProgress, type StackDeployResult } from './stacks.js';

/** Inputs of the ci steps. */
export interface CiLaneInput {
  readonly service: string;
  readonly lane: string;
  readonly branch: string;
  /** Full image URI with its tag. */
  readonly imageUri: string;
  /** Time to live (the pipeline variable `ttl`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
  /** Who started the deploy (the pipeline variable `owner`). @default the caller (the build role) */
  readonly owner?: string;
}

/**
 * The lane stack's parameters (names from core, the image, the allocated priority), as CloudFormation's
 * `--parameter-overrides`/`aws cloudformation deploy` parameter file takes them (`[{ParameterKey, ParameterValue}]`).
 */
export function ciParams(ctx: AwsContext, input: CiLaneInput): Promise<LaneStackPlan> {
  return explained(ctx, `computing the parameters of lane ${input.lane} of ${input.service}`, () => {
    serviceOf(ctx, input.service);
    checkLane(input.lane);
    return planLaneStack(ctx, input);
  });
}

/** The parameter file format of CloudFormation. */
export function parameterFile(plan: LaneStackPlan): { ParameterKey: string; ParameterValue: string }[] {
  return Object.entries(plan.parameters).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
}

/** Deploys the lane stack (`lanes ci deploy`). */
export function ciDeploy(
  ctx: AwsContext,
  input: CiLaneInput & { readonly dryRun?: boolean },
  progress: ProgressListener = () => {},
): Promise<StackDeployResult & { readonly plan: LaneStackPlan; readonly actions: string[] }> {
  return explained(ctx, `deploying the stack of lane ${input.lane} of ${input.service}`, async () => {
    serviceOf(ctx, input.service);
    checkLane(input.lane);
    await checkAccount(ctx);
    const result = await deployLaneStack(ctx, input, progress);
    return { ...result, actions: formatChanges(result.stackName, result) };
  });
}

/**
 * Verifies the lane (`lanes ci verify`).
 * @throws UserError when a check is NG, so the Verify stage fails
 */
export function ciVerify(
  ctx: AwsContext,
  input: { readonly service: string; readonly lane: string },
  progress: ProgressListener = () => {},
): Promise<VerifyCheck[]> {
  return explained(ctx, `verifying lane ${input.lane} of ${input.service}`, async () => {
    // Another deploy of the same lane may hold the stack (PARALLEL executions): verify what it leaves.
    const stackName = laneNames(input.service, ctx.env.name, checkLane(input.lane)).stack;
    const stack = await ctx.stacks.describe(stackName);
    if (isInProgress(stack?.StackStatus)) {
      progress({
        phase: 'verify',
        message: `${stackName} is ${stack?.StackStatus}; waiting for it before verifying`,
      });
      await ctx.stacks.waitStable(stackName, ctx.clock.now(), progress);
    }
    const checks = await verifyLane(ctx, { ...input, env: ctx.env.name }, progress);
    if (!verifyPassed(checks)) {
      const failed = checks.filter((c) => c.status === 'NG');
      // The propagation gate's tree says where the lane breaks (docs/trace.md).
      const trees = failed.flatMap((c) => (c.trace ? renderTrace(c.trace) : []));
      throw new UserError(
        `verification of lane ${input.lane} of ${input.service} failed: ${failed.map((c) => `${c.name} (${c.detail ?? ''})`).join('; ')}${trees.length ? `\n${trees.join('\n')}` : ''}`,
      );
    }
    return checks;
  });
}
