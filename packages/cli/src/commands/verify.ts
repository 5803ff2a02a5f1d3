/**
 * `lanes verify <service> --lane L`: checks that a lane serves, as a tree of `[OK]`, `[NG]` and `[SKIP]`.
 */

import { renderTrace, verifyPassed } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes verify`. */
export interface VerifyOptions extends CommonOptions {
  /** Lane. @default the baseline lane */
  readonly lane?: string;
}

/** Runs `lanes verify`; returns 0 when no check failed, else 1. */
export async function verify(io: Io, service: string, options: VerifyOptions): Promise<number> {
  const { target, ref } = await openLane(io, options, service, options.lane);
  const checks = await target.verify(ref, progressPrinter(io));
  const ok = verifyPassed(checks);
  if (options.json) {
    printJson(io, { ...ref, ok, checks });
  } else {
    io.out(`verify ${ref.service} lane ${ref.lane} in ${ref.env}`);
    checks.forEach((c, i) => {
      const last = i === checks.length - 1;
      io.out(`${last ? '└─' : '├─'} [${c.status}] ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
      // The propagation gate's tree, under its check (docs/trace.md).
      if (c.trace && c.status === 'NG')
        for (const line of renderTrace(c.trace)) io.out(`${last ? '   ' : '│  '}${line}`);
    });
    io.out(ok ? 'verification passed' : 'verification failed');
  }
  return ok ? 0 : 1;
}

/** Registers `lanes verify`. */
export function registerVerify(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('verify')
      .argument('<service>', 'service name from lanes.yaml')
      .description(
        'Check that a lane serves: healthy instances, the health path, and a request answered by the lane',
      )
      .option('-l, --lane <lane>', 'lane (default: the baseline lane)'),
  )
    .addHelpText('after', '\nExamples:\n  $ lanes verify orders --env local --lane gray')
    .action(async (service: string, opts: VerifyOptions, command: Command) => {
      setExitCode(command, await verify(io, service, opts));
    });
}
