/**
 * The `lanes` command router: builds the program and dispatches. Each command lives in its own file under
 * `commands/` with its options type; only this entry point turns errors into exit codes.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
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
import { describeError } from './exit-codes.js';
import { checkNoBlankValues } from './option-checks.js';
import { type Io, printJson, processIo } from './output.js';

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
  program.hook('preAction', (_program, action) => checkNoBlankValues(action));
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
    await program.parseAsync([...argv]);
    return Number(program.getOptionValue('exitCode') ?? 0);
  } catch (error) {
    return reportError(io, error, wantsJson(argv));
  }
}

/** True when `--json` is among the options (before a `--`). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Turns an error into a message on stderr (with `json`: one `{ "error": ... }` object on stdout) and an exit code
 * (docs/cli.md lists them: 0, 1 user error, 2 usage, 70 internal, 130 interrupted).
 */
export function reportError(io: Io, error: unknown, json = false): number {
  const { json: shape, lines } = describeError(error);
  if (json && shape.exitCode !== 0) printJson(io, { error: shape });
  else for (const line of lines) io.err(line);
  return shape.exitCode;
}
