/**
 * `lanes gc`: removes the expired lanes of an environment (never a baseline, a lane that is deploying, or one
 * whose stack is in a state it cannot delete safely; each is named with the reason). On AWS the environment
 * layer also runs it on a schedule (EventBridge Scheduler → CodeBuild).
 */
import { collectGarbage, describeExpiry, type GcResult } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLaneContext, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes gc`. */
export interface GcOptions extends CommonOptions {
  /** Only this service's lanes. @default every service */
  readonly service?: string;
  /** Show what would be removed and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Prints a gc result as text. */
export function printGcResult(io: Io, result: GcResult, now: number): void {
  const verb = result.dryRun ? 'would remove' : 'removed';
  for (const r of result.removed) {
    io.out(
      `${verb} ${r.service}/${r.lane} (${describeExpiry(r.expiresAt, now)}${r.owner ? `, owner ${r.owner}` : ''})`,
    );
  }
  for (const s of result.skipped) io.out(`skipped ${s.service}/${s.lane}: ${s.reason}`);
  for (const f of result.failed) io.out(`failed ${f.service}/${f.lane}: ${f.reason}`);
  io.out(
    `${result.dryRun ? 'dry run: ' : ''}gc of ${result.env}: ${result.removed.length} ${verb}, ${result.skipped.length} skipped, ${result.failed.length} failed, ${result.kept.length} kept`,
  );
}

/** Runs `lanes gc`; returns the exit code (1 when a removal failed). */
export async function gc(io: Io, options: GcOptions, now: () => number = Date.now): Promise<number> {
  const { target, env } = await openLaneContext(io, options);
  const at = now();
  const result = await collectGarbage(target, {
    env: env.name,
    now: at,
    ...(options.service ? { service: options.service } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    progress: progressPrinter(io),
  });
  if (options.json) printJson(io, result);
  else printGcResult(io, result, at);
  return result.failed.length > 0 ? 1 : 0;
}

/** Registers `lanes gc`. */
export function registerGc(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('gc')
      .description(
        'Remove the expired lanes of an environment (never a baseline, a lane being deployed, or a stack that cannot be deleted safely)',
      )
      .option('-s, --service <service>', 'only this service')
      .option('--dry-run', 'show what would be removed; change nothing'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes gc --env dev --dry-run\n  $ lanes gc --env dev\n  $ lanes gc --env local --service orders --json',
    )
    .action(async (opts: GcOptions, command: Command) => {
      setExitCode(command, await gc(io, opts));
    });
}
