/**
 * Lane instances as processes: each runs `local.run` through `/bin/sh -c` in its own process group (so that the
 * shell and everything it starts are stopped together), binds 127.0.0.1:$PORT, writes stdout and stderr straight
 * to its lane's log file (so it outlives a killed supervisor without a broken pipe), is health-checked on its
 * health path, and is restarted with exponential backoff when it exits on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What starts one instance. */
export interface InstanceSpec {
  readonly service: string;
  readonly lane: string;
  /** Working directory. */
  readonly dir: string;
  /** Shell command (`local.run`). */
  readonly run: string;
  readonly healthPath: string;
  /** Appended to, never truncated. */
  readonly logFile: string;
  /** Extra environment (PORT is added). */
  readonly env: Readonly<Record<string, string>>;
}

/** Timings, injectable for tests. */
export interface InstanceTimings {
  /** Between health checks. @default 500 */
  readonly healthIntervalMs: number;
  /** One health check. @default 1000 */
  readonly healthTimeoutMs: number;
  /** Consecutive failed checks before a healthy instance counts as unhealthy. @default 2 */
  readonly unhealthyAfter: number;
  /** First restart delay; doubles per crash up to {@link maxBackoffMs}. @default 250 */
  readonly backoffMs: number;
  /** @default 8000 */
  readonly maxBackoffMs: number;
  /** Healthy this long resets the backoff. @default 10000 */
  readonly stableMs: number;
  /** SIGTERM to SIGKILL. @default 5000 */
  readonly stopGraceMs: number;
}

export const DEFAULT_TIMINGS: InstanceTimings = {
  healthIntervalMs: 500,
  healthTimeoutMs: 1_000,
  unhealthyAfter: 2,
  backoffMs: 250,
  maxBackoffMs: 8_000,
  stableMs: 10_000,
  stopGraceMs: 5_000,
};

/** Environment variable carrying an instance's id; also how a restarted supervisor recognises its orphans. */
export const INSTANCE_ID_ENV = 'LANES_INSTANCE_ID';

/** A free TCP port on 127.0.0.1, from the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Rejects with a clear message when something listens on 127.0.0.1:`port`. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} (${what}) is in use by another process; stop it or change basePort in lanes.yaml`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** One GET of the health path: true on a 2xx or 3xx answer. */
export function checkHealth(port: number, healthPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: healthPath, agent: false, timeout: timeoutMs },
      (r) => {
        r.resume();
        resolve((r.statusCode ?? 500) < 400);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
  });
}

/** The last `lines` lines of a file ('' when it cannot be read). */
export async function tailFile(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
    .trimEnd();
}

/** Where an instance is in its life. */
export type InstanceState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

/** One supervised instance: spawned, health-checked, restarted until stopped. */
export class Instance {
  readonly id: string;
  pid = 0;
  healthy = false;
  state: InstanceState = 'starting';
  restarts = 0;
  startedAt = new Date().toISOString();
  /** Why the last process ended, for status. */
  lastExit: string | undefined;
  private child: ChildProcess | undefined;
  private failures = 0;
  private healthySince = 0;
  private timer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();

  /**
   * @param onChange called when health or pid changes (the supervisor re-routes and persists)
   */
  constructor(
    readonly spec: InstanceSpec,
    readonly port: number,
    private readonly onChange: (instance: Instance) => void,
    private readonly timings: InstanceTimings = DEFAULT_TIMINGS,
  ) {
    this.id = `${spec.service}-${spec.lane}-${randomBytes(4).toString('hex')}`;
  }

  /** Spawns the process and starts health checks. */
  start(): void {
    this.spawnProcess();
    this.timer = setInterval(() => void this.check(), this.timings.healthIntervalMs);
    this.timer.unref();
    void this.check();
  }

  private spawnProcess(): void {
    const { spec } = this;
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    appendFileSync(
      spec.logFile,
      `--- ${new Date().toISOString()} lanes: starting ${spec.service}/${spec.lane} as ${this.id} on 127.0.0.1:${this.port}${this.restarts ? ` (restart ${this.restarts})` : ''}: ${spec.run}\n`,
    );
    const fd = openSync(spec.logFile, 'a');
    try {
      this.child = spawn('/bin/sh', ['-c', spec.run], {
        cwd: spec.dir,
        env: { ...process.env, ...spec.env, PORT: String(this.port), [INSTANCE_ID_ENV]: this.id },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    this.pid = child.pid ?? 0;
    this.startedAt = new Date().toISOString();
    this.state = 'starting';
    this.failures = 0;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve();
        this.onExit(child);
      });
      child.once('error', (error) => {
        this.lastExit = `could not start: ${error.message}`;
      });
    });
    this.onChange(this);
  }

  private onExit(child: ChildProcess): void {
    if (child !== this.child) return;
    // Kill what the shell may have left in the group.
    killGroup(child.pid ?? 0, 'SIGKILL');
    const wasHealthy = this.healthy;
    this.healthy = false;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    appendFileSync(this.spec.logFile, `--- ${new Date().toISOString()} lanes: ${this.id} ${this.lastExit}\n`);
    this.state = 'backoff';
    const stable = this.healthySince > 0 && Date.now() - this.healthySince >= this.timings.stableMs;
    if (stable) this.restarts = 0;
    const delay = Math.min(this.timings.backoffMs * 2 ** this.restarts, this.timings.maxBackoffMs);
    this.restarts++;
    this.healthySince = 0;
    if (wasHealthy) this.onChange(this);
    setTimeout(() => {
      if (this.state === 'backoff') this.spawnProcess();
    }, delay).unref();
  }

  private async check(): Promise<void> {
    if (this.state !== 'starting' && this.state !== 'running') return;
    const ok = await checkHealth(this.port, this.spec.healthPath, this.timings.healthTimeoutMs);
    if (this.state !== 'starting' && this.state !== 'running') return;
    if (ok) {
      this.failures = 0;
      if (!this.healthy) {
        this.healthy = true;
        this.state = 'running';
        this.healthySince = Date.now();
        this.onChange(this);
      }
    } else if (this.healthy && ++this.failures >= this.timings.unhealthyAfter) {
      this.healthy = false;
      this.healthySince = 0;
      this.onChange(this);
    }
  }

  /** Resolves once healthy; rejects when `timeoutMs` passes first (the log's last lines in the message). */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.healthy) {
      if (this.state === 'stopped' || this.state === 'stopping') throw new Error('the instance was stopped');
      if (Date.now() > deadline) {
        const tail = await tailFile(this.spec.logFile, 15);
        throw new Error(
          `${this.spec.service}/${this.spec.lane} did not answer GET ${this.spec.healthPath} on 127.0.0.1:${this.port} within ${Math.round(timeoutMs / 1000)}s` +
            `${this.lastExit ? ` (its process ${this.lastExit}; restarted ${this.restarts} times)` : ''}. Last lines of ${this.spec.logFile}:\n${tail}`,
        );
      }
      await sleep(100);
    }
  }

  /** Stops the process group: SIGTERM, then SIGKILL after the grace time. No restart. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    this.healthy = false;
    if (this.timer) clearInterval(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      killGroup(this.pid, 'SIGTERM');
      const killed = await Promise.race([
        this.exited.then(() => true),
        sleep(this.timings.stopGraceMs).then(() => false),
      ]);
      if (!killed) {
        killGroup(this.pid, 'SIGKILL');
        await this.exited;
      }
    }
    killGroup(this.pid, 'SIGKILL');
    this.state = 'stopped';
  }
}

/** Sends `signal` to process group `pid` (ignores a group that is gone). */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** True while any process of group `pid` is alive. */
export function groupAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a process group left by a supervisor that was killed: only when its leader still carries
 * `LANES_INSTANCE_ID=id` (so a reused pid is never touched), where /proc tells; SIGTERM, then SIGKILL.
 */
export async function stopOrphan(pid: number, id: string, graceMs = 3_000): Promise<boolean> {
  if (!groupAlive(pid)) return false;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => undefined);
  if (environ !== undefined && !environ.split('\0').includes(`${INSTANCE_ID_ENV}=${id}`)) return false;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  killGroup(pid, 'SIGKILL');
  while (groupAlive(pid) && Date.now() < deadline + 2_000) await sleep(50);
  return true;
}
