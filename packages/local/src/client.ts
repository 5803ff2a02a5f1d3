/**
 * The CLI side's link to the supervisor: finds it (its run file and `GET /v1/health`), starts it detached when
 * needed (under a lock, so two commands never start two), and calls its control API.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonFile, writeFileAtomic } from './atomic.js';
import { processAlive, withLock } from './lock.js';
import type { LocalPaths } from './paths.js';
import type { SupervisorSpec } from './supervisor.js';

/** The run file of a supervisor. */
export interface DaemonInfo {
  readonly pid: number;
  readonly env: string;
  readonly controlPort: number;
  readonly startedAt: string;
}

/** An error answered by the supervisor's control API. */
export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlApiError';
  }
}

/** Calls the control API; JSON in and out. */
export async function callControl<T>(
  port: number,
  method: string,
  pathname: string,
  body?: unknown,
  timeoutMs = 300_000,
): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${pathname}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as { error?: string }) : {};
  if (!response.ok) throw new ControlApiError(response.status, parsed.error ?? `HTTP ${response.status}`);
  return parsed as T;
}

/** The running supervisor of this environment, or undefined. */
export async function findSupervisor(paths: LocalPaths, env: string): Promise<DaemonInfo | undefined> {
  const info = await readJsonFile<DaemonInfo>(paths.daemonFile).catch(() => undefined);
  if (info === undefined || !processAlive(info.pid)) return undefined;
  try {
    const health = await callControl<{ pid: number; env: string; root: string }>(
      info.controlPort,
      'GET',
      '/v1/health',
      undefined,
      2_000,
    );
    return health.pid === info.pid && health.env === env ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How to start the supervisor's entry point beside this module: the compiled `supervisor-main.js` on plain Node
 * (what users install), or, when this module runs from its TypeScript source (this repository's tests), the
 * source through tsx with the `@ecs-lanes/source` export condition, so that tests never run stale builds.
 */
function supervisorCommand(): string[] {
  if (import.meta.url.endsWith('.ts')) {
    const main = fileURLToPath(new URL('./supervisor-main.ts', import.meta.url));
    return ['--conditions=@ecs-lanes/source', '--import', import.meta.resolve('tsx'), main];
  }
  return [fileURLToPath(new URL('./supervisor-main.js', import.meta.url))];
}

/**
 * Returns the running supervisor, starting it first when there is none.
 * @throws Error with the supervisor's own reason when it cannot start (a port in use, ...)
 */
export async function ensureSupervisor(paths: LocalPaths, spec: SupervisorSpec): Promise<DaemonInfo> {
  const running = await findSupervisor(paths, spec.env);
  if (running) return running;
  return withLock(
    paths.daemonStartLock,
    async () => {
      const again = await findSupervisor(paths, spec.env);
      if (again) return again;
      const specFile = path.join(path.dirname(paths.daemonFile), `${spec.env}.supervisor.json`);
      await writeFileAtomic(specFile, JSON.stringify(spec, null, 2));
      mkdirSync(path.dirname(paths.daemonLog), { recursive: true });
      const log = openSync(paths.daemonLog, 'a');
      const child = spawn(process.execPath, [...supervisorCommand(), specFile], {
        cwd: spec.root,
        detached: true,
        stdio: ['ignore', log, log, 'ipc'],
      });
      closeSync(log);
      const outcome = await new Promise<{ ready?: boolean; error?: string }>((resolve) => {
        const timer = setTimeout(
          () => resolve({ error: `the supervisor did not start within 30s; see ${paths.daemonLog}` }),
          30_000,
        );
        child.once('message', (message) => {
          clearTimeout(timer);
          resolve(message as { ready?: boolean; error?: string });
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ error: `the supervisor exited with code ${code}; see ${paths.daemonLog}` });
        });
      });
      if (child.connected) child.disconnect();
      child.unref();
      if (!outcome.ready) throw new Error(outcome.error ?? 'the supervisor did not start');
      const info = await readJsonFile<DaemonInfo>(paths.daemonFile);
      if (!info) throw new Error(`the supervisor started but wrote no ${paths.daemonFile}`);
      return info;
    },
    { what: `starting the local environment "${spec.env}"`, timeoutMs: 60_000, staleMs: 120_000 },
  );
}
