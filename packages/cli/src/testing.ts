/**
 * Test support for the CLI: an Io that captures output, and running `lanes` in-process.
 */

import { main } from './main.js';
import type { Io } from './output.js';

/** Captured output of one in-process `lanes` run. */
export interface CliRun {
  /** Exit code. */
  readonly code: number;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Runs `lanes ...args` in-process in `cwd`, capturing output. Never asks questions (not interactive). */
export async function runLanes(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => err.push(t.endsWith('\n') ? t : `${t}\n`),
    cwd,
    env,
    interactive: false,
  };
  const code = await main(['node', 'lanes', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
