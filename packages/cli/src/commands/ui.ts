/**
 * `lanes ui --env E [--port P] [--no-open]`: the lane map of an environment in the browser, local or AWS, served
 * on 127.0.0.1 until Ctrl-C. Read-only: it lists lanes (and traces requests) through the environment's
 * `LaneTarget`, as `lanes ls` and `lanes trace` do.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { type CommonOptions, openLaneContext, setExitCode, withCommonOptions } from '../lane-command.js';
import type { Io } from '../output.js';
import { type LaneCell, laneMap } from '../ui/lane-map.js';
import { type LaneMapSource, startUiServer, type UiServer } from '../ui/server.js';

/** Options of `lanes ui`. */
export interface UiOptions extends CommonOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: string;
  /** Open the page in the default browser. @default true (`--no-open` turns it off) */
  readonly open?: boolean;
  /** How often the target is polled while the page is open, in ms. @default 1000 */
  readonly interval?: string;
}

/** Parses a port option, or throws naming the option and the fix. */
function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new Error(`--port must be a port number from 0 to 65535 (0 picks a free one); got "${value}"`);
  }
  return port;
}

/** Starts the lane map's server for the environment of `options`; resolves once it listens. */
export async function startUi(io: Io, options: UiOptions): Promise<UiServer> {
  const { UserError } = await import('@ecs-lanes/core');
  let port: number;
  let pollMs: number;
  try {
    port = parsePort(options.port);
    pollMs = options.interval === undefined ? 1000 : Number(options.interval);
    if (!Number.isInteger(pollMs) || pollMs < 100)
      throw new Error(`--interval must be a whole number of milliseconds ≥ 100; got "${options.interval}"`);
  } catch (error) {
    throw new UserError((error as Error).message, { exitCode: 2 });
  }
  const { project, env, target } = await openLaneContext(io, options);
  const source: LaneMapSource = {
    map: async () => laneMap(project.config, env, (await target.list()) as LaneCell[]),
  };
  return startUiServer({ source, port, pollMs, log: io.err });
}

/** Opens `url` in the desktop's browser, if there is one; never fails the command. */
function openBrowser(url: string, io: Io): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => io.err(`could not open a browser (${command}); open ${url} yourself`));
  child.unref();
}

/** Runs `lanes ui` until interrupted; returns the exit code. */
export async function ui(io: Io, options: UiOptions): Promise<number> {
  const server = await startUi(io, options);
  io.out(server.url);
  io.err(`lane map of ${options.env ?? 'the environment'} on ${server.url} (read-only; Ctrl-C stops it)`);
  if (options.open !== false && !io.env.CI) openBrowser(server.url, io);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  io.err('lane map stopped');
  return 0;
}

/** Registers `lanes ui`. */
export function registerUi(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('ui')
      .description(
        'Show the lane map of an environment in the browser (services × lanes, call graph, traces)',
      )
      .option('-p, --port <port>', 'port on 127.0.0.1 (default: a free one)')
      .option('--no-open', 'do not open a browser; print the URL only')
      .option('--interval <ms>', 'how often lanes are read while the page is open', '1000'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes ui --env local\n  $ lanes ui --env dev --port 7800 --no-open\n\nThe page binds to 127.0.0.1 and changes nothing; Ctrl-C stops it.',
    )
    .action(async (opts: UiOptions, command: Command) => {
      setExitCode(command, await ui(io, opts));
    });
}
