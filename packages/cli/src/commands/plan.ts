/**
 * `lanes plan <command…>`: runs a mutating command as a dry run — what would be created, changed or deleted
 * (change set summaries), changing nothing. `lanes plan deploy orders --env dev --lane gray` is
 * `lanes deploy orders --env dev --lane gray --dry-run`.
 */
import { UserError } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { setExitCode } from '../lane-command.js';
import type { Io } from '../output.js';

/** The commands `lanes plan` accepts (each has `--dry-run`). */
export const PLANNABLE = [
  'deploy',
  'rollback',
  'rm',
  'env deploy',
  'service bootstrap',
  'ci deploy',
] as const;

/** Runs `lanes plan`; returns the exit code. */
export async function plan(io: Io, args: readonly string[]): Promise<number> {
  const words = args.filter((a) => !a.startsWith('-')).slice(0, 2);
  const known = PLANNABLE.find((p) => p === words[0] || p === words.join(' '));
  if (!known) {
    throw new UserError(
      `lanes plan works with: ${PLANNABLE.map((p) => `lanes plan ${p} …`).join(', ')}; got "${args.join(' ')}"`,
    );
  }
  const { createProgram } = await import('../main.js');
  const program = createProgram(io);
  await program.parseAsync(['node', 'lanes', ...args.filter((a) => a !== '--dry-run'), '--dry-run']);
  return Number(program.getOptionValue('exitCode') ?? 0);
}

/** Registers `lanes plan`. */
export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .argument('<command...>', `a command to plan: ${PLANNABLE.join(', ')}`)
    .description('Show what a command would create, change or delete (change set summaries); change nothing')
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes plan deploy orders --env dev --lane gray\n  $ lanes plan rm orders --env dev --lane gray\n  $ lanes plan env deploy dev',
    )
    .action(async (args: string[], _opts: unknown, command: Command) => {
      setExitCode(command, await plan(io, args));
    });
}
