/**
 * `lanes down [--env local]`: stops every process of the local environment and its supervisor. The lanes stay
 * declared in `.lanes/state/`; `lanes up` brings them back.
 */
import type { Command } from 'commander';
import { loadLocalEnvironment } from '../local-env.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes down`. */
export interface DownOptions {
  readonly config?: string;
  readonly env?: string;
  /** Print JSON on stdout instead of text. @default false */
  readonly json?: boolean;
}

/** Runs `lanes down`; returns the exit code. */
export async function down(io: Io, options: DownOptions): Promise<number> {
  const environment = await loadLocalEnvironment(io, options);
  const { stopped } = await environment.down(progressPrinter(io));
  if (options.json) {
    printJson(io, { env: environment.env.name, stopped });
    return 0;
  }
  io.out(
    stopped
      ? `The local environment "${environment.env.name}" is down.`
      : `The local environment "${environment.env.name}" was not running.`,
  );
  return 0;
}

/** Registers `lanes down`. */
export function registerDown(program: Command, io: Io): void {
  program
    .command('down')
    .addHelpText('after', '\nExamples:\n  $ lanes down -c examples/lanes.yaml\n  $ lanes down --env local')
    .description('Stop every process of the local environment (lanes stay declared; lanes up restarts them)')
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('--env <name>', 'local environment (default: the only one)')
    .option('--json', 'print JSON')
    .action(async (opts: DownOptions) => {
      program.setOptionValue('exitCode', await down(io, opts));
    });
}
