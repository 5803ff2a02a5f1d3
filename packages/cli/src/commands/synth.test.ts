import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLanes } from '../testing.js';

const example = readFileSync(path.resolve(import.meta.dirname, '../../../../examples/lanes.yaml'), 'utf8');

describe('lanes synth', () => {
  it('writes the Infra repo and lists it with --json', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-synth-'));
    writeFileSync(path.join(dir, 'lanes.yaml'), example);
    const run = await runLanes(dir, ['synth', '--out', 'infra', '--json']);
    expect(run.code).toBe(0);
    const { files } = JSON.parse(run.stdout) as { files: string[] };
    expect(files).toEqual(
      expect.arrayContaining(['ci/buildspec.yaml', 'ci/service-stack.yaml', 'README.md']),
    );
    for (const f of files) expect(existsSync(path.join(dir, 'infra', f)), f).toBe(true);
    expect(readFileSync(path.join(dir, 'infra', 'lanes.yaml'), 'utf8')).toBe(example);
  }, 60_000);

  it('reports a bad config without writing anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-synth-'));
    writeFileSync(path.join(dir, 'lanes.yaml'), 'project: 1\n');
    const run = await runLanes(dir, ['synth']);
    expect(run.code).toBe(1);
    expect(existsSync(path.join(dir, 'templates'))).toBe(false);
  });
});
