/**
 * ecs-lanes installs and runs outside this repository (slow: packs and installs with npm).
 *
 * Every package is packed with `npm pack` (what a registry would hold), installed into an empty directory
 * under the system's temporary directory — no workspace, no `tsx`, no parent `node_modules` — and used there
 * on plain Node as a platform team and a service team would: the CLI (`--version`, `validate`, `synth`,
 * `demo`), the Infra repo that `synth` writes (its pinned CLI installs and `lanes ci deploy --help` runs), and an
 * example App repo's service importing the installed `@ecs-lanes/sdk`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2ePort, eventually, REPO } from '../../local/src/e2e-helpers.js';

const exec = promisify(execFile);
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
/** What the test runs in: the machine's environment without this repository's npm/vitest variables. */
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !k.startsWith('npm_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS',
  ),
);

let root: string;
let app: string;
/** `@ecs-lanes/<name>` → `file:` spec of its tarball. */
let tarballs: Record<string, string>;

function sh(cwd: string, file: string, args: readonly string[], timeout = 300_000) {
  return exec(file, [...args], { cwd, env: ENV, timeout, maxBuffer: 64 * 1024 * 1024 });
}

/** Runs the installed CLI (`node_modules/.bin/lanes`) in `cwd`. */
function lanes(cwd: string, ...args: string[]) {
  return sh(cwd, path.join(app, 'node_modules', '.bin', 'lanes'), args);
}

const version = (pkg: string): string =>
  JSON.parse(readFileSync(path.join(REPO, 'packages', pkg, 'package.json'), 'utf8')).version;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'ecs-lanes-install-'));
  const tgz = path.join(root, 'tarballs');
  app = path.join(root, 'platform');
  mkdirSync(tgz);
  mkdirSync(app);
  await sh(REPO, 'npm', ['pack', '--workspaces', '--pack-destination', tgz, '--silent']);
  tarballs = Object.fromEntries(
    readdirSync(tgz).map((f) => [
      `@ecs-lanes/${f.replace(/^ecs-lanes-/, '').replace(/-\d+\.\d+\.\d+.*$/, '')}`,
      `file:${path.join(tgz, f)}`,
    ]),
  );
  // A platform team's project: the CLI and the SDK from the tarballs; `overrides` makes every @ecs-lanes/*
  // dependency between them resolve to its tarball too, as a registry would.
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'install-test',
      private: true,
      dependencies: {
        '@ecs-lanes/cli': tarballs['@ecs-lanes/cli'],
        '@ecs-lanes/sdk': tarballs['@ecs-lanes/sdk'],
      },
      overrides: tarballs,
    }),
  );
  await sh(app, 'npm', ['install', ...NPM_FLAGS]);
}, 600_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
}, 300_000);

describe('the packed packages, installed outside the repository', () => {
  it('are every package of the monorepo at one version, with built JavaScript, declarations and no tsx', () => {
    expect(Object.keys(tarballs).sort()).toEqual([
      '@ecs-lanes/aws',
      '@ecs-lanes/cdk',
      '@ecs-lanes/cli',
      '@ecs-lanes/core',
      '@ecs-lanes/local',
      '@ecs-lanes/sdk',
    ]);
    for (const pkg of ['aws', 'cdk', 'cli', 'core', 'local', 'sdk']) {
      const dir = path.join(app, 'node_modules', '@ecs-lanes', pkg);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      expect(manifest.version, pkg).toBe(version('cli'));
      expect(manifest.private, pkg).toBeUndefined();
      expect(existsSync(path.join(dir, 'dist', 'index.js')), pkg).toBe(true);
      expect(existsSync(path.join(dir, 'dist', 'index.d.ts')), pkg).toBe(true);
      expect(existsSync(path.join(dir, 'src')), `${pkg} ships no TypeScript sources`).toBe(false);
    }
    expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('lanes --version prints the CLI version', async () => {
    const { stdout } = await lanes(app, '--version');
    expect(stdout.trim()).toBe(version('cli'));
  });

  it('lanes validate checks a project', async () => {
    cpSync(path.join(REPO, 'examples'), path.join(app, 'shop'), {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}.lanes`),
    });
    const { stdout } = await lanes(app, 'validate', '-c', 'shop/lanes.yaml');
    expect(stdout).toMatch(/App pipelines in dev: web-dev, orders-dev, inventory-dev/);
  });

  it('lanes synth writes an Infra repo that installs its pinned CLI and runs lanes ci deploy --help', async () => {
    await lanes(app, 'synth', '-c', 'shop/lanes.yaml', '--out', path.join(root, 'infra'));
    const infra = path.join(root, 'infra');
    const manifest = JSON.parse(readFileSync(path.join(infra, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toEqual({ '@ecs-lanes/cli': version('cli') });
    // The vendored-tarball install the Infra repo's README describes: the pinned version, from the tarballs.
    await sh(infra, 'npm', ['install', '--no-save', ...NPM_FLAGS, ...Object.values(tarballs)]);
    const installed = JSON.parse(
      readFileSync(path.join(infra, 'node_modules', '@ecs-lanes', 'cli', 'package.json'), 'utf8'),
    );
    expect(installed.version).toBe(manifest.dependencies['@ecs-lanes/cli']);
    const { stdout } = await sh(infra, 'npx', ['--no-install', 'lanes', 'ci', 'deploy', '--help']);
    expect(stdout).toMatch(/Usage: lanes ci deploy/);
  });

  it('lanes demo runs the shipped example with real processes on 127.0.0.1', async () => {
    const cwd = path.join(root, 'newcomer');
    mkdirSync(cwd);
    const { stdout } = await lanes(cwd, 'demo', '--base-port', String(e2ePort(80)));
    expect(stdout).toContain('web(base 1.0.0) -> orders(gray 1.0.0-gray) -> inventory(base 1.0.0)');
    expect(stdout).toMatch(/== OK: lane gray reached orders's gray instance/);
  });

  it("an example App repo's service runs on plain node with the installed @ecs-lanes/sdk", async () => {
    const service = path.join(app, 'services', 'inventory');
    cpSync(path.join(REPO, 'examples', 'services', 'inventory'), service, { recursive: true });
    const port = e2ePort(90);
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['server.mjs'], {
        cwd: service,
        env: { ...ENV, PORT: String(port), ENV: 'local', LANE: 'base' },
        stdio: 'ignore',
      });
      let answer: unknown;
      await eventually(async () => {
        answer = await (await fetch(`http://127.0.0.1:${port}/`)).json();
        return true;
      });
      expect(answer).toMatchObject({ service: 'inventory', lane: 'base' });
    } finally {
      child?.kill('SIGKILL');
    }
  });
});
