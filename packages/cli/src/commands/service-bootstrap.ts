/**
 * `lanes service bootstrap <service> --env E`: deploys the service layer of one service (Cloud Map service,
 * log group, ALB with its listener and default target group, ECR repository) and its app pipeline
 * (`{service}-{env}`, CodePipeline V2, PARALLEL, variables `lane` and `branch`).
 */
import { findService } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { awsEnvironment, openAwsContext } from '../aws.js';
import { type CommonOptions, resolveEnvironment, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';
import { loadProject } from '../project.js';

/** Options of `lanes service bootstrap`. */
export interface ServiceBootstrapOptions extends CommonOptions {
  /** Show the change sets and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Runs `lanes service bootstrap`; returns the exit code. */
export async function serviceBootstrap(
  io: Io,
  service: string,
  options: ServiceBootstrapOptions,
): Promise<number> {
  const project = await loadProject(io.cwd, options.config);
  const env = awsEnvironment(resolveEnvironment(project, io, options.env), 'lanes service bootstrap');
  findService(project.config, service);
  const ctx = await openAwsContext(project, env, io, options);
  const { bootstrapService } = await import('@ecs-lanes/aws');
  const result = await bootstrapService(ctx, service, {
    dryRun: options.dryRun ?? false,
    progress: progressPrinter(io),
  });
  if (options.json) printJson(io, { service, env: env.name, ...result });
  else {
    for (const action of result.actions) io.out(`${result.dryRun ? 'would ' : ''}${action}`);
    io.out(`${result.dryRun ? 'dry run: nothing changed for' : 'bootstrapped:'} ${service} in ${env.name}`);
  }
  return 0;
}

/** Registers `lanes service bootstrap`. */
export function registerServiceBootstrap(program: Command, io: Io): void {
  const group =
    program.commands.find((c) => c.name() === 'service') ??
    program.command('service').description('Service layer (AWS)');
  withCommonOptions(
    group
      .command('bootstrap')
      .argument('<service>', 'service name from lanes.yaml')
      .description('Deploy the service stacks (Cloud Map, logs, ALB, ECR) and the app pipeline of a service')
      .option('--dry-run', 'print what would be created, changed or deleted; change nothing'),
  )
    .addHelpText('after', '\nExamples:\n  $ lanes service bootstrap orders --env dev --dry-run')
    .action(async (service: string, opts: ServiceBootstrapOptions, command: Command) => {
      setExitCode(command, await serviceBootstrap(io, service, opts));
    });
}
