/**
 * The buildspec's build phase, run for real: bash runs its commands against real git repositories (an App repo
 * with `main` and a feature branch, commits in every order), in a clone made the way CodeBuild makes one for a
 * `CODEBUILD_CLONE_REF` source (the source action's revision checked out), with `docker` and `aws` replaced by
 * PATH shims that record their calls. The branch (or an explicit commit) decides what is built.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildspecYaml } from './buildspec.js';

const REPOSITORY_URI = '111122223333.dkr.ecr.us-east-1.amazonaws.com/orders-dev';
const root = mkdtempSync(path.join(tmpdir(), 'lanes-buildspec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const gitEnv = {
  ...process.env,
  HOME: root,
  GIT_CONFIG_GLOBAL: path.join(root, 'gitconfig'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};
writeFileSync(gitEnv.GIT_CONFIG_GLOBAL, '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

/** The shims: `aws` (no image pushed yet; a login password) and `docker`, each appending its argv to the log. */
const shims = path.join(root, 'shims');
mkdirSync(shims);
writeFileSync(
  path.join(shims, 'aws'),
  '#!/bin/bash\necho "aws $*" >> "$SHIM_LOG"\nif [ "$1 $2" = "ecr describe-images" ]; then exit 254; fi\nif [ "$1 $2" = "ecr get-login-password" ]; then echo secret; fi\n',
);
writeFileSync(path.join(shims, 'docker'), '#!/bin/bash\necho "docker $*" >> "$SHIM_LOG"\ncat > /dev/null\n');
chmodSync(path.join(shims, 'aws'), 0o755);
chmodSync(path.join(shims, 'docker'), 0o755);

/** An App repository (`origin`, bare) and a working copy to make commits in. */
class AppRepo {
  readonly origin: string;
  readonly work: string;
  private n = 0;
  constructor(name: string) {
    this.origin = path.join(root, name, 'origin.git');
    this.work = path.join(root, name, 'work');
    mkdirSync(this.origin, { recursive: true });
    git(this.origin, 'init', '--bare', '--quiet');
    git(path.join(root, name), 'clone', '--quiet', this.origin, 'work');
    this.commit('main', true);
  }
  /** A commit on `branch` (pushed); returns its id. */
  commit(branch: string, first = false): string {
    if (!first) git(this.work, 'checkout', '--quiet', branch);
    writeFileSync(path.join(this.work, 'Dockerfile'), `FROM scratch\n# change ${++this.n} on ${branch}\n`);
    git(this.work, 'add', '.');
    git(this.work, 'commit', '--quiet', '-m', `change ${this.n} on ${branch}`);
    git(this.work, 'push', '--quiet', 'origin', branch);
    return git(this.work, 'rev-parse', 'HEAD');
  }
  /** Cuts `branch` from `from`'s current commit (pushed). */
  cut(branch: string, from = 'main'): void {
    git(this.work, 'checkout', '--quiet', from);
    git(this.work, 'checkout', '--quiet', '-b', branch);
    git(this.work, 'push', '--quiet', 'origin', branch);
  }
  tip(branch: string): string {
    return git(this.origin, 'rev-parse', `refs/heads/${branch}`);
  }
}

interface BuildRun {
  readonly code: number;
  readonly stderr: string;
  /** The shims' calls, one line each. */
  readonly calls: string[];
  /** The variables the build exported (seen by a child process, as CodeBuild's exported-variables are). */
  readonly exported: Record<string, string>;
  /** The App clone the build ran in. */
  readonly appDir: string;
}

let runs = 0;
/**
 * Runs the buildspec's build phase with `STAGE=build` in a clone of `repo` checked out at `sourceRevision`
 * (what the source action gives: `BranchName`'s head, or the run's source revision override).
 */
function runBuild(
  repo: AppRepo,
  sourceRevision: string,
  vars: { BRANCH: string; COMMIT?: string },
  shimDirs: readonly string[] = [shims],
): BuildRun {
  const dir = path.join(root, `build-${++runs}`);
  git(root, 'clone', '--quiet', repo.origin, dir);
  git(dir, 'checkout', '--quiet', '--detach', sourceRevision);
  const log = path.join(root, `shim-${runs}.log`);
  writeFileSync(log, '');
  const spec = parse(buildspecYaml()) as { phases: { build: { commands: string[] } } };
  const script = `${spec.phases.build.commands.join('\n')}\nenv | grep -E '^(IMAGE_URI|COMMIT_ID)=' || true\n`;
  const result = spawnSync('bash', ['-c', script], {
    env: {
      ...gitEnv,
      PATH: `${shimDirs.join(':')}:${process.env.PATH}`,
      SHIM_LOG: log,
      STAGE: 'build',
      MODULE_PATH: '.',
      REPOSITORY_URI,
      CODEBUILD_SRC_DIR_AppOut: dir,
      LANE: 'gray',
      COMMIT: vars.COMMIT ?? 'tip',
      BRANCH: vars.BRANCH,
    },
    encoding: 'utf8',
  });
  const exported = Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((l) => /^(IMAGE_URI|COMMIT_ID)=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    code: result.status ?? -1,
    stderr: result.stderr,
    calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
    exported,
    appDir: dir,
  };
}

/** Expects the run to have built and pushed exactly `commit`. */
function expectBuilt(run: BuildRun, commit: string): void {
  expect(run.stderr, run.stderr).not.toMatch(/error|fatal/i);
  expect(run.code).toBe(0);
  const image = `${REPOSITORY_URI}:${commit.slice(0, 12)}`;
  expect(run.exported).toEqual({ COMMIT_ID: commit, IMAGE_URI: image });
  expect(run.calls.filter((c) => c.startsWith('docker build') || c.startsWith('docker push'))).toEqual([
    `docker build --tag ${image} ${run.appDir}/.`,
    `docker push ${image}`,
  ]);
}

describe('the buildspec build phase: the branch (or an explicit commit) decides what is built', () => {
  it('a feature branch cut from main with its own commit: builds the feature tip, not main (the clone holds main)', () => {
    const repo = new AppRepo('feat-ahead');
    repo.cut('feat');
    const feat = repo.commit('feat');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'feat' }), feat);
  });

  it('main moved on after the cut, the feature did not: builds the feature (the cut point)', () => {
    const repo = new AppRepo('main-ahead');
    repo.cut('feat');
    const cut = repo.tip('feat');
    repo.commit('main');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'feat' }), cut);
  });

  it('both moved on, main first then the feature: builds the feature tip', () => {
    const repo = new AppRepo('main-then-feat');
    repo.cut('feat');
    repo.commit('main');
    const feat = repo.commit('feat');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'feat' }), feat);
  });

  it('both moved on, the feature first then main: builds the feature tip', () => {
    const repo = new AppRepo('feat-then-main');
    repo.cut('feat');
    const feat = repo.commit('feat');
    repo.commit('main');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'feat' }), feat);
  });

  it('a feature just cut (no commit of its own): builds the commit both share', () => {
    const repo = new AppRepo('just-cut');
    repo.cut('feat');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'feat' }), repo.tip('main'));
  });

  it('branch main while a feature is ahead: builds main', () => {
    const repo = new AppRepo('main-while-feat');
    repo.cut('feat');
    repo.commit('feat');
    expectBuilt(runBuild(repo, repo.tip('main'), { BRANCH: 'main' }), repo.tip('main'));
  });

  it('a clone left at an older revision still builds the tip of the branch', () => {
    const repo = new AppRepo('stale-clone');
    const old = repo.tip('main');
    const tip = repo.commit('main');
    expectBuilt(runBuild(repo, old, { BRANCH: 'main' }), tip);
  });

  it('an explicit commit, with the run started at that source revision: builds exactly that commit', () => {
    const repo = new AppRepo('explicit');
    repo.cut('feat');
    const first = repo.commit('feat');
    repo.commit('feat');
    expectBuilt(runBuild(repo, first, { BRANCH: 'feat', COMMIT: first }), first);
  });

  it('an explicit commit the source does not hold fails with the fix, and builds nothing', () => {
    const repo = new AppRepo('explicit-mismatch');
    repo.cut('feat');
    const feat = repo.commit('feat');
    const run = runBuild(repo, repo.tip('main'), { BRANCH: 'feat', COMMIT: feat });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `commit ${feat} was asked for, but the App source is at ${repo.tip('main')}: start the run with --source-revisions actionName=AppSource,revisionType=COMMIT_ID,revisionValue=${feat}`,
    );
    expect(run.calls.filter((c) => c.startsWith('docker'))).toEqual([]);
  });

  it('a branch that does not exist fails with the fix, and builds nothing', () => {
    const repo = new AppRepo('no-branch');
    const run = runBuild(repo, repo.tip('main'), { BRANCH: 'nope' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /cannot fetch branch 'nope' of the App repo; check that it exists, or deploy an explicit commit with lanes deploy --commit SHA/,
    );
    expect(run.calls.filter((c) => c.startsWith('docker'))).toEqual([]);
  });

  it('an image already pushed for the commit is not built again', () => {
    const repo = new AppRepo('already-pushed');
    const dir = path.join(root, 'shims-pushed');
    mkdirSync(dir);
    // Shadow the aws shim with one whose describe-images finds the image.
    writeFileSync(path.join(dir, 'aws'), '#!/bin/bash\necho "aws $*" >> "$SHIM_LOG"\nexit 0\n');
    chmodSync(path.join(dir, 'aws'), 0o755);
    const run = runBuild(repo, repo.tip('main'), { BRANCH: 'main' }, [dir, shims]);
    expect(run.code).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('docker'))).toEqual([]);
    expect(run.exported.COMMIT_ID).toBe(repo.tip('main'));
  });
});
