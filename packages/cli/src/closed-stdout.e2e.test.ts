/**
 * A closed stdout ends the command quietly (`lanes deploy --help | head -2`), as other CLIs do: the real
 * `lanes` process, whose stdout reader goes away before it writes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../bin/lanes.js');

/** Runs `lanes ...args` with a stdout pipe whose reading end is closed at once. */
function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader leaves before the CLI (which takes a moment to start) writes anything.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('lanes with a closed stdout', () => {
  const config = path.resolve(import.meta.dirname, '../../../examples/lanes.yaml');
  it.each(['deploy --help', '--help', `validate -c ${config}`])(
    '`lanes %s` ends quietly: exit 0, no EPIPE, nothing on stderr',
    async (args) => {
      const run = await runWithClosedStdout(args.split(' '));
      expect(run.stderr).not.toMatch(/EPIPE/);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    },
  );
});
