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

// The CDK package ships its generic templates synthesized, validated and cdk-nag-checked now, so that
// `lanes synth` never loads aws-cdk-lib (see packages/cdk/src/prebuilt.ts). Redone only when a built module of
// the CDK or core package is newer than the file.
const { existsSync, readdirSync, statSync, writeFileSync } = await import('node:fs');
const prebuilt = path.join(root, 'packages/cdk/dist/templates.json');
const newest = (dir) =>
  Math.max(
    ...readdirSync(dir, { recursive: true })
      .filter((f) => String(f).endsWith('.js'))
      .map((f) => statSync(path.join(dir, String(f))).mtimeMs),
  );
const stale =
  !existsSync(prebuilt) ||
  statSync(prebuilt).mtimeMs <
    Math.max(newest(path.join(root, 'packages/cdk/dist')), newest(path.join(root, 'packages/core/dist')));
if (stale) {
  process.stderr.write(
    'build: synthesizing the generic templates (validation and cdk-nag) into packages/cdk/dist/templates.json\n',
  );
  const { synthTemplates } = await import(path.join(root, 'packages/cdk/dist/infra-repo.js'));
  writeFileSync(prebuilt, `${JSON.stringify(synthTemplates())}\n`);
}
