/**
 * Lane instances as processes: each runs `local.run` through `/bin/sh -c` in its own process group (so that the
 * shell and everything it starts are stopped together), binds 127.0.0.1:$PORT, writes stdout and stderr straight
 * to its lane's log file (so it outlives a killed supervisor without a broken pipe), is health-checked on its
 * health path, and is restarted with exponential backoff when it exits on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALB_HEALTH_POLICY, explainingLines, type HealthPolicy, type HealthTransition } from './health.js';

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

/** Timings, injectable for tests: the health policy (ALB and ECS defaults, see health.ts) and the restart policy. */
export interface InstanceTimings extends HealthPolicy {
  /** First restart delay; doubles per crash up to {@link maxBackoffMs}. @default 250 */
  readonly backoffMs: number;
  /** @default 8000 */
  readonly maxBackoffMs: number;
  /** Healthy this long resets the backoff. @default 10000 */
  readonly stableMs: number;
  /** SIGTERM to SIGKILL. @default 5000 */
  readonly stopGraceMs: number;
}

/** The defaults: {@link ALB_HEALTH_POLICY} and the restart policy. */
export const DEFAULT_TIMINGS: InstanceTimings = {
  ...ALB_HEALTH_POLICY,
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

/** The outcome of one health check. */
export interface HealthCheckResult {
  readonly ok: boolean;
  /** What was seen: `HTTP 200`, `timeout after 5000 ms`, `ECONNREFUSED`. */
  readonly detail: string;
}

/** One GET of the health path: passes on a 2xx or 3xx answer within `timeoutMs`. */
export function checkHealth(port: number, healthPath: string, timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: healthPath, agent: false, timeout: timeoutMs },
      (r) => {
        r.resume();
        const status = r.statusCode ?? 500;
        resolve({ ok: status < 400, detail: `HTTP ${status}` });
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        detail: error.code === 'TIMEOUT' ? `timeout after ${timeoutMs} ms` : (error.code ?? error.message),
      }),
    );
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

/** How many health transitions an instance keeps for status. */
const KEPT_TRANSITIONS = 10;

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
  /** Health changes, newest last (at most 10 kept). */
  readonly transitions: HealthTransition[] = [];
  /** Every health change since the instance was created. */
  healthChanges = 0;
  /** Process exits before the instance first passed a health check. */
  exitsBeforeHealthy = 0;
  private everHealthy = false;
  private child: ChildProcess | undefined;
  private failures = 0;
  private passes = 0;
  private healthySince = 0;
  private timer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Size of the log when the instance was created: what it wrote starts there. */
  private logOffset = 0;
  private replacing = false;

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

  /** True once its process passed a health check (the ALB's registered target), until it exits or stops. */
  get registered(): boolean {
    return this.state === 'running';
  }

  /** Spawns the process and starts health checks. */
  start(): void {
    try {
      this.logOffset = statSync(this.spec.logFile).size;
    } catch {
      this.logOffset = 0;
    }
    this.spawnProcess();
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.timer = setTimeout(() => void this.check(), delay);
    this.timer.unref();
  }

  private log(message: string): void {
    try {
      appendFileSync(this.spec.logFile, `--- ${new Date().toISOString()} lanes: ${message}\n`);
    } catch {
      // the log directory went away (a removed project); nothing to report to
    }
  }

  private spawnProcess(): void {
    const { spec } = this;
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    this.log(
      `starting ${spec.service}/${spec.lane} as ${this.id} on 127.0.0.1:${this.port}${this.restarts ? ` (restart ${this.restarts})` : ''}: ${spec.run}`,
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
    this.passes = 0;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = this.replacing
          ? 'stopped by the local target because it was unhealthy (replaced, as ECS replaces an unhealthy task)'
          : signal
            ? `killed by ${signal}`
            : `exited with code ${code}`;
        this.replacing = false;
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
    const wasRegistered = this.state === 'running';
    if (wasHealthy) this.transition(false, `its process ${this.lastExit}`);
    this.healthy = false;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    if (!this.everHealthy) this.exitsBeforeHealthy++;
    this.log(`${this.id} ${this.lastExit}`);
    this.state = 'backoff';
    const stable = this.healthySince > 0 && Date.now() - this.healthySince >= this.timings.stableMs;
    if (stable) this.restarts = 0;
    const delay = Math.min(this.timings.backoffMs * 2 ** this.restarts, this.timings.maxBackoffMs);
    this.restarts++;
    this.healthySince = 0;
    this.log(`${this.id} restarts in ${delay} ms (restart ${this.restarts})`);
    if (wasHealthy || wasRegistered) this.onChange(this);
    setTimeout(() => {
      if (this.state === 'backoff') {
        this.spawnProcess();
        this.schedule(0);
      }
    }, delay).unref();
  }

  /** Records and logs a change of health. */
  private transition(healthy: boolean, reason: string): void {
    const entry: HealthTransition = { at: new Date().toISOString(), healthy, reason };
    this.transitions.push(entry);
    if (this.transitions.length > KEPT_TRANSITIONS) this.transitions.shift();
    this.healthChanges++;
    this.log(`${this.id} is ${healthy ? 'healthy' : 'unhealthy'}: ${reason}`);
  }

  private async check(): Promise<void> {
    if (this.state !== 'starting' && this.state !== 'running') return;
    const child = this.child;
    const result = await checkHealth(this.port, this.spec.healthPath, this.timings.healthTimeoutMs);
    if ((this.state !== 'starting' && this.state !== 'running') || child !== this.child) return;
    const t = this.timings;
    if (result.ok) {
      this.failures = 0;
      this.passes++;
      if (this.state === 'starting') {
        // A newly registered target is healthy after one passed check.
        this.state = 'running';
        this.healthy = true;
        this.everHealthy = true;
        this.healthySince = Date.now();
        this.transition(
          true,
          `passed its first health check (GET ${this.spec.healthPath}: ${result.detail})`,
        );
        this.onChange(this);
      } else if (!this.healthy && this.passes >= t.healthyAfter) {
        this.healthy = true;
        this.healthySince = Date.now();
        this.transition(true, `${this.passes} consecutive passed health checks`);
        this.onChange(this);
      }
    } else {
      this.passes = 0;
      if (this.healthy && ++this.failures >= t.unhealthyAfter) {
        this.healthy = false;
        this.healthySince = 0;
        this.transition(
          false,
          `${this.failures} consecutive failed health checks (GET ${this.spec.healthPath}: ${result.detail})`,
        );
        this.onChange(this);
        if (t.replaceUnhealthy && this.state === 'running') {
          this.replacing = true;
          this.log(`${this.id} is replaced: stopping its process group ${this.pid}`);
          killGroup(this.pid, 'SIGTERM');
          setTimeout(() => {
            if (child && this.child === child) killGroup(child.pid ?? 0, 'SIGKILL');
          }, t.stopGraceMs).unref();
        }
      }
    }
    this.schedule(this.state === 'running' ? t.healthIntervalMs : t.startIntervalMs);
  }

  /**
   * Resolves once healthy. Rejects when `timeoutMs` passes first, or at once when the process exited
   * {@link HealthPolicy.crashLoopAfter} times before its first passed check (ECS's circuit breaker); the message
   * holds the log lines that explain it.
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.healthy) {
      if (this.state === 'stopped' || this.state === 'stopping') throw new Error('the instance was stopped');
      const crashLoop = !this.everHealthy && this.exitsBeforeHealthy >= this.timings.crashLoopAfter;
      if (crashLoop || Date.now() > deadline) {
        const why = crashLoop
          ? `${this.spec.service}/${this.spec.lane} exited ${this.exitsBeforeHealthy} times before passing a health check (last: ${this.lastExit}); gave up as ECS's deployment circuit breaker does`
          : `${this.spec.service}/${this.spec.lane} did not answer GET ${this.spec.healthPath} on 127.0.0.1:${this.port} within ${Math.round(timeoutMs / 1000)}s` +
            `${this.lastExit ? ` (its process ${this.lastExit}; restarted ${this.restarts} times)` : ''}`;
        throw new Error(`${why}. From ${this.spec.logFile}:\n${await this.explainLog()}`);
      }
      await sleep(20);
    }
  }

  /** The lines of this instance's log that explain a failure (see {@link explainingLines}). */
  async explainLog(): Promise<string> {
    const text = await readFile(this.spec.logFile, 'utf8').catch(() => '');
    return explainingLines(Buffer.from(text).subarray(this.logOffset).toString('utf8'));
  }

  /** Stops the process group: SIGTERM, then SIGKILL after the grace time. No restart. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    this.healthy = false;
    if (this.timer) clearTimeout(this.timer);
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

/** Pids of the processes whose environment carries `LANES_INSTANCE_ID=id` (from /proc; none where there is none). */
export function processesOfInstance(id: string): number[] {
  const wanted = `${INSTANCE_ID_ENV}=${id}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * Stops every process of an instance left by a supervisor that was killed: the group of `pid` when its leader
 * still carries the instance id, and any other process that carries it (an instance recorded before its pid was).
 */
export async function stopInstanceProcesses(id: string, pid: number): Promise<boolean> {
  let stopped = pid > 0 ? await stopOrphan(pid, id) : false;
  for (const other of processesOfInstance(id)) {
    if (await stopOrphan(other, id)) stopped = true;
    else {
      try {
        process.kill(other, 'SIGKILL');
        stopped = true;
      } catch {
        // gone
      }
    }
  }
  return stopped;
}
