/**
 * Finding the command that `argv` names before commander parses it, so that an unknown command is a usage
 * error (exit 2) naming it, with the closest known command as a suggestion, even with `--help` after it
 * (commander would print the top-level help and exit 0).
 */
import type { Command, CommanderError } from 'commander';

/** The exit code of a usage error (an unknown command or option). */
export const USAGE_EXIT_CODE = 2;

/** Edit distance (Damerau–Levenshtein, optimal string alignment) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo (at most 40 % edits). */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word, name);
    if (distance <= Math.max(1, Math.floor(Math.max(word.length, name.length) * 0.4))) {
      if (!best || distance < best.distance) best = { name, distance };
    }
  }
  return best?.name;
}

function namesOf(command: Command): string[] {
  return [command.name(), ...command.aliases()];
}

/**
 * Checks that the leading words of `args` (argv without node and the script) name a command of `program`,
 * descending into command groups (`env deploy`). Returns the error naming the unknown command, with a
 * suggestion, or undefined when they do. (No import of core here: the router loads it only when needed.)
 */
export function unknownCommandMessage(program: Command, args: readonly string[]): string | undefined {
  let current = program;
  const path: string[] = [];
  for (const word of args) {
    // Options end the command path; the program's own options (-v, -h) take no value. `help` is commander's
    // implicit help command of every command group.
    if (word.startsWith('-') || current.commands.length === 0 || word === 'help') return undefined;
    const next = current.commands.find((c) => namesOf(c).includes(word));
    if (!next) {
      const spelled = [...path, word].join(' ');
      const suggestion = closestWord(
        word,
        current.commands.filter((c) => c.name() !== 'help').map((c) => c.name()),
      );
      const prefix = path.length ? `${path.join(' ')} ` : '';
      return suggestion
        ? `unknown command '${spelled}' (did you mean '${prefix}${suggestion}'?)`
        : `unknown command '${spelled}'; see the commands with: lanes ${prefix}--help`;
    }
    path.push(word);
    current = next;
  }
  return undefined;
}

/**
 * True for what commander throws (with `exitOverride`) once it printed the help or the version: a success (exit 0),
 * not an error. Kept here, away from the error table, so that `lanes --help` loads nothing else.
 */
export function isHelpOrVersion(error: unknown): error is CommanderError {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'commander.helpDisplayed' || code === 'commander.version';
}
