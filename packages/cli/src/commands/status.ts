/**
 * `lanes status <service> --lane L`: one lane in detail.
 */
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, table } from '../output.js';
import { printBudget } from './deploy.js';
import { lanesTable } from './ls.js';

/** Options of `lanes status`. */
export interface StatusOptions extends CommonOptions {
  /** Lane. @default the baseline lane */
  readonly lane?: string;
}

/** Runs `lanes status`; returns the exit code. */
export async function status(io: Io, service: string, options: StatusOptions): Promise<number> {
  const { target, ref } = await openLane(io, options, service, options.lane);
  const report = await target.status(ref);
  if (options.json) {
    printJson(io, { summary: report.summary, details: detailsObject(report.details) });
    return 0;
  }
  io.out(lanesTable([report.summary], Date.now()));
  if (report.details.length > 0) {
    io.out('');
    io.out(
      table(
        ['WHAT', 'VALUE'],
        report.details.map(([k, v]) => [k, v]),
      ),
    );
  }
  await printBudget(io, target, service);
  return 0;
}

/**
 * The details of a status report as one JSON object: each label in camelCase a key (`health changes` →
 * `healthChanges`), its value a string (a label given twice: both values joined with `; `). Documented in
 * docs/cli.md.
 */
export function detailsObject(details: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [label, value] of details) {
    const key = label.replace(/ ([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[key] = out[key] === undefined ? value : `${out[key]}; ${value}`;
  }
  return out;
}

/** Registers `lanes status`. */
export function registerStatus(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('status')
      .argument('<service>', 'service name from lanes.yaml')
      .description('Show one lane: its state, instances, route and last deploy')
      .option('-l, --lane <lane>', 'lane (default: the baseline lane)'),
  )
    .addHelpText('after', '\nExamples:\n  $ lanes status orders --env local --lane gray')
    .action(async (service: string, opts: StatusOptions, command: Command) => {
      setExitCode(command, await status(io, service, opts));
    });
}
