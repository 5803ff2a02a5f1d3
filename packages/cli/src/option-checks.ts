/**
 * Checks every command's option and argument values before it acts: an empty or blank value (`--branch ''`, as a
 * CI job with an unset `$BRANCH` passes) is a usage error naming the option, never "use the default".
 */
import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

/** Throws a {@link UsageError} for the first empty or blank option or argument value of `command`. */
export function checkNoBlankValues(command: Command): void {
  const values = command.opts() as Record<string, unknown>;
  for (const option of command.options) {
    const value = values[option.attributeName()];
    const blank = (v: unknown) => typeof v === 'string' && v.trim() === '';
    if (blank(value) || (Array.isArray(value) && value.some(blank))) {
      throw new UsageError(
        `${option.long ?? option.short} is empty; give it a value or leave the option out${option.defaultValue === undefined ? '' : ` (default: ${String(option.defaultValue)})`}`,
      );
    }
  }
  const names = command.registeredArguments.map((a) => a.name());
  command.args.forEach((arg, i) => {
    if (arg.trim() === '')
      throw new UsageError(`the argument <${names[i] ?? i + 1}> is empty; give it a value`);
  });
}
