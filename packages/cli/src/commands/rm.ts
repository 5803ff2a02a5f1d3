/**
 * `lanes rm <service> --lane L`: removes a lane — its route first, then its instances.
 */

import { UserError } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';
import { askYesNo } from '../targets.js';

/** Options of `lanes rm`. */
export interface RmOptions extends CommonOptions {
  /** Lane to remove (required). */
  readonly lane: string;
  /** Allow removing the baseline lane. @default false */
  readonly force?: boolean;
  /** Do not ask for confirmation on a terminal. @default false */
  readonly yes?: boolean;
  /** Show what would be removed and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Runs `lanes rm`; returns the exit code. */
export async function rm(io: Io, service: string, options: RmOptions): Promise<number> {
  const { target, ref, env } = await openLane(io, options, service, options.lane);
  if (ref.lane === env.baselineLane && !options.force) {
    throw new UserError(
      `lane ${ref.lane} is the baseline of ${env.name}: every request without a lane goes there; pass --force to remove it anyway`,
    );
  }
  if (!options.dryRun && !options.yes && io.interactive) {
    const ok = await askYesNo(io, `Remove lane ${ref.lane} of ${ref.service} in ${ref.env}?`);
    if (!ok) {
      io.err('cancelled; nothing was changed');
      return 1;
    }
  }
  const result = await target.remove(
    { ...ref, force: options.force ?? false, dryRun: options.dryRun ?? false },
    progressPrinter(io),
  );
  if (options.json) printJson(io, result);
  else {
    for (const action of result.actions) io.out(`${result.dryRun ? 'would ' : ''}${action}`);
    io.out(
      `${result.dryRun ? 'dry run: nothing removed' : 'removed'}: lane ${ref.lane} of ${ref.service} in ${ref.env}`,
    );
  }
  return 0;
}

/** Registers `lanes rm`. */
export function registerRm(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('rm')
      .argument('<service>', 'service name from lanes.yaml')
      .description('Remove a lane: its route first, then its instances')
      .requiredOption('-l, --lane <lane>', 'lane to remove')
      .option('--force', 'allow removing the baseline lane')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--dry-run', 'show what would be removed; change nothing'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes rm orders --env local --lane gray\n  $ lanes rm orders --env dev --lane feat-login --yes --json',
    )
    .action(async (service: string, opts: RmOptions, command: Command) => {
      setExitCode(command, await rm(io, service, opts));
    });
}
