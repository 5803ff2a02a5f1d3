/**
 * `lanes logs <service> --lane L [-f] [-n N]`: prints a lane's log (`.lanes/logs/{env}/{service}/{lane}.log`:
 * its builds and every process it ran, with a line where each started and ended); `-f` follows it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UserError } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { UsageError } from '../exit-codes.js';
import { loadLocalEnvironment } from '../local-env.js';
import type { Io } from '../output.js';

/** Options of `lanes logs`. */
export interface LogsOptions {
  readonly config?: string;
  readonly env?: string;
  readonly lane?: string;
  readonly follow?: boolean;
  readonly lines?: string;
  /** Stops following (tests). @default never */
  readonly signal?: AbortSignal;
}

/** Runs `lanes logs`; returns the exit code. */
export async function logs(io: Io, service: string, options: LogsOptions): Promise<number> {
  const lines = options.lines ?? '100';
  if (!/^\d+$/.test(lines.trim())) {
    throw new UsageError(`-n/--lines must be a whole number of lines (0 for all), not "${lines}"`);
  }
  const environment = await loadLocalEnvironment(io, options);
  const lane = options.lane ?? environment.env.baselineLane;
  const file = environment.logFile(service, lane);
  if (!existsSync(file) && !options.follow) {
    throw new UserError(`lane ${lane} of ${service} has no log yet (${file})`);
  }
  const count = Number(lines);
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  for (const line of count > 0 ? all.slice(-count) : all) io.out(line);
  if (!options.follow) return 0;
  let position = Buffer.byteLength(text);
  let partial = '';
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!existsSync(file)) return;
      const size = statSync(file).size;
      if (size < position) position = 0;
      if (size === position) return;
      const stream = createReadStream(file, { start: position, end: size - 1, encoding: 'utf8' });
      position = size;
      stream.on('data', (chunk) => {
        const parts = (partial + String(chunk)).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) io.out(line);
      });
    }, 200);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    options.signal?.addEventListener('abort', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

/** Registers `lanes logs`. */
export function registerLogs(program: Command, io: Io): void {
  program
    .command('logs')
    .description("Print a lane's log on the local target (builds and process output); -f follows it")
    .argument('<service>', 'service name')
    .option('--lane <lane>', 'lane (default: the baseline)')
    .option('-f, --follow', 'keep printing what is appended')
    .option('-n, --lines <n>', 'how many of the last lines to print first (0: all)', '100')
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('--env <name>', 'local environment (default: the only one)')
    .addHelpText('after', '\nExamples:\n  $ lanes logs orders --lane gray -f')
    .action(async (service: string, opts: LogsOptions) => {
      program.setOptionValue('exitCode', await logs(io, service, opts));
    });
}
