/**
 * Helpers of the local target's end-to-end tests: a demo project in its own directory (inside the checkout, so
 * the services resolve tsx and the ecs-lanes packages from its node_modules) with its own port range, and a
 * cleanup that stops every process it may have left, whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LanesConfig, laneRequestHeaders, loadConfigOrThrow } from '@ecs-lanes/core';
import { firstLocalEnvironment, prepareDemoProject } from './demo.js';
import { createLocalEnvironment, type LocalEnvironment } from './environment.js';
import { processAlive } from './lock.js';
import { killGroup } from './process.js';
import { StateStore } from './state.js';

/** The checkout's root. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The port `n` of the e2e tests' range: 7400 + n, shifted by `LANES_E2E_PORT_OFFSET` (default 0) so that
 * test runs in sibling checkouts on one machine do not collide.
 */
export function e2ePort(n: number): number {
  return 7400 + Number(process.env.LANES_E2E_PORT_OFFSET ?? 0) + n;
}

/** The example project. */
export async function exampleConfig(): Promise<{ config: LanesConfig; root: string }> {
  const file = path.join(REPO, 'examples', 'lanes.yaml');
  return { config: loadConfigOrThrow(await readFile(file, 'utf8'), file), root: path.dirname(file) };
}

/** A fresh project directory under `.lanes/e2e/` of the checkout. */
export function projectDir(name: string): string {
  return path.join(REPO, '.lanes', 'e2e', `${name}-${randomBytes(3).toString('hex')}`);
}

/** Prepares a demo project (App repos with a gray branch of orders) at `dir` with `basePort`. */
export async function demoEnvironment(dir: string, basePort: number): Promise<LocalEnvironment> {
  const { config, root } = await exampleConfig();
  const demo = await prepareDemoProject({ config, root, dir, basePort, service: 'orders', lane: 'gray' });
  return createLocalEnvironment({
    config: demo,
    env: firstLocalEnvironment(demo),
    root: dir,
    supervisor: { drainMs: 2_500 },
  });
}

/** Stops everything a project may have left running (supervisor and instances) and removes its directory. */
export async function cleanup(environment: LocalEnvironment | undefined, dir: string): Promise<void> {
  if (environment) {
    await environment.down().catch(() => {});
    const daemon = await readFile(environment.paths.daemonFile, 'utf8').catch(() => undefined);
    if (daemon) {
      const pid = (JSON.parse(daemon) as { pid: number }).pid;
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    const state = await new StateStore(environment.paths.stateFile, environment.paths.stateLock)
      .read()
      .catch(() => undefined);
    for (const record of Object.values(state?.lanes ?? {})) {
      if (record.instance) killGroup(record.instance.pid, 'SIGKILL');
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/** One answer of the demo chain. */
export interface ChainAnswer {
  service: string;
  lane: string;
  version: string;
  calls: ChainAnswer[];
}

/** GET through a gateway, optionally in a lane, given up after `timeoutMs`. @default timeout 10 s */
export async function request(url: string, lane?: string, timeoutMs = 10_000): Promise<ChainAnswer> {
  const response = await fetch(url, {
    headers: lane ? { ...laneRequestHeaders(lane, randomBytes) } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as ChainAnswer;
}

/** `service:lane` of every hop. */
export function hops(answer: ChainAnswer): string[] {
  const out: string[] = [];
  let at: ChainAnswer | undefined = answer;
  while (at) {
    out.push(`${at.service}:${at.lane}`);
    at = at.calls?.[0];
  }
  return out;
}

/** Polls `check` until it returns true. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
