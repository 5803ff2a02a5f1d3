/**
 * The App repo side of a deploy: which commit a branch names, and a `git worktree` per (service, lane, commit)
 * under `.lanes/`, so that building and running a lane never touches the user's checkout.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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
  try {
    repo = await git(dir, ['rev-parse', '--show-toplevel']);
  } catch {
    if (explicit) {
      throw new UserError(
        `the App repo of ${service} (${dir}) is not a git repository, so a branch cannot be chosen; run "git init" there or deploy without --branch`,
      );
    }
    return { kind: 'plain', dir, commit: WORKING_TREE };
  }
  const prefix = await git(dir, ['rev-parse', '--show-prefix']);
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

/** Checks out `commit` of `repo` at `dest` (detached), unless it is already there. Returns the service's dir. */
export async function checkout(source: AppSource & { kind: 'git' }, dest: string): Promise<string> {
  if (!existsSync(path.join(dest, '.git'))) {
    await rm(dest, { recursive: true, force: true });
    await git(source.repo, ['worktree', 'add', '--detach', '--force', dest, source.commit]);
  }
  return path.join(dest, source.prefix);
}

/** Removes a worktree made by {@link checkout} (best effort). */
export async function removeWorktree(dest: string): Promise<void> {
  if (!existsSync(dest)) return;
  const repo = await git(dest, ['rev-parse', '--git-common-dir']).catch(() => undefined);
  await rm(dest, { recursive: true, force: true });
  if (repo) await git(path.resolve(dest, repo), ['worktree', 'prune']).catch(() => {});
}
