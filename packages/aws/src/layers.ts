/**
 * The shared layers: `lanes env deploy <env>` (the environment stacks and the `infra-{env}` pipeline) and
 * `lanes service bootstrap <service> --env` (the service stacks and the app pipeline). Stacks deploy in the
 * order the template source gives, each through a change set; a dry run plans every one of them.
 */
import type { ProgressListener } from '@ecs-lanes/core';
import { type AwsContext, checkAccount, explained, serviceOf } from './context.js';
import { formatChanges, type StackDeployResult } from './stacks.js';
import type { StackTemplate } from './templates.js';

/** The outcome of deploying a layer. */
export interface LayerResult {
  readonly dryRun: boolean;
  readonly stacks: readonly StackDeployResult[];
  /** What was (or would be) done, one line each. */
  readonly actions: readonly string[];
}

async function deployStacks(
  ctx: AwsContext,
  stacks: readonly StackTemplate[],
  options: { dryRun?: boolean; progress?: ProgressListener },
): Promise<LayerResult> {
  const results: StackDeployResult[] = [];
  for (const spec of stacks) {
    options.progress?.({
      phase: 'stack',
      message: `${options.dryRun ? 'planning' : 'deploying'} ${spec.stackName}`,
    });
    results.push(await ctx.stacks.deploy(spec, options));
  }
  return {
    dryRun: Boolean(options.dryRun),
    stacks: results,
    actions: results.flatMap((r) => [
      ...(r.outcome === 'planned' ? [] : [`${r.stackName}: ${r.outcome}`]),
      ...formatChanges(r.stackName, r),
    ]),
  };
}

/** Deploys the environment layer. */
export function deployEnvironment(
  ctx: AwsContext,
  options: { dryRun?: boolean; progress?: ProgressListener } = {},
): Promise<LayerResult> {
  return explained(ctx, `deploying environment ${ctx.env.name}`, async () => {
    await checkAccount(ctx);
    const stacks = await ctx.templates.environmentStacks(ctx.config, ctx.env);
    return deployStacks(ctx, stacks, options);
  });
}

/** Deploys the service layer of `service` (its shared stacks and its app pipeline). */
export function bootstrapService(
  ctx: AwsContext,
  service: string,
  options: { dryRun?: boolean; progress?: ProgressListener } = {},
): Promise<LayerResult> {
  return explained(ctx, `bootstrapping service ${service} in ${ctx.env.name}`, async () => {
    const svc = serviceOf(ctx, service);
    await checkAccount(ctx);
    const stacks = await ctx.templates.serviceStacks(ctx.config, svc, ctx.env);
    return deployStacks(ctx, stacks, options);
  });
}
