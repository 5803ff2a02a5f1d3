/**
 * `lanes trace <service> --env E --lane L [--path P]`: sends one request in lane L to the service's entry (the
 * gateway locally, the ALB on AWS), asking every hop to report, and prints the tree of routing decisions:
 * `[OK]` stayed in the lane, `[FALLBACK] <reason>`, `[NG]` where the lane breaks (docs/trace.md).
 */
import { type LaneTrace, renderTrace, UserError } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLane, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, progressPrinter } from '../output.js';

/** Options of `lanes trace`. */
export interface TraceOptions extends CommonOptions {
  /** Lane. @default the baseline lane */
  readonly lane?: string;
  /** Path requested at the entry. @default the service's `trace.path` in lanes.yaml, `/` unless set */
  readonly path?: string;
}

/** Checks `--path`: an absolute path of printable characters. */
function checkPath(path: string | undefined): string | undefined {
  if (path !== undefined && !/^\/[\x21-\x7e]*$/.test(path)) {
    throw new UserError(`--path "${path}" must be an absolute path such as / or /api/orders`);
  }
  return path;
}

/**
 * Traces one request as structured data: the tree `lanes trace` prints (and a lane map's trace view shows).
 * @throws UserError for bad input, an unknown service or environment, or a target that cannot be reached
 */
export async function traceRequest(io: Io, service: string, options: TraceOptions): Promise<LaneTrace> {
  const path = checkPath(options.path);
  const { target, ref } = await openLane(io, options, service, options.lane);
  return target.trace({ ...ref, ...(path === undefined ? {} : { path }) }, progressPrinter(io));
}

/** Runs `lanes trace`; returns 0 when no hop is `[NG]`, else 1. */
export async function trace(io: Io, service: string, options: TraceOptions): Promise<number> {
  const result = await traceRequest(io, service, options);
  if (options.json) printJson(io, result);
  else for (const line of renderTrace(result)) io.out(line);
  return result.ok ? 0 : 1;
}

/** Registers `lanes trace`. */
export function registerTrace(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('trace')
      .argument('<service>', 'service name from lanes.yaml: the entry of the request')
      .description(
        "Send one request in a lane and print every hop's routing decision: [OK], [FALLBACK] <reason>, [NG]",
      )
      .option('-l, --lane <lane>', 'lane (default: the baseline lane)')
      .option('-p, --path <path>', "path to request (default: the service's trace.path, else /)"),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes trace web --env local --lane gray\n  $ lanes trace web --env dev --lane gray --path /api/orders --json\n\nExits 1 when a hop is [NG]. See docs/trace.md.',
    )
    .action(async (service: string, opts: TraceOptions, command: Command) => {
      setExitCode(command, await trace(io, service, opts));
    });
}
