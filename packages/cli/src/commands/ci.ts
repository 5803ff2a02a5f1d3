/**
 * `lanes ci <step>`: the steps the shared buildspec runs inside CodeBuild, with the pipeline variables `lane` and
 * `branch` and the image just pushed:
 *   lanes ci params --service S --env E --lane L --branch B --image-uri URI --out deploy-params.json
 *   lanes ci deploy --service S --env E --lane L --branch B --image-uri URI
 *   lanes ci verify --service S --env E --lane L
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findService, PIPELINE_OWNER_UNKNOWN, PIPELINE_TTL_DEFAULT, UserError } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { awsEnvironment, openAwsContext } from '../aws.js';
import {
  type CommonOptions,
  checkLane,
  resolveEnvironment,
  setExitCode,
  withCommonOptions,
} from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';
import { loadProject } from '../project.js';

/** Options of the `lanes ci` steps. */
export interface CiOptions extends CommonOptions {
  readonly service: string;
  readonly lane: string;
  readonly branch?: string;
  readonly imageUri?: string;
  /** Time to live (the pipeline variable `ttl`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
  /** Who started the deploy (the pipeline variable `owner`). @default the caller */
  readonly owner?: string;
  /** `ci params`: file to write the parameters to (CloudFormation's `[{ParameterKey, ParameterValue}]`). */
  readonly out?: string;
  readonly dryRun?: boolean;
}

async function open(io: Io, options: CiOptions, step: string) {
  const project = await loadProject(io.cwd, options.config);
  const env = awsEnvironment(resolveEnvironment(project, io, options.env), `lanes ci ${step}`);
  findService(project.config, options.service);
  checkLane(options.lane);
  const ctx = await openAwsContext(project, env, io, options);
  return { project, env, ctx, aws: await import('@ecs-lanes/aws') };
}

function lane(options: CiOptions, step: string) {
  const missing = (['branch', 'imageUri'] as const).filter((k) => !options[k]);
  if (missing.length) {
    throw new UserError(
      `lanes ci ${step} needs ${missing.map((m) => (m === 'imageUri' ? '--image-uri' : `--${m}`)).join(' and ')}`,
    );
  }
  return {
    service: options.service,
    lane: options.lane,
    branch: options.branch!,
    imageUri: options.imageUri!,
    // The pipeline's defaults of its ttl and owner variables mean "not given".
    ...(options.ttl && options.ttl !== PIPELINE_TTL_DEFAULT ? { ttl: options.ttl } : {}),
    ...(options.owner && options.owner !== PIPELINE_OWNER_UNKNOWN ? { owner: options.owner } : {}),
  };
}

/** `lanes ci params`. */
export async function ciParamsCommand(io: Io, options: CiOptions): Promise<number> {
  const { ctx, aws } = await open(io, options, 'params');
  const plan = await aws.ciParams(ctx, lane(options, 'params'));
  const file = aws.parameterFile(plan);
  if (options.out) {
    await writeFile(path.resolve(io.cwd, options.out), `${JSON.stringify(file, null, 2)}\n`);
    io.err(
      `wrote ${file.length} parameters of ${plan.stackName} to ${options.out} (rule priority ${plan.priority})`,
    );
  }
  if (options.json || !options.out) printJson(io, options.json ? { ...plan, file: options.out } : file);
  return 0;
}

/** `lanes ci deploy`. */
export async function ciDeployCommand(io: Io, options: CiOptions): Promise<number> {
  const { ctx, aws } = await open(io, options, 'deploy');
  const result = await aws.ciDeploy(
    ctx,
    { ...lane(options, 'deploy'), dryRun: options.dryRun ?? false },
    progressPrinter(io),
  );
  if (options.json) printJson(io, result);
  else {
    for (const action of result.actions) io.out(`${result.outcome === 'planned' ? 'would ' : ''}${action}`);
    io.out(`${result.stackName}: ${result.outcome}`);
  }
  return 0;
}

/** `lanes ci verify`. */
export async function ciVerifyCommand(io: Io, options: CiOptions): Promise<number> {
  const { ctx, aws } = await open(io, options, 'verify');
  const checks = await aws.ciVerify(ctx, { service: options.service, lane: options.lane });
  if (options.json) printJson(io, { ok: true, checks });
  else {
    checks.forEach((c, i) => {
      const branch = i === checks.length - 1 ? '└─' : '├─';
      io.out(`${branch} [${c.status}] ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
    });
    io.out(`verified: lane ${options.lane} of ${options.service}`);
  }
  return 0;
}

/** Registers `lanes ci params|deploy|verify`. */
export function registerCi(program: Command, io: Io): void {
  const ci = program
    .command('ci')
    .addHelpText(
      'after',
      '\nExamples (as the shared buildspec runs them):\n  $ lanes ci deploy --service orders --env dev --lane gray --branch feat/x --image-uri "$IMAGE_URI"\n  $ lanes ci verify --service orders --env dev --lane gray\n  $ lanes ci params --service orders --env dev --lane gray --branch main --image-uri "$IMAGE_URI" --out params.json',
    )
    .description("The shared buildspec's steps (run inside CodeBuild by the app pipeline)");
  const laneOptions = (c: Command) =>
    withCommonOptions(c)
      .requiredOption('-s, --service <service>', 'service name from lanes.yaml')
      .requiredOption('-l, --lane <lane>', 'lane (the pipeline variable)');
  const buildOptions = (c: Command) =>
    laneOptions(c)
      .option('-b, --branch <branch>', 'branch built (the pipeline variable)')
      .option('--image-uri <uri>', 'image pushed by the build, with its tag')
      .option('--ttl <duration>', 'time to live (the pipeline variable; default: policy.defaultTtl)')
      .option('--owner <owner>', 'who started the deploy (the pipeline variable; default: the caller)');
  buildOptions(
    ci
      .command('params')
      .description("Write the lane stack's parameters (names, image, allocated rule priority)"),
  )
    .option('-o, --out <file>', 'write them to this file (CloudFormation parameter file format)')
    .action(async (opts: CiOptions, command: Command) =>
      setExitCode(command, await ciParamsCommand(io, opts)),
    );
  buildOptions(ci.command('deploy').description('Deploy the lane stack through a change set'))
    .option('--dry-run', "print the change set's summary; change nothing")
    .action(async (opts: CiOptions, command: Command) =>
      setExitCode(command, await ciDeployCommand(io, opts)),
    );
  laneOptions(
    ci.command('verify').description('Verify the lane: healthy targets, health path, answered by the lane'),
  ).action(async (opts: CiOptions, command: Command) =>
    setExitCode(command, await ciVerifyCommand(io, opts)),
  );
}
