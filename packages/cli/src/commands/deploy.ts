/**
 * `lanes deploy <service> --lane L [--branch B]`: creates or updates a lane, and waits until it serves.
 */

import type { DeployResult, LaneTarget } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes deploy`. */
export interface DeployOptions extends CommonOptions {
  /** Lane to deploy. @default the environment's baseline lane */
  readonly lane?: string;
  /** Branch of the App repo to build. @default the service's appRepo.branch */
  readonly branch?: string;
  /** Explicit commit of the branch to build (AWS). @default the branch's tip */
  readonly commit?: string;
  /** Show what would be done and change nothing. @default false */
  readonly dryRun?: boolean;
  /** Wait until the lane serves. `--no-wait` returns once started. @default true */
  readonly wait?: boolean;
  /** Time to live from this deploy (`3d`, `12h`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
}

/** Runs `lanes deploy`; returns the exit code. */
export async function deploy(io: Io, service: string, options: DeployOptions): Promise<number> {
  const { target, ref } = await openLane(io, options, service, options.lane);
  const result = await whileInterruptible((signal) =>
    target.deploy(
      {
        ...ref,
        ...(options.branch !== undefined ? { branch: options.branch } : {}),
        dryRun: options.dryRun ?? false,
        wait: options.wait ?? true,
        ...(options.commit ? { commit: options.commit } : {}),
        ...(options.ttl ? { ttl: options.ttl } : {}),
        signal,
      },
      progressPrinter(io),
    ),
  );
  printDeployResult(io, result, options.json ?? false, 'deployed');
  if (result.dryRun && !options.json) await printBudget(io, target, service);
  return 0;
}

/**
 * Runs `fn` with a signal aborted by Ctrl-C (SIGINT), so that the target stops waiting and says in which state it
 * left the lane (exit code 130).
 */
export async function whileInterruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted (SIGINT)'));
  process.once('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Prints the rule budget of a service's ALB (`lanes plan deploy`, `lanes status`). */
export async function printBudget(io: Io, target: LaneTarget, service: string): Promise<void> {
  for (const b of await target.budgets({ service })) {
    io.out(
      `rule budget of ${b.service}: ${b.rules.used}/${b.rules.quota} rules, ${b.targetGroups.used}/${b.targetGroups.quota} target groups${b.listener ? ` (${b.listener})` : ''}`,
    );
  }
}

/** Prints a deploy or rollback result: JSON, or the actions and the lane's URL. */
export function printDeployResult(io: Io, result: DeployResult, json: boolean, verb: string): void {
  if (json) {
    printJson(io, result);
    return;
  }
  for (const action of result.actions) io.out(`${result.dryRun ? 'would ' : ''}${action}`);
  const what = `lane ${result.lane} of ${result.service} in ${result.env}`;
  if (result.dryRun) io.out(`dry run: ${what} unchanged`);
  else if (result.executionId && !result.version)
    io.out(`started: ${what} (execution ${result.executionId})`);
  else if (result.changed === false)
    io.out(`unchanged: ${what}${result.version ? ` at ${result.version}` : ''}`);
  else io.out(`${verb}: ${what}${result.version ? ` at ${result.version}` : ''}`);
  if (result.url && !result.dryRun) {
    io.out(`url: ${result.url}  (send tracestate: ctx=lane:${result.lane} to reach this lane)`);
  }
}

/** Registers `lanes deploy`. */
export function registerDeploy(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('deploy')
      .argument('<service>', 'service name from lanes.yaml')
      .description('Create or update a lane of a service; wait until it serves')
      .option('-l, --lane <lane>', 'lane to deploy (default: the baseline lane)')
      .option(
        '-b, --branch <branch>',
        "branch of the service's App repo to build, at its tip (default: appRepo.branch)",
      )
      .option('--commit <sha>', 'build this commit (full 40-digit id) instead of the branch tip (AWS)')
      .option('--dry-run', 'show what would be done; change nothing')
      .option('--no-wait', 'return once the deploy has started (AWS: prints the pipeline execution id)')
      .option(
        '--ttl <duration>',
        'time to live from this deploy: 90m, 12h, 3d, 2w (default: policy.defaultTtl)',
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes deploy orders --env local --lane gray --branch feat-gray\n  $ lanes deploy orders --env dev --lane feat-login --branch feat/login --ttl 2d\n  $ lanes deploy orders --env dev --lane feat-login --branch feat/login --no-wait --json\n  $ lanes deploy orders --env dev --lane gray --branch gray --commit $(git rev-parse gray)',
    )
    .action(async (service: string, opts: DeployOptions, command: Command) => {
      setExitCode(command, await deploy(io, service, opts));
    });
}
