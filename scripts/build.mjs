#!/usr/bin/env node
// Builds every package to JavaScript with type declarations (`packages/*/dist`), in dependency order and
// incrementally (`tsc -b`), then adds the files the built CLI ships besides its code. Runs on `npm ci` (the
// root `prepare` script), so a fresh clone needs no other step.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (run.status !== 0) process.exit(run.status ?? 1);

// The CLI ships the example project for `lanes demo` (the App repos of web, orders and inventory and their
// lanes.yaml), so that the demo runs from an installed CLI too. Generated: `examples/` stays the source.
const { cpSync, rmSync } = await import('node:fs');
const demo = path.join(root, 'packages/cli/demo');
rmSync(demo, { recursive: true, force: true });
cpSync(path.join(root, 'examples'), demo, {
  recursive: true,
  filter: (src) =>
    !/[/\\](node_modules|\.lanes|\.git)([/\\]|$)|\.test\.[mc]?[jt]s$/.test(src.slice(root.length)),
});
