/**
 * `lanes up [--env local]`: starts the local environment — the supervisor with its gateways and registry, every
 * lane it had, and the baseline of every service — and waits until every lane is healthy.
 */
import type { Command } from 'commander';
import { loadLocalEnvironment } from '../local-env.js';
import { type Io, printJson, progressPrinter, table } from '../output.js';

/** Options of `lanes up`. */
export interface UpOptions {
  readonly config?: string;
  readonly env?: string;
  readonly json?: boolean;
}

/** Runs `lanes up`; returns the exit code. */
export async function up(io: Io, options: UpOptions): Promise<number> {
  const environment = await loadLocalEnvironment(io, options);
  const lanes = await environment.up(progressPrinter(io));
  if (options.json) {
    printJson(io, { lanes });
    return 0;
  }
  io.out(
    table(
      ['SERVICE', 'LANE', 'VERSION', 'STATE', 'URL'],
      lanes.map((l) => [l.service, l.lane, l.version ?? '-', l.state, l.url ?? '-']),
    ),
  );
  io.out(`\nThe local environment "${environment.env.name}" is up; lanes down stops it.`);
  return 0;
}

/** Registers `lanes up`. */
export function registerUp(program: Command, io: Io): void {
  program
    .command('up')
    .addHelpText('after', '\nExamples:\n  $ lanes up -c examples/lanes.yaml\n  $ lanes up --env local --json')
    .description(
      'Start the local environment: gateways, registry, every lane it had and the baseline of every service',
    )
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('--env <name>', 'local environment (default: the only one)')
    .option('--json', 'print JSON')
    .action(async (opts: UpOptions) => {
      program.setOptionValue('exitCode', await up(io, opts));
    });
}
