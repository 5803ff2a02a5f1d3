/**
 * The local target: the `LaneTarget` of an environment whose target is `local`, plus what only it has
 * (`up`, `down`, log files). Runs in the `lanes` command's process; everything that must outlive the command
 * (processes, gateways, registry) is owned by the supervisor it starts (supervisor.ts).
 *
 * A deploy: validate (service, lane, branch) → take the lane's lock → check out the branch's commit as a git
 * worktree under `.lanes/worktrees/` → run `local.build` there → ask the supervisor to start it, wait for its
 * health, switch routing, then stop the previous instance.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  assertLaneName,
  type DeployLaneRequest,
  type DeployResult,
  findService,
  InvalidLaneNameError,
  type LaneRef,
  type LaneState,
  type LaneStatusReport,
  type LaneSummary,
  type LanesConfig,
  type LaneTarget,
  type LocalEnvironmentConfig,
  type ProgressListener,
  type RemoveResult,
  type ServiceConfig,
  servicesInStartOrder,
  UnknownNameError,
  UserError,
  type VerifyCheck,
  withLane,
} from '@ecs-lanes/core';
import { ControlApiError, callControl, ensureSupervisor, findSupervisor } from './client.js';
import { GATEWAY_LANE_HEADER } from './gateway.js';
import { type AppSource, checkout, removeWorktree, resolveSource, WORKING_TREE } from './git.js';
import { withLock } from './lock.js';
import {
  type LocalPaths,
  type LocalPorts,
  laneKey,
  laneLockFile,
  laneLogFile,
  localPaths,
  localPorts,
} from './paths.js';
import { stopOrphan, tailFile } from './process.js';
import { StateStore, withLaneRecord } from './state.js';
import type { DeployCommand, RuntimeLane, SupervisorSpec } from './supervisor.js';

/** Options of {@link createLocalTarget}. */
export interface LocalTargetOptions {
  readonly config: LanesConfig;
  readonly env: LocalEnvironmentConfig;
  /** Directory of lanes.yaml; state lives in `{root}/.lanes/`. */
  readonly root: string;
  /** Supervisor tuning (tests shorten the drain time). @default the supervisor's defaults */
  readonly supervisor?: Pick<SupervisorSpec, 'drainMs' | 'healthTimeoutMs' | 'timings'>;
}

/** The local target of one environment. */
export function createLocalTarget(options: LocalTargetOptions): LaneTarget {
  return new LocalEnvironment(options);
}

/** The local target with its local-only operations (`lanes up`, `down`, `logs`). */
export function createLocalEnvironment(options: LocalTargetOptions): LocalEnvironment {
  return new LocalEnvironment(options);
}

/** Marker written in a worktree once `local.build` succeeded there. */
const BUILT_MARKER = '.lanes-built';

/** The local target of one environment. */
export class LocalEnvironment implements LaneTarget {
  readonly config: LanesConfig;
  readonly env: LocalEnvironmentConfig;
  readonly root: string;
  readonly paths: LocalPaths;
  readonly ports: LocalPorts;
  private readonly store: StateStore;
  private readonly tuning: LocalTargetOptions['supervisor'];

  constructor(options: LocalTargetOptions) {
    this.config = options.config;
    this.env = options.env;
    this.root = path.resolve(options.root);
    this.paths = localPaths(this.root, this.env.name);
    this.ports = localPorts(this.config, this.env);
    this.store = new StateStore(this.paths.stateFile, this.paths.stateLock);
    this.tuning = options.supervisor;
  }

  /** The URL of a service's gateway. */
  gatewayUrl(service: string): string {
    return `http://127.0.0.1:${this.gatewayPort(service)}`;
  }

  /** The registry's URL. */
  get registryUrl(): string {
    return `http://127.0.0.1:${this.ports.registry}`;
  }

  private gatewayPort(service: string): number {
    const port = this.ports.gateways.get(service);
    if (port === undefined) findService(this.config, service); // throws the clear error
    return port!;
  }

  private supervisorSpec(): SupervisorSpec {
    return {
      root: this.root,
      env: this.env.name,
      baseline: this.env.baselineLane,
      controlPort: this.ports.control,
      registryPort: this.ports.registry,
      gateways: Object.fromEntries(this.ports.gateways),
      ...this.tuning,
    };
  }

  private checkRef(ref: LaneRef): ServiceConfig {
    if (ref.env !== this.env.name) {
      throw new UserError(`this local target serves environment "${this.env.name}", not "${ref.env}"`);
    }
    const service = findServiceOrUserError(this.config, ref.service);
    try {
      assertLaneName(ref.lane);
    } catch (error) {
      if (error instanceof InvalidLaneNameError) throw new UserError(error.message, { cause: error });
      throw error;
    }
    return service;
  }

  /** The running supervisor (started when needed). */
  private async supervisor(progress?: ProgressListener) {
    const running = await findSupervisor(this.paths, this.env.name);
    if (running) return running;
    progress?.({
      phase: 'supervisor',
      message: `starting the local environment "${this.env.name}" (gateways from port ${this.env.basePort})`,
    });
    try {
      return await ensureSupervisor(this.paths, this.supervisorSpec());
    } catch (error) {
      throw new UserError(
        `cannot start the local environment "${this.env.name}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // deploy / rollback
  // -------------------------------------------------------------------------------------------------------------

  async deploy(request: DeployLaneRequest, progress?: ProgressListener): Promise<DeployResult> {
    const service = this.checkRef(request);
    if (request.commit !== undefined) {
      throw new UserError(
        `--commit is for AWS environments; on the local target deploy a branch (or check the commit out on one): --branch BRANCH`,
      );
    }
    const branch = request.branch ?? service.appRepo.branch;
    return this.deployRev(
      request,
      service,
      branch,
      branch,
      request.branch !== undefined,
      request.dryRun ?? false,
      progress,
    );
  }

  async rollback(
    ref: LaneRef & { readonly to?: string; readonly dryRun?: boolean },
    progress?: ProgressListener,
  ): Promise<DeployResult> {
    const service = this.checkRef(ref);
    const record = (await this.store.read()).lanes[laneKey(ref.service, ref.lane)];
    if (record === undefined) throw this.noLane(ref);
    const target = ref.to ?? record.previous?.commit;
    if (target === undefined) {
      throw new UserError(
        `lane ${ref.lane} of ${ref.service} has no previous version to roll back to; pass --to <commit>`,
      );
    }
    const branch = ref.to === undefined ? (record.previous?.branch ?? record.branch) : record.branch;
    return this.deployRev(ref, service, target, branch, true, ref.dryRun ?? false, progress);
  }

  private async deployRev(
    ref: LaneRef,
    service: ServiceConfig,
    rev: string,
    branch: string,
    explicit: boolean,
    dryRun: boolean,
    progress?: ProgressListener,
  ): Promise<DeployResult> {
    const local = service.local;
    const localPath = service.appRepo.localPath;
    if (local === undefined || localPath === undefined) {
      throw new UserError(
        `service ${service.name} has no local.run or appRepo.localPath; add them to lanes.yaml`,
      );
    }
    const source = await resolveSource(service.name, path.resolve(this.root, localPath), rev, explicit);
    const short = source.commit === WORKING_TREE ? WORKING_TREE : source.commit.slice(0, 12);
    const worktree = path.join(this.paths.worktreesDir, ref.service, ref.lane, short);
    const actions = [
      source.kind === 'git'
        ? `check out ${branch} (${short}) of ${source.repo} at ${path.relative(this.root, worktree)}`
        : `run ${source.dir} as it is (not a git repository)`,
      ...(local.build ? [`build: ${local.build}`] : []),
      `start: ${local.run} (PORT, ENV=${this.env.name}, LANE=${ref.lane}, LANES_REGISTRY_URL=${this.registryUrl})`,
      `wait for GET ${service.healthPath}`,
      ref.lane === this.env.baselineLane
        ? `route ${this.gatewayUrl(ref.service)} (default) to it`
        : `route ${this.gatewayUrl(ref.service)} requests with tracestate ctx=lane:${ref.lane} to it`,
      'stop the previous instance of the lane, if any',
    ];
    const result = {
      service: ref.service,
      env: ref.env,
      lane: ref.lane,
      actions,
      url: this.gatewayUrl(ref.service),
    };
    if (dryRun) return { ...result, dryRun: true, version: short };

    return withLock(
      laneLockFile(this.paths, ref.service, ref.lane),
      async () => {
        const info = await this.supervisor(progress);
        const dir = await this.prepare(ref, source, worktree, local.build, branch, progress);
        progress?.({
          phase: 'start',
          message: `starting ${ref.service}/${ref.lane} at ${short} and waiting for GET ${service.healthPath}`,
        });
        const command: DeployCommand = {
          service: ref.service,
          lane: ref.lane,
          commit: source.commit,
          branch,
          dir,
          run: local.run,
          healthPath: service.healthPath,
          gatewayPort: this.gatewayPort(ref.service),
        };
        let runtime: RuntimeLane;
        try {
          runtime = await callControl<RuntimeLane>(
            info.controlPort,
            'PUT',
            `/v1/lanes/${ref.service}/${ref.lane}`,
            command,
          );
        } catch (error) {
          if (error instanceof ControlApiError && error.status < 500) {
            throw new UserError(
              `deploying lane ${ref.lane} of ${ref.service} failed; the lane's previous version (if any) still serves: ${error.message}`,
              { cause: error },
            );
          }
          throw new Error(`deploying lane ${ref.lane} of ${ref.service}`, { cause: error });
        }
        progress?.({
          phase: 'route',
          message: `${ref.service}/${ref.lane} serves ${short} on port ${runtime.instance?.port}`,
        });
        await this.pruneWorktrees(ref, worktree);
        return { ...result, dryRun: false, version: short };
      },
      { what: `lane ${ref.lane} of ${ref.service}`, timeoutMs: 600_000, staleMs: 900_000 },
    );
  }

  /** Checks out and builds; returns the directory the service runs in. */
  private async prepare(
    ref: LaneRef,
    source: AppSource,
    worktree: string,
    build: string | undefined,
    branch: string,
    progress?: ProgressListener,
  ): Promise<string> {
    let dir: string;
    if (source.kind === 'git') {
      progress?.({
        phase: 'checkout',
        message: `${branch} (${source.commit.slice(0, 12)}) → ${path.relative(this.root, worktree)}`,
      });
      dir = await checkout(source, worktree);
    } else {
      dir = source.dir;
    }
    const marker = path.join(source.kind === 'git' ? worktree : dir, BUILT_MARKER);
    if (build && (source.kind === 'plain' || !existsSync(marker))) {
      progress?.({ phase: 'build', message: build });
      await runBuild(build, dir, laneLogFile(this.paths, ref.service, ref.lane), ref);
      if (source.kind === 'git') await writeFile(marker, `${new Date().toISOString()}\n`);
    }
    return dir;
  }

  /** Removes the lane's worktrees other than `keep`. */
  private async pruneWorktrees(ref: LaneRef, keep: string): Promise<void> {
    const laneDir = path.dirname(keep);
    const entries = await readdir(laneDir).catch(() => [] as string[]);
    for (const entry of entries) {
      const dest = path.join(laneDir, entry);
      if (dest !== keep) await removeWorktree(dest).catch(() => {});
    }
    void ref;
  }

  // -------------------------------------------------------------------------------------------------------------
  // remove
  // -------------------------------------------------------------------------------------------------------------

  async remove(
    ref: LaneRef & { readonly force?: boolean; readonly dryRun?: boolean },
    progress?: ProgressListener,
  ): Promise<RemoveResult> {
    this.checkRef(ref);
    if (ref.lane === this.env.baselineLane && !ref.force) {
      throw new UserError(
        `lane ${ref.lane} is the baseline of ${ref.service}: every request without a lane goes there; pass --force to remove it anyway`,
      );
    }
    const key = laneKey(ref.service, ref.lane);
    const record = (await this.store.read()).lanes[key];
    if (record === undefined) throw this.noLane(ref);
    const actions = [
      ref.lane === this.env.baselineLane
        ? `remove the default route of ${this.gatewayUrl(ref.service)}`
        : `remove the rule tracestate ctx=lane:${ref.lane} from ${this.gatewayUrl(ref.service)} and the lane from the registry`,
      `stop the process${record.instance ? ` (pid ${record.instance.pid})` : ''}`,
      `remove its worktree and state`,
    ];
    const result = { service: ref.service, env: ref.env, lane: ref.lane, actions };
    if (ref.dryRun) return { ...result, dryRun: true };
    await withLock(
      laneLockFile(this.paths, ref.service, ref.lane),
      async () => {
        const running = await findSupervisor(this.paths, this.env.name);
        progress?.({
          phase: 'route',
          message: `removing the route of ${ref.service}/${ref.lane}, then its process`,
        });
        if (running) {
          await callControl(running.controlPort, 'DELETE', `/v1/lanes/${ref.service}/${ref.lane}`).catch(
            (error) => {
              if (!(error instanceof ControlApiError && error.status === 404)) throw error;
            },
          );
        } else {
          if (record.instance) await stopOrphan(record.instance.pid, record.instance.id);
          await this.store.update((state) => withLaneRecord(state, key, undefined));
        }
        await removeWorktree(
          path.join(this.paths.worktreesDir, ref.service, ref.lane, shortOf(record.commit)),
        ).catch(() => {});
      },
      { what: `lane ${ref.lane} of ${ref.service}`, timeoutMs: 600_000, staleMs: 900_000 },
    );
    return { ...result, dryRun: false };
  }

  // -------------------------------------------------------------------------------------------------------------
  // list / status / verify
  // -------------------------------------------------------------------------------------------------------------

  /** Every lane with its process, from the supervisor when it runs, else from the state file. */
  async runtime(): Promise<{ running: boolean; lanes: RuntimeLane[] }> {
    const info = await findSupervisor(this.paths, this.env.name);
    if (info) {
      try {
        const { lanes } = await callControl<{ lanes: RuntimeLane[] }>(
          info.controlPort,
          'GET',
          '/v1/lanes',
          undefined,
          10_000,
        );
        return { running: true, lanes };
      } catch {
        // fall through to the state file
      }
    }
    const state = await this.store.read();
    return { running: false, lanes: Object.values(state.lanes).map((record) => ({ record, routed: false })) };
  }

  async list(filter?: { readonly service?: string }): Promise<LaneSummary[]> {
    if (filter?.service !== undefined) findServiceOrUserError(this.config, filter.service);
    const { running, lanes } = await this.runtime();
    return lanes
      .filter((l) => filter?.service === undefined || l.record.service === filter.service)
      .map((l) => this.summary(l, running))
      .sort(
        (a, b) =>
          a.service.localeCompare(b.service) ||
          Number(b.baseline) - Number(a.baseline) ||
          a.lane.localeCompare(b.lane),
      );
  }

  private summary(lane: RuntimeLane, running: boolean): LaneSummary {
    const { record, instance } = lane;
    let state: LaneState;
    let detail: string;
    if (!running) {
      state = 'stopped';
      detail = 'the local environment is down (lanes up starts it)';
    } else if (instance === undefined) {
      state = 'unknown';
      detail = 'no process';
    } else if (instance.healthy) {
      state = 'serving';
      detail = `pid ${instance.pid}, port ${instance.port}${instance.restarts ? `, ${instance.restarts} restarts` : ''}`;
    } else if (instance.state === 'starting' && instance.restarts === 0) {
      state = 'creating';
      detail = `starting (pid ${instance.pid}, port ${instance.port})`;
    } else {
      state = 'failed';
      detail = `${instance.state === 'backoff' ? 'restarting' : 'unhealthy'}${instance.lastExit ? ` (${instance.lastExit})` : ''}, ${instance.restarts} restarts`;
    }
    return {
      service: record.service,
      env: this.env.name,
      lane: record.lane,
      baseline: record.lane === this.env.baselineLane,
      version: shortOf(record.commit),
      branch: record.branch,
      state,
      detail,
      running: instance && instance.state !== 'stopped' ? 1 : 0,
      desired: 1,
      healthy: instance?.healthy ? 1 : 0,
      createdAt: record.createdAt,
      url: this.gatewayUrl(record.service),
    };
  }

  async status(ref: LaneRef): Promise<LaneStatusReport> {
    this.checkRef(ref);
    const { running, lanes } = await this.runtime();
    const lane = lanes.find((l) => l.record.service === ref.service && l.record.lane === ref.lane);
    if (lane === undefined) throw this.noLane(ref);
    const { record, instance } = lane;
    const details: [string, string][] = [
      ['commit', record.commit],
      ['branch', record.branch],
      ['previous', record.previous ? `${shortOf(record.previous.commit)} (${record.previous.branch})` : '-'],
      ['directory', record.dir],
      ['command', record.run],
      [
        'gateway',
        `${this.gatewayUrl(record.service)}${record.lane === this.env.baselineLane ? ' (default route)' : ` with tracestate: ctx=lane:${record.lane}`}`,
      ],
      ['routed', lane.routed ? 'yes' : 'no'],
      [
        'registry',
        `${this.registryUrl}/v1/discover?namespace=${this.env.name}.local&service=${record.service}`,
      ],
      ['log', laneLogFile(this.paths, record.service, record.lane)],
    ];
    if (instance) {
      details.push(
        ['instance', `${instance.id} pid ${instance.pid} on 127.0.0.1:${instance.port}`],
        [
          'process',
          `${instance.state}, ${instance.healthy ? 'healthy' : 'not healthy'}, started ${instance.startedAt}`,
        ],
        ['restarts', `${instance.restarts}${instance.lastExit ? ` (last: ${instance.lastExit})` : ''}`],
      );
    }
    return { summary: this.summary(lane, running), details };
  }

  async verify(ref: LaneRef, progress?: ProgressListener): Promise<VerifyCheck[]> {
    const service = this.checkRef(ref);
    const { running, lanes } = await this.runtime();
    const lane = lanes.find((l) => l.record.service === ref.service && l.record.lane === ref.lane);
    if (lane === undefined) throw this.noLane(ref);
    const checks: VerifyCheck[] = [];
    const healthy = running && lane.instance?.healthy === true;
    checks.push({
      name: 'healthy instances > 0',
      status: healthy ? 'OK' : 'NG',
      detail: running ? `${healthy ? 1 : 0} of 1 healthy` : 'the local environment is down',
    });
    progress?.({ phase: 'verify', message: `${checks[0]!.name}: ${checks[0]!.status}` });
    const baseline = ref.lane === this.env.baselineLane;
    const headers: Record<string, string> = baseline ? {} : { tracestate: withLane(undefined, ref.lane) };
    const url = this.gatewayUrl(ref.service);
    if (!running) {
      checks.push({
        name: `GET ${service.healthPath} through the gateway`,
        status: 'SKIP',
        detail: 'the local environment is down',
      });
      checks.push({
        name: 'a request in the lane is answered by the lane',
        status: 'SKIP',
        detail: 'the local environment is down',
      });
      return checks;
    }
    const health = await get(`${url}${service.healthPath}`, headers);
    const routedTo = health.headers?.get(GATEWAY_LANE_HEADER) ?? undefined;
    checks.push({
      name: `GET ${service.healthPath} through the gateway`,
      status: health.status !== undefined && health.status < 400 && routedTo === ref.lane ? 'OK' : 'NG',
      detail: health.error ?? `HTTP ${health.status}, routed to lane ${routedTo ?? '?'}`,
    });
    progress?.({ phase: 'verify', message: `${checks[1]!.name}: ${checks[1]!.status}` });
    const answer = await get(`${url}/`, headers);
    let reported = answer.headers?.get('x-lanes-lane') ?? undefined;
    if (reported === undefined && answer.body) {
      try {
        const lane = (JSON.parse(answer.body) as { lane?: unknown }).lane;
        if (typeof lane === 'string') reported = lane;
      } catch {
        // not JSON
      }
    }
    checks.push({
      name: `a request ${baseline ? 'without a lane' : `with tracestate ctx=lane:${ref.lane}`} is answered by lane ${ref.lane}`,
      status: reported === ref.lane ? 'OK' : 'NG',
      detail:
        answer.error ??
        (reported === undefined
          ? `HTTP ${answer.status}; the service did not report its lane (x-lanes-lane header or "lane" in a JSON body)`
          : `HTTP ${answer.status}, answered by lane ${reported}`),
    });
    progress?.({ phase: 'verify', message: `${checks[2]!.name}: ${checks[2]!.status}` });
    return checks;
  }

  // -------------------------------------------------------------------------------------------------------------
  // up / down / logs
  // -------------------------------------------------------------------------------------------------------------

  /**
   * Starts the environment: the supervisor (which brings back every lane of the state file), then the baseline
   * of every service that has none yet, in dependency order; resolves when every lane is healthy.
   */
  async up(progress?: ProgressListener, timeoutMs = 90_000): Promise<LaneSummary[]> {
    await this.supervisor(progress);
    const state = await this.store.read();
    for (const service of servicesInStartOrder(this.config)) {
      if (state.lanes[laneKey(service.name, this.env.baselineLane)] !== undefined) continue;
      progress?.({ phase: 'deploy', message: `baseline of ${service.name} from ${service.appRepo.branch}` });
      await this.deploy({ service: service.name, env: this.env.name, lane: this.env.baselineLane }, progress);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lanes = await this.list();
      const waiting = lanes.filter((l) => l.state !== 'serving');
      if (waiting.length === 0) return lanes;
      if (Date.now() > deadline) {
        throw new UserError(
          `not every lane became healthy within ${Math.round(timeoutMs / 1000)}s: ${waiting.map((l) => `${l.service}/${l.lane} (${l.detail})`).join(', ')}; see lanes logs`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the environment: every process and the supervisor. Lanes stay declared; `up` brings them back. */
  async down(progress?: ProgressListener): Promise<{ stopped: boolean }> {
    const info = await findSupervisor(this.paths, this.env.name);
    if (info) {
      progress?.({
        phase: 'down',
        message: `stopping the local environment "${this.env.name}" (supervisor pid ${info.pid})`,
      });
      await callControl(info.controlPort, 'POST', '/v1/shutdown').catch(() => {});
      const deadline = Date.now() + 20_000;
      while (isAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (isAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
    }
    // Processes orphaned by a supervisor that was killed are stopped too.
    const state = await this.store.read();
    let orphans = false;
    for (const record of Object.values(state.lanes)) {
      if (record.instance && (await stopOrphan(record.instance.pid, record.instance.id))) orphans = true;
    }
    if (orphans || Object.values(state.lanes).some((r) => r.instance)) {
      await this.store.update((s) => {
        let next = s;
        for (const [key, record] of Object.entries(s.lanes)) {
          if (record.instance) next = withLaneRecord(next, key, { ...record, instance: undefined });
        }
        return next;
      });
    }
    return { stopped: info !== undefined || orphans };
  }

  /** The log file of a lane. @throws UserError for an unknown service or invalid lane */
  logFile(service: string, lane: string): string {
    this.checkRef({ service, lane, env: this.env.name });
    return laneLogFile(this.paths, service, lane);
  }

  private noLane(ref: LaneRef): UserError {
    return new UserError(
      `there is no lane ${ref.lane} of ${ref.service} in environment ${ref.env} (lanes ls lists the lanes)`,
    );
  }
}

function findServiceOrUserError(config: LanesConfig, name: string): ServiceConfig {
  try {
    return findService(config, name);
  } catch (error) {
    if (error instanceof UnknownNameError) throw new UserError(error.message, { cause: error });
    throw error;
  }
}

function shortOf(commit: string): string {
  return commit === WORKING_TREE ? commit : commit.slice(0, 12);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `local.build` in `dir`; its output goes to the lane's log. @throws UserError with the output's tail */
async function runBuild(command: string, dir: string, logFile: string, ref: LaneRef): Promise<void> {
  await mkdir(path.dirname(logFile), { recursive: true });
  await appendFile(
    logFile,
    `--- ${new Date().toISOString()} lanes: building ${ref.service}/${ref.lane}: ${command}\n`,
  );
  const code = await new Promise<number>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const write = (chunk: Buffer) => void appendFile(logFile, chunk).catch(() => {});
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    child.on('error', () => resolve(127));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    await new Promise((r) => setTimeout(r, 20));
    throw new UserError(
      `building ${ref.service}/${ref.lane} failed (${command} exited with ${code}); nothing was switched. Last lines of ${logFile}:\n${await tailFile(logFile, 15)}`,
    );
  }
}

/** A GET that never throws. */
async function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status?: number; headers?: Headers; body?: string; error?: string }> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (error) {
    return { error: `GET ${url} failed: ${(error as Error).message}` };
  }
}
