/**
 * `lanes rollback <service> --lane L [--to VERSION]`: redeploys the previous (or named) version of a lane.
 */
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, progressPrinter } from '../output.js';
import { printDeployResult } from './deploy.js';

/** Options of `lanes rollback`. */
export interface RollbackOptions extends CommonOptions {
  /** Lane. @default the baseline lane */
  readonly lane?: string;
  /** Version to go back to (image tag or commit). @default the version before the current one */
  readonly to?: string;
  /** Show what would be done and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Runs `lanes rollback`; returns the exit code. */
export async function rollback(io: Io, service: string, options: RollbackOptions): Promise<number> {
  const { target, ref } = await openLane(io, options, service, options.lane);
  const result = await target.rollback(
    { ...ref, ...(options.to ? { to: options.to } : {}), dryRun: options.dryRun ?? false },
    progressPrinter(io),
  );
  printDeployResult(io, result, options.json ?? false, 'rolled back');
  return 0;
}

/** Registers `lanes rollback`. */
export function registerRollback(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('rollback')
      .argument('<service>', 'service name from lanes.yaml')
      .description('Redeploy the previous (or a named) version of a lane')
      .option('-l, --lane <lane>', 'lane (default: the baseline lane)')
      .option('--to <version>', 'image tag or commit to go back to (default: the previous one)')
      .option('--dry-run', 'show what would be done; change nothing'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes rollback orders --env dev --lane gray\n  $ lanes rollback orders --env dev --lane gray --to 3f2a1bc',
    )
    .action(async (service: string, opts: RollbackOptions, command: Command) => {
      setExitCode(command, await rollback(io, service, opts));
    });
}
