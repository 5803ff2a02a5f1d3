/**
 * The `lanes` command router: builds the program and dispatches. Each command lives in its own file under
 * `commands/` with its options type; only this entry point turns errors into exit codes.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, UnknownNameError, UserError } from '@ecs-lanes/core';
import { Command, CommanderError } from 'commander';
import { checkCommandPath } from './command-lookup.js';
import { registerCi } from './commands/ci.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDown } from './commands/down.js';
import { registerEnvDeploy } from './commands/env-deploy.js';
import { registerLogs } from './commands/logs.js';
import { registerLs } from './commands/ls.js';
import { registerPlan } from './commands/plan.js';
import { registerRm } from './commands/rm.js';
import { registerRollback } from './commands/rollback.js';
import { registerServiceBootstrap } from './commands/service-bootstrap.js';
import { registerStatus } from './commands/status.js';
import { registerSynth } from './commands/synth.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { registerVerify } from './commands/verify.js';
import { type Io, processIo } from './output.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Builds the `lanes` program writing to `io`. */
export function createProgram(io: Io): Command {
  const program = new Command('lanes')
    .description(
      'Multi-lane continuous delivery for Amazon ECS: a baseline plus short-lived lanes per environment, ' +
        'routed by the W3C tracestate entry ctx=lane:<lane> at every hop, on AWS or on this machine.',
    )
    .version(VERSION, '-v, --version')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError('(run lanes --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes validate -c examples/lanes.yaml\n  $ lanes deploy orders --env local --lane gray --branch gray\n  $ lanes ls --env local\n  $ lanes <command> --help',
    );
  registerValidate(program, io);
  registerUp(program, io);
  registerDown(program, io);
  registerLogs(program, io);
  registerDemo(program, io);
  registerDeploy(program, io);
  registerLs(program, io);
  registerStatus(program, io);
  registerVerify(program, io);
  registerRollback(program, io);
  registerRm(program, io);
  registerEnvDeploy(program, io);
  registerServiceBootstrap(program, io);
  registerCi(program, io);
  registerPlan(program, io);
  registerSynth(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and returns the exit code. Never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const program = createProgram(io);
  try {
    checkCommandPath(program, argv.slice(2));
    await program.parseAsync([...argv]);
    return Number(program.getOptionValue('exitCode') ?? 0);
  } catch (error) {
    return reportError(io, error);
  }
}

/** Turns an error into a message on stderr and an exit code. */
export function reportError(io: Io, error: unknown): number {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? 0
      : error.exitCode || 2;
  }
  if (error instanceof ConfigError) {
    for (const line of error.message.split('\n')) io.err(line);
    return 1;
  }
  if (error instanceof UserError || error instanceof UnknownNameError) {
    io.err(`error: ${error.message}`);
    return error instanceof UserError ? error.exitCode : 1;
  }
  io.err(
    `unexpected error (a bug in ecs-lanes; please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return 70;
}
