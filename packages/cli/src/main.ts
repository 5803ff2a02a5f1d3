/**
 * The `lanes` command router: builds the program and dispatches. Each command lives in its own file under
 * `commands/` with its options type; only this entry point turns errors into exit codes.
 */
import { Command } from 'commander';
import { isHelpOrVersion, USAGE_EXIT_CODE, unknownCommandMessage } from './command-lookup.js';
import { type Io, printJson, processIo } from './output.js';
import { CLI_VERSION } from './version.js';

/** Registers one command (and its subcommands) on the program. */
type Register = (program: Command, io: Io) => void;

/** A top-level command: its one-line summary for `lanes --help`, and how to load its module. */
interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Register>;
}

/**
 * Every top-level command. A command's module (and what it imports: the config schema, the AWS SDK, aws-cdk-lib,
 * the local target) is loaded only when that command runs, so `lanes --help` starts in a few milliseconds more
 * than Node itself. Adding a command: one entry here, its module under `commands/`.
 */
const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  validate: {
    summary: 'Check lanes.yaml: every problem with its line and the fix',
    load: async () => (await import('./commands/validate.js')).registerValidate,
  },
  up: {
    summary: 'Start the local environment: the baseline lane of every service',
    load: async () => (await import('./commands/up.js')).registerUp,
  },
  down: {
    summary: 'Stop every process of the local environment',
    load: async () => (await import('./commands/down.js')).registerDown,
  },
  logs: {
    summary: "Print a lane's log; -f follows it",
    load: async () => (await import('./commands/logs.js')).registerLogs,
  },
  demo: {
    summary: 'Show lanes on this machine: web -> orders -> inventory, a gray lane of orders, real requests',
    load: async () => (await import('./commands/demo.js')).registerDemo,
  },
  deploy: {
    summary: 'Create or update a lane of a service; wait until it serves',
    load: async () => (await import('./commands/deploy.js')).registerDeploy,
  },
  ls: {
    summary: 'List the lanes of an environment',
    load: async () => (await import('./commands/ls.js')).registerLs,
  },
  status: {
    summary: 'Show one lane: its state, instances, route and last deploy',
    load: async () => (await import('./commands/status.js')).registerStatus,
  },
  verify: {
    summary: 'Check that a lane serves: healthy targets, health path, answered by the lane',
    load: async () => (await import('./commands/verify.js')).registerVerify,
  },
  trace: {
    summary: "Send one request in a lane; print every hop's routing decision ([OK], [FALLBACK], [NG])",
    load: async () => (await import('./commands/trace.js')).registerTrace,
  },
  rollback: {
    summary: 'Redeploy the previous (or a named) version of a lane',
    load: async () => (await import('./commands/rollback.js')).registerRollback,
  },
  rm: {
    summary: 'Remove a lane: its route first, then its instances',
    load: async () => (await import('./commands/rm.js')).registerRm,
  },
  gc: {
    summary: 'Remove the expired lanes of an environment (never a baseline or a lane being deployed)',
    load: async () => (await import('./commands/gc.js')).registerGc,
  },
  extend: {
    summary: "Set when a lane expires: now + ttl (at most the environment's policy.maxTtl)",
    load: async () => (await import('./commands/extend.js')).registerExtend,
  },
  env: {
    summary: 'Environment layer (AWS): env deploy',
    load: async () => (await import('./commands/env-deploy.js')).registerEnvDeploy,
  },
  service: {
    summary: 'Service layer (AWS): service bootstrap',
    load: async () => (await import('./commands/service-bootstrap.js')).registerServiceBootstrap,
  },
  ci: {
    summary: "The shared buildspec's steps (run inside CodeBuild by the app pipeline)",
    load: async () => (await import('./commands/ci.js')).registerCi,
  },
  plan: {
    summary: 'Show what a command would create, change or delete; change nothing',
    load: async () => (await import('./commands/plan.js')).registerPlan,
  },
  config: {
    summary: "Set a service's configuration and per-lane overrides (SSM Parameter Store on AWS)",
    load: async () => (await import('./commands/config.js')).registerConfig,
  },
  ui: {
    summary: 'Show the lane map of an environment in the browser',
    load: async () => (await import('./commands/ui.js')).registerUi,
  },
  synth: {
    summary: 'Write the Infra repo: templates, buildspec, pipelines, parameters',
    load: async () => (await import('./commands/synth.js')).registerSynth,
  },
};

/** The command that `args` (after `node lanes`) names, if any: its first word that is not an option. */
function commandWord(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

/**
 * Builds the `lanes` program writing to `io`.
 * @param args the arguments after `node lanes`; only the command they name is loaded (all when none is named
 *   a known command, so that help and errors list every command) @default every command
 */
export async function createProgram(io: Io, args?: readonly string[]): Promise<Command> {
  const program = new Command('lanes')
    .description(
      'Multi-lane continuous delivery for Amazon ECS: a baseline plus short-lived lanes per environment, ' +
        'routed by the W3C tracestate entry ctx=lane:<lane> at every hop, on AWS or on this machine.',
    )
    .version(CLI_VERSION, '-v, --version')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError('(run lanes --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes demo\n  $ lanes validate -c examples/lanes.yaml\n  $ lanes deploy orders --env local --lane gray --branch gray\n  $ lanes ls --env local\n  $ lanes <command> --help',
    );
  // Blank option values are usage errors, checked before any command acts (option-checks.ts).
  program.hook('preAction', async (_program, action) =>
    (await import('./option-checks.js')).checkNoBlankValues(action),
  );
  const word = args === undefined ? undefined : commandWord(args);
  const only = word !== undefined && word in COMMANDS ? word : undefined;
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (args === undefined || name === only) (await entry.load())(program, io);
    else program.command(name).description(entry.summary);
  }
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and returns the exit code. Never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    const program = await createProgram(io, argv.slice(2));
    // An unknown command is a usage error even with --help after it (commander would print the top-level help).
    const unknown = unknownCommandMessage(program, argv.slice(2));
    if (unknown) {
      io.err(`error: ${unknown}`);
      return USAGE_EXIT_CODE;
    }
    await program.parseAsync([...argv]);
    return Number(program.getOptionValue('exitCode') ?? 0);
  } catch (error) {
    // Help and version are thrown by commander (exitOverride) once printed: done, without loading the error table.
    if (isHelpOrVersion(error)) return 0;
    return await reportError(io, error, wantsJson(argv));
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
export async function reportError(io: Io, error: unknown, json = false): Promise<number> {
  // Loaded here, not at start-up: the error classes live with the config schema.
  const { describeError } = await import('./exit-codes.js');
  const { json: shape, lines } = describeError(error);
  if (json && shape.exitCode !== 0) printJson(io, { error: shape });
  else for (const line of lines) io.err(line);
  return shape.exitCode;
}
