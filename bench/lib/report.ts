/**
 * Formatting and recording benchmark results.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const DOC = path.resolve(import.meta.dirname, '../../docs/benchmarks.md');

/** A markdown table. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** One line describing this machine. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Replaces the section of `name` in docs/benchmarks.md (between its markers) with the latest result. */
export async function recordResult(name: string, title: string, markdown: string): Promise<void> {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const body = `${start}\n_Latest run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}._\n\n${markdown}\n${end}`;
  let doc = await readFile(DOC, 'utf8').catch(() => '# Benchmarks\n');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from !== -1 && to !== -1) doc = doc.slice(0, from) + body + doc.slice(to + end.length);
  else doc = `${doc.trimEnd()}\n\n## ${title}\n\n${body}\n`;
  const tmp = `${DOC}.${process.pid}.tmp`;
  await writeFile(tmp, doc);
  await rename(tmp, DOC);
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
