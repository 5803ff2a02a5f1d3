/**
 * `lanes env deploy <env>`: deploys the environment layer (network, namespace and cluster, the `infra-{env}`
 * pipeline) through change sets; `--dry-run` prints each change set's summary and changes nothing.
 */
import { findEnvironment } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { awsEnvironment, openAwsContext } from '../aws.js';
import { setExitCode } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';
import { loadProject } from '../project.js';

/** Options of `lanes env deploy`. */
export interface EnvDeployOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly json?: boolean;
  /** Show the change sets and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Runs `lanes env deploy`; returns the exit code. */
export async function envDeploy(io: Io, envName: string, options: EnvDeployOptions): Promise<number> {
  const project = await loadProject(io.cwd, options.config);
  const env = awsEnvironment(findEnvironment(project.config, envName), 'lanes env deploy');
  const ctx = await openAwsContext(project, env, io, options);
  const { deployEnvironment } = await import('@ecs-lanes/aws');
  const result = await deployEnvironment(ctx, {
    dryRun: options.dryRun ?? false,
    progress: progressPrinter(io),
  });
  if (options.json) printJson(io, { env: env.name, ...result });
  else {
    for (const action of result.actions) io.out(`${result.dryRun ? 'would ' : ''}${action}`);
    io.out(`${result.dryRun ? 'dry run: nothing changed in' : 'deployed: environment'} ${env.name}`);
  }
  return 0;
}

/** Registers `lanes env deploy`. */
export function registerEnvDeploy(program: Command, io: Io): void {
  const env =
    program.commands.find((c) => c.name() === 'env') ??
    program.command('env').description('Environment layer (AWS)');
  env
    .command('deploy')
    .argument('<env>', 'AWS environment from lanes.yaml')
    .description('Deploy the environment stacks and the infra-{env} pipeline (through change sets)')
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('--profile <profile>', 'AWS named profile')
    .option('--region <region>', 'AWS region (default: the environment region in lanes.yaml)')
    .option('--json', 'print JSON on stdout')
    .option('--dry-run', 'print what would be created, changed or deleted; change nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes env deploy dev --dry-run\n  $ lanes env deploy dev --profile dev-admin',
    )
    .action(async (envName: string, opts: EnvDeployOptions, command: Command) => {
      setExitCode(command, await envDeploy(io, envName, opts));
    });
}
