/**
 * Output conventions: results (tables, JSON) go to stdout; logs and progress go to stderr.
 */
import type { ProgressEvent } from '@ecs-lanes/core';

/** Where a command writes. Injectable so tests capture output. */
export interface Io {
  /** Results: tables, JSON. */
  readonly out: (text: string) => void;
  /** Logs, progress and errors. */
  readonly err: (text: string) => void;
  /** Working directory. */
  readonly cwd: string;
  /** Environment variables. */
  readonly env: NodeJS.ProcessEnv;
  /** True when stdin is an interactive terminal (confirmations are only asked there). */
  readonly interactive: boolean;
}

/**
 * Ends the process quietly when the reader of `stream` went away (`lanes deploy --help | head -2`), as CLIs
 * killed by SIGPIPE do: Node ignores SIGPIPE and reports the closed pipe as an `EPIPE` error event, which would
 * otherwise crash the process with a stack trace. Other stream errors are left to Node.
 * @param exit how the process ends. @default `process.exit(0)` (the reader has what it wanted)
 */
export function endQuietlyOnClosedPipe(
  stream: NodeJS.WritableStream,
  exit: () => void = () => process.exit(0),
): void {
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      stream.off('error', onError);
      stream.emit('error', error);
      return;
    }
    exit();
  };
  stream.on('error', onError);
}

/**
 * The process's own Io. The entry point (`bin/lanes.js`) makes a closed stdout end the process quietly
 * ({@link endQuietlyOnClosedPipe}); nothing here exits the process.
 */
export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    cwd: process.cwd(),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY) && process.env.CI !== 'true',
  };
}

/** Formats rows as an aligned text table with a header line. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Prints a progress event on stderr as `[phase] message`. */
export function progressPrinter(io: Io): (e: ProgressEvent) => void {
  return (e) => io.err(`[${e.phase}] ${e.message}`);
}

/** Writes a value as pretty JSON on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
