/**
 * Each example service is a complete App repo: its Dockerfile, package.json and .dockerignore agree with what
 * `lanes.yaml` declares for it (port, health path, how the local target runs it). No Docker engine exists where
 * this runs, so the Dockerfile is read, not built: these checks are what can be proved without one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrThrow } from '@ecs-lanes/core';
import { describe, expect, it } from 'vitest';

const EXAMPLES = import.meta.dirname;
const config = loadConfigOrThrow(readFileSync(path.join(EXAMPLES, 'lanes.yaml'), 'utf8'));

/** A Dockerfile's instructions, with line continuations joined and comments dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stages of a Dockerfile: each FROM starts one. */
function stages(text: string) {
  const out: { from: string; steps: { keyword: string; args: string }[] }[] = [];
  for (const i of instructions(text)) {
    if (i.keyword === 'FROM') out.push({ from: i.args, steps: [] });
    else out.at(-1)?.steps.push(i);
  }
  return out;
}

describe.each(config.services.map((s) => [s.name, s] as const))('the App repo of %s', (_name, service) => {
  const dir = path.join(EXAMPLES, service.appRepo.localPath ?? service.name);
  const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const all = stages(dockerfile);
  const runtime = all.at(-1)!;
  const last = (keyword: string) => runtime.steps.filter((s) => s.keyword === keyword).at(-1)?.args;

  it('is multi-stage, on a pinned Node 20 slim base', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage.from).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim\b/);
  });

  it('runs as a non-root user', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it("exposes lanes.yaml's port and checks lanes.yaml's health path on it", () => {
    expect(last('EXPOSE')).toBe(String(service.port));
    expect(last('HEALTHCHECK')).toContain(`http://127.0.0.1:${service.port}${service.healthPath}`);
  });

  it('runs the same command as the local target (lanes.yaml local.run)', () => {
    const cmd = JSON.parse(last('CMD') ?? '[]') as string[];
    expect(cmd.join(' ')).toBe(service.local?.run);
  });

  it('copies the entry point it runs, and its package.json depends on @ecs-lanes/sdk', () => {
    const entry = (service.local?.run ?? '').split(' ').at(-1)!;
    expect(existsSync(path.join(dir, entry))).toBe(true);
    expect(runtime.steps.some((s) => s.keyword === 'COPY' && s.args.split(' ').includes(entry))).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@ecs-lanes/sdk']).toBeDefined();
    expect(manifest.type).toBe('module');
  });

  it('keeps node_modules and git metadata out of the build context', () => {
    const ignored = readFileSync(path.join(dir, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git']));
  });
});
