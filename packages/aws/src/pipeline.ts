/**
 * The app pipeline `{service}-{env}` (CodePipeline V2, execution mode PARALLEL, variables `lane` and
 * `branch`): starting an execution and following it stage by stage. In PARALLEL mode `GetPipelineState`
 * shows only one execution, so an execution is followed through `ListActionExecutions` filtered by its id.
 */
import {
  type ActionExecutionDetail,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type ListPipelineExecutionsCommandOutput,
  type PipelineExecution,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { type ProgressListener, UserError } from '@ecs-lanes/core';
import type { AwsContext } from './context.js';
import { errorName } from './errors.js';
import { withThrottleRetry } from './retry.js';

/** How often a running execution is polled. */
export const PIPELINE_POLL_MS = 10_000;
/** Longest a deploy is followed. */
export const PIPELINE_TIMEOUT_MS = 2 * 60 * 60_000;

/** The pipeline's declaration, or a UserError saying how to create it. */
export async function getPipeline(ctx: AwsContext, name: string, service: string) {
  try {
    const out = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.codepipeline.send(new GetPipelineCommand({ name })),
    );
    return out.pipeline!;
  } catch (error) {
    if (errorName(error) === 'PipelineNotFoundException') {
      throw new UserError(
        `pipeline ${name} does not exist; create it with: lanes service bootstrap ${service} --env ${ctx.env.name}`,
      );
    }
    throw error;
  }
}

/**
 * Starts an execution with variables and, optionally, source revisions (`{ AppSource: <commit id> }`: the
 * source action starts from that commit; `SourceRevisionOverride`,
 * https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_SourceRevisionOverride.html); returns its id.
 */
export async function startPipeline(
  ctx: AwsContext,
  name: string,
  variables: Readonly<Record<string, string>>,
  commits: Readonly<Record<string, string>> = {},
): Promise<string> {
  const sourceRevisions = Object.entries(commits).map(([actionName, revisionValue]) => ({
    actionName,
    revisionType: 'COMMIT_ID' as const,
    revisionValue,
  }));
  const out = await ctx.clients.codepipeline.send(
    new StartPipelineExecutionCommand({
      name,
      variables: Object.entries(variables).map(([n, value]) => ({ name: n, value })),
      ...(sourceRevisions.length ? { sourceRevisions } : {}),
    }),
  );
  return out.pipelineExecutionId!;
}

/** One stage of an execution as seen so far. */
export interface StageProgress {
  readonly stage: string;
  readonly status: string;
  readonly summary?: string;
}

/** The stages of an execution, in the pipeline's order, from its action executions. */
export async function executionStages(
  ctx: AwsContext,
  pipelineName: string,
  executionId: string,
  stageOrder: readonly string[],
): Promise<StageProgress[]> {
  const details: ActionExecutionDetail[] = [];
  let token: string | undefined;
  do {
    const page = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.codepipeline.send(
        new ListActionExecutionsCommand({
          pipelineName,
          filter: { pipelineExecutionId: executionId },
          nextToken: token,
        }),
      ),
    );
    details.push(...(page.actionExecutionDetails ?? []));
    token = page.nextToken;
  } while (token);
  const byStage = new Map<string, ActionExecutionDetail[]>();
  for (const d of details) {
    const list = byStage.get(d.stageName ?? '?') ?? [];
    list.push(d);
    byStage.set(d.stageName ?? '?', list);
  }
  const stages: StageProgress[] = [];
  for (const stage of stageOrder) {
    const actions = byStage.get(stage);
    if (!actions) continue;
    const failed = actions.find((a) => a.status === 'Failed' || a.status === 'Abandoned');
    const running = actions.some((a) => a.status === 'InProgress');
    const status = failed ? 'Failed' : running ? 'InProgress' : 'Succeeded';
    const summary =
      failed?.output?.executionResult?.externalExecutionSummary ??
      actions.map((a) => a.output?.executionResult?.externalExecutionSummary).find(Boolean);
    stages.push({ stage, status, ...(summary ? { summary } : {}) });
  }
  return stages;
}

/** The execution, read once. */
export async function getExecution(
  ctx: AwsContext,
  pipelineName: string,
  executionId: string,
): Promise<PipelineExecution> {
  const out = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.codepipeline.send(
      new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId }),
    ),
  );
  return out.pipelineExecution!;
}

/**
 * Follows an execution until it ends, reporting each stage's state changes. Returns the final execution and
 * its stages.
 */
export async function followExecution(
  ctx: AwsContext,
  pipelineName: string,
  executionId: string,
  stageOrder: readonly string[],
  progress: ProgressListener,
): Promise<{ execution: PipelineExecution; stages: StageProgress[] }> {
  const reported = new Map<string, string>();
  const deadline = ctx.clock.now() + PIPELINE_TIMEOUT_MS;
  for (;;) {
    const execution = await getExecution(ctx, pipelineName, executionId);
    const stages = await executionStages(ctx, pipelineName, executionId, stageOrder);
    for (const s of stages) {
      if (reported.get(s.stage) === s.status) continue;
      reported.set(s.stage, s.status);
      progress({
        phase: 'pipeline',
        message: `${s.stage}: ${s.status}${s.summary ? ` — ${s.summary}` : ''}`,
      });
    }
    const status = execution.status ?? 'Unknown';
    if (status !== 'InProgress' && status !== 'Stopping') return { execution, stages };
    if (ctx.clock.now() > deadline) {
      throw new UserError(
        `pipeline execution ${executionId} of ${pipelineName} is still ${status} after 2 hours; follow it in the console`,
      );
    }
    await ctx.clock.sleep(PIPELINE_POLL_MS);
  }
}

/** The most recent execution that ran for `lane` (of the last 20), or undefined. */
export async function lastExecutionForLane(ctx: AwsContext, pipelineName: string, lane: string) {
  let summaries: ListPipelineExecutionsCommandOutput;
  try {
    summaries = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.codepipeline.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 20 })),
    );
  } catch (error) {
    if (errorName(error) === 'PipelineNotFoundException') return undefined;
    throw error;
  }
  for (const s of summaries.pipelineExecutionSummaries ?? []) {
    const execution = await getExecution(ctx, pipelineName, s.pipelineExecutionId!);
    if (execution.variables?.some((v) => v.name === 'lane' && v.resolvedValue === lane)) return execution;
  }
  return undefined;
}
