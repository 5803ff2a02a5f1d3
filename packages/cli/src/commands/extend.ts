/**
 * `lanes extend <service> --lane L [--ttl 3d]`: sets when a lane expires (now + ttl, within the environment's
 * maximum TTL). The baseline never expires.
 */
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes extend`. */
export interface ExtendOptions extends CommonOptions {
  /** Lane to extend (required). */
  readonly lane: string;
  /** New time to live from now (`3d`, `12h`). @default the environment's policy.defaultTtl */
  readonly ttl?: string;
  /** Show the new expiry and change nothing. @default false */
  readonly dryRun?: boolean;
}

/** Runs `lanes extend`; returns the exit code. */
export async function extend(io: Io, service: string, options: ExtendOptions): Promise<number> {
  const { target, ref } = await openLane(io, options, service, options.lane);
  const result = await target.extend(
    { ...ref, ...(options.ttl ? { ttl: options.ttl } : {}), dryRun: options.dryRun ?? false },
    progressPrinter(io),
  );
  if (options.json) printJson(io, result);
  else {
    io.out(
      `${result.dryRun ? 'dry run: would extend' : 'extended'}: lane ${ref.lane} of ${ref.service} in ${ref.env} expires at ${result.expiresAt} (was ${result.previousExpiresAt ?? 'no expiry'})`,
    );
  }
  return 0;
}

/** Registers `lanes extend`. */
export function registerExtend(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('extend')
      .argument('<service>', 'service name from lanes.yaml')
      .description("Set when a lane expires: now + ttl (at most the environment's policy.maxTtl)")
      .requiredOption('-l, --lane <lane>', 'lane to extend')
      .option('--ttl <duration>', 'time to live from now: 90m, 12h, 3d, 2w (default: policy.defaultTtl)')
      .option('--dry-run', 'show the new expiry; change nothing'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes extend orders --env dev --lane feat-login --ttl 2d\n  $ lanes extend orders --env local --lane gray --json',
    )
    .action(async (service: string, opts: ExtendOptions, command: Command) => {
      setExitCode(command, await extend(io, service, opts));
    });
}
