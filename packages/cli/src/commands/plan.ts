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

const PLAN_EXAMPLES =
  '\nExamples:\n  $ lanes plan deploy orders --env dev --lane gray\n  $ lanes plan rm orders --env dev --lane gray\n  $ lanes plan env deploy dev';

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
  const planned = [...args.filter((a) => a !== '--dry-run'), '--dry-run'];
  const program = await createProgram(io, planned);
  await program.parseAsync(['node', 'lanes', ...planned]);
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
    .addHelpText('after', PLAN_EXAMPLES)
    .action(async (args: string[], _opts: unknown, command: Command) => {
      // Help is turned off so that `lanes plan deploy --help`-like flags reach the planned command; a bare
      // `lanes plan --help` still shows this command's help.
      if (args[0] === '--help' || args[0] === '-h') {
        io.out(`${command.helpInformation().trimEnd()}\n${PLAN_EXAMPLES}`);
        setExitCode(command, 0);
        return;
      }
      setExitCode(command, await plan(io, args));
    });
}
