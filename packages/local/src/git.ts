/**
 * The App repo side of a deploy: which commit a branch names, and a copy of that commit's service directory per
 * (service, lane, commit) under `.lanes/`, so that building and running a lane never touches the user's checkout.
 *
 * The copy is exported with `git archive` (only the service's directory, no `.git`), not added with `git worktree
 * add`: a worktree would be a full copy of the repository that `git worktree list` of the user's checkout shows
 * and that every tool globbing the checkout (tests, lint, type-check) would find.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '@ecs-lanes/core';

const exec = promisify(execFile);

/** Commit id used for an App repo that is not a git repository (it runs from its directory as it is). */
export const WORKING_TREE = 'working-tree';

/** Runs git; resolves with trimmed stdout. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await exec('git', [...args], {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Where the code of a service comes from. */
export type AppSource =
  | { readonly kind: 'git'; readonly repo: string; readonly prefix: string; readonly commit: string }
  | { readonly kind: 'plain'; readonly dir: string; readonly commit: typeof WORKING_TREE };

/**
 * Resolves `rev` (a branch, or any commit-ish for rollbacks) in the App repo at `dir`.
 * @throws UserError when the directory is missing or the branch does not exist (listing the branches there are)
 */
export async function resolveSource(
  service: string,
  dir: string,
  rev: string,
  explicit: boolean,
): Promise<AppSource> {
  if (!existsSync(dir)) {
    throw new UserError(`the App repo of ${service} (appRepo.localPath) is not there: ${dir}`);
  }
  let repo: string;
  let prefix: string;
  try {
    // One git process for both: the top level, then the path of `dir` under it (an empty line at the top).
    [repo = '', prefix = ''] = (await git(dir, ['rev-parse', '--show-toplevel', '--show-prefix'])).split(
      '\n',
    );
  } catch {
    if (explicit) {
      throw new UserError(
        `the App repo of ${service} (${dir}) is not a git repository, so a branch cannot be chosen; run "git init" there or deploy without --branch`,
      );
    }
    return { kind: 'plain', dir, commit: WORKING_TREE };
  }
  try {
    const commit = await git(repo, [
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${rev}^{commit}`,
    ]);
    return { kind: 'git', repo, prefix, commit };
  } catch {
    const branches = await git(repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads']).catch(
      () => '',
    );
    throw new UserError(
      `branch "${rev}" does not exist in the App repo of ${service} (${repo}); branches: ${branches.split('\n').filter(Boolean).join(', ') || 'none'}`,
    );
  }
}

/** Marker written in a copy once it is complete (a copy without it is redone). */
const COPY_MARKER = '.lanes-commit';

/**
 * Copies the service directory of `commit` to `dest` (keeping its path inside the repository), unless a complete
 * copy of that commit is already there. Returns the service's directory inside it.
 */
export async function checkout(source: AppSource & { kind: 'git' }, dest: string): Promise<string> {
  const marker = path.join(dest, COPY_MARKER);
  const done = await readFile(marker, 'utf8').catch(() => undefined);
  if (done?.trim() !== source.commit) {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest, { recursive: true });
    const archive = spawn('git', ['archive', '--format=tar', source.commit, '--', source.prefix || '.'], {
      cwd: source.repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    archive.stdout.pipe(tar.stdin);
    const errors: string[] = [];
    archive.stderr.on('data', (c: Buffer) => errors.push(c.toString()));
    tar.stderr.on('data', (c: Buffer) => errors.push(c.toString()));
    const exited = (child: ReturnType<typeof spawn>) =>
      new Promise<number>((resolve) => {
        child.on('error', () => resolve(127));
        child.on('close', (code) => resolve(code ?? 1));
      });
    const [a, t] = await Promise.all([exited(archive), exited(tar)]);
    if (a !== 0 || t !== 0) {
      await rm(dest, { recursive: true, force: true });
      throw new Error(
        `cannot copy ${source.commit.slice(0, 12)} of ${source.repo} to ${dest}: ${errors.join('').trim()}`,
      );
    }
    await writeFile(marker, `${source.commit}\n`);
  }
  return path.join(dest, source.prefix);
}

/** Removes a copy made by {@link checkout} (best effort; also a `git worktree` made by older versions). */
export async function removeWorktree(dest: string): Promise<void> {
  if (!existsSync(dest)) return;
  const repo = existsSync(path.join(dest, '.git'))
    ? await git(dest, ['rev-parse', '--git-common-dir']).catch(() => undefined)
    : undefined;
  await rm(dest, { recursive: true, force: true });
  if (repo) await git(path.resolve(dest, repo), ['worktree', 'prune']).catch(() => {});
}
