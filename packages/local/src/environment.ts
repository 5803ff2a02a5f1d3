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
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LaneTrace } from '@ecs-lanes/core';
import {
  assertLaneName,
  assertStillExpired,
  checkDeployPolicy,
  type DeployLaneRequest,
  type DeployResult,
  type ExtendLaneRequest,
  type ExtendResult,
  estimateLaneCost,
  expiryFor,
  findService,
  InvalidLaneNameError,
  type LaneCost,
  type LaneRef,
  type LaneState,
  type LaneStatusReport,
  type LaneSummary,
  type LanesConfig,
  type LaneTarget,
  type ListenerBudget,
  type LocalEnvironmentConfig,
  laneFootprint,
  laneRequestHeaders,
  type ProgressListener,
  pricesFor,
  propagationCheck,
  propagationGateSkip,
  type RemoveLaneRequest,
  type RemoveResult,
  type ServiceConfig,
  servicesInStartOrder,
  UnknownNameError,
  UserError,
  type VerifyCheck,
} from '@ecs-lanes/core';
import { ControlApiError, callControl, ensureSupervisor, findSupervisor } from './client.js';
import { GATEWAY_LANE_HEADER } from './gateway.js';
import { type AppSource, checkout, removeWorktree, resolveSource, WORKING_TREE } from './git.js';
import { createLocalConfigStore, resolveLocalLaneConfig } from './lane-config.js';
import { describeHolder, lockHolder, withLock } from './lock.js';
import { followLaneLog } from './log-follow.js';
import { localOwner } from './owner.js';
import {
  type LocalPaths,
  type LocalPorts,
  laneKey,
  laneLockFile,
  laneLogFile,
  localPaths,
  localPorts,
} from './paths.js';
import { stopInstanceProcesses, tailFile } from './process.js';
import {
  type LaneRecord,
  type LocalState,
  StateStore,
  withLaneRecord,
  withPendingInstance,
} from './state.js';
import type { DeployCommand, RuntimeLane, SupervisorSpec } from './supervisor.js';
import { traceThroughGateway } from './trace-local.js';

/** Options of {@link createLocalTarget}. */
export interface LocalTargetOptions {
  readonly config: LanesConfig;
  readonly env: LocalEnvironmentConfig;
  /** Directory of lanes.yaml; state lives in `{root}/.lanes/`. */
  readonly root: string;
  /**
   * The config file's path or name. Another name than lanes.yaml keeps its state in `.lanes/configs/{file name}/`,
   * so that two configs of one directory do not share state. @default lanes.yaml
   */
  readonly configFile?: string;
  /** Supervisor tuning (tests shorten the drain time). @default the supervisor's defaults */
  readonly supervisor?: Pick<SupervisorSpec, 'drainMs' | 'healthTimeoutMs' | 'timings'>;
  /** The clock expiry is computed and judged by, in ms since the epoch (tests pass a fake one). @default Date.now */
  readonly now?: () => number;
  /** Who deploys, recorded as a new lane's owner. @default the git author of `root`, else the OS user */
  readonly owner?: string;
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
  private readonly now: () => number;
  private readonly owner: string | undefined;
  private readonly configFile: string | undefined;

  constructor(options: LocalTargetOptions) {
    this.config = options.config;
    this.env = options.env;
    this.root = path.resolve(options.root);
    this.configFile = options.configFile === undefined ? undefined : path.basename(options.configFile);
    this.paths = localPaths(this.root, this.env.name, this.configFile);
    this.ports = localPorts(this.config, this.env);
    this.store = new StateStore(this.paths.stateFile, this.paths.stateLock);
    this.tuning = options.supervisor;
    this.now = options.now ?? Date.now;
    this.owner = options.owner;
  }

  /** Where this environment's policy lives in lanes.yaml, for messages. */
  private get policyPath(): string {
    return `environments[${this.config.environments.indexOf(this.env)}].policy`;
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
      ...(this.configFile === undefined ? {} : { configFile: this.configFile }),
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
    if (request.branch !== undefined && request.branch.trim() === '') {
      throw new UserError(
        `the branch to deploy into lane ${request.lane} of ${request.service} is empty; pass a branch name, or leave --branch out to deploy ${service.appRepo.branch} (appRepo.branch)`,
      );
    }
    if (request.commit !== undefined) {
      throw new UserError(
        `--commit is for AWS environments; on the local target deploy a branch (or check the commit out on one): --branch BRANCH`,
      );
    }
    const branch = request.branch ?? service.appRepo.branch;
    const state = await this.store.read();
    const baseline = request.lane === this.env.baselineLane;
    // Refused up front, before any checkout, build or process: the policy, the rule budget and the TTL.
    checkDeployPolicy({
      policy: this.env.policy,
      policyPath: this.policyPath,
      service: service.name,
      lane: request.lane,
      baselineLane: this.env.baselineLane,
      lanes: Object.values(state.lanes),
      budget: this.budgetOf(service.name, state),
      footprint: laneFootprint(baseline, service.blueGreen.enabled),
    });
    const expiresAt = expiryFor({
      baseline,
      ...(request.ttl === undefined ? {} : { ttl: request.ttl }),
      policy: this.env.policy,
      policyPath: this.policyPath,
      now: this.now(),
    });
    return this.deployRev(
      request,
      service,
      branch,
      branch,
      request.branch !== undefined,
      request.dryRun ?? false,
      progress,
      undefined,
      request.signal,
      expiresAt,
    );
  }

  async rollback(
    ref: LaneRef & { readonly to?: string; readonly dryRun?: boolean },
    progress?: ProgressListener,
  ): Promise<DeployResult> {
    const service = this.checkRef(ref);
    const record = (await this.store.read()).lanes[laneKey(ref.service, ref.lane)];
    if (record === undefined) throw this.noLane(ref);
    if (ref.to !== undefined) this.checkRanBefore(ref, record, ref.to);
    const target = ref.to ?? record.previous?.commit;
    if (target === undefined) {
      throw new UserError(
        `lane ${ref.lane} of ${ref.service} has no previous version to roll back to; pass --to <commit>`,
      );
    }
    const branch = ref.to === undefined ? (record.previous?.branch ?? record.branch) : record.branch;
    // Back to the previous version: its configuration too (as recorded when it was deployed); the expiry stays.
    const config = ref.to === undefined ? (record.previous?.config ?? {}) : undefined;
    return this.deployRev(
      ref,
      service,
      target,
      branch,
      true,
      ref.dryRun ?? false,
      progress,
      config,
      undefined,
      record.expiresAt,
    );
  }

  private async deployRev(
    ref: LaneRef,
    service: ServiceConfig,
    rev: string,
    branch: string,
    explicit: boolean,
    dryRun: boolean,
    progress?: ProgressListener,
    pinnedConfig?: Readonly<Record<string, string>>,
    signal?: AbortSignal,
    expiresAt?: string,
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
    const store = { config: this.config, root: this.root, env: this.env.name, configFile: this.configFile };
    const config = pinnedConfig ?? (await resolveLocalLaneConfig(store, ref.service, ref.lane));
    const effective = await createLocalConfigStore(store).effective(ref);
    const secureKeys = new Set(effective.filter((e) => e.secure).map((e) => e.key));
    const configLine = Object.keys(config).length
      ? [
          `config: ${Object.entries(config)
            .map(([k, v]) => (secureKeys.has(k) ? `${k}=(secure)` : `${k}=${v}`))
            .join(' ')}${pinnedConfig ? ' (as the previous version ran)' : ''}`,
        ]
      : [];
    const actions = [
      ...configLine,
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
      expiresAt ? `expire the lane at ${expiresAt}` : 'the baseline never expires',
    ];
    const result = {
      service: ref.service,
      env: ref.env,
      lane: ref.lane,
      actions,
      url: this.gatewayUrl(ref.service),
    };
    if (dryRun) return { ...result, dryRun: true, version: short };

    const what = `lane ${ref.lane} of ${ref.service}`;
    const interrupted = (where: string) =>
      new UserError(`interrupted ${where}`, { exitCode: 130, cause: signal?.reason });
    if (signal?.aborted) throw interrupted(`before the deploy started; ${what} is unchanged`);
    return withLock(
      laneLockFile(this.paths, ref.service, ref.lane),
      async () => {
        const info = await this.supervisor(progress);
        const current = (await this.store.read()).lanes[laneKey(ref.service, ref.lane)];
        const currentWorktree = current
          ? path.join(this.paths.worktreesDir, ref.service, ref.lane, shortOf(current.commit))
          : undefined;
        // A worktree made for a deploy that did not finish is removed, never the one the lane runs from.
        const dropWorktree = async () => {
          if (source.kind === 'git' && worktree !== currentWorktree)
            await removeWorktree(worktree).catch(() => {});
        };
        let dir: string;
        try {
          dir = await this.prepare(ref, source, worktree, local.build, branch, progress);
        } catch (error) {
          await dropWorktree();
          throw error;
        }
        if (signal?.aborted) {
          await dropWorktree();
          throw interrupted(`before the new version started; ${what} is unchanged`);
        }
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
          ...(Object.keys(config).length ? { config } : {}),
          owner: this.owner ?? (await localOwner(this.root)),
          ...(expiresAt ? { expiresAt } : {}),
        };
        const stopFollowing = followLaneLog(laneLogFile(this.paths, ref.service, ref.lane), (line) =>
          progress?.({ phase: 'instance', message: line }),
        );
        let runtime: RuntimeLane;
        try {
          runtime = await callControl<RuntimeLane>(
            info.controlPort,
            'PUT',
            `/v1/lanes/${ref.service}/${ref.lane}`,
            command,
            300_000,
            signal,
          );
        } catch (error) {
          await stopFollowing();
          if (signal?.aborted) {
            throw interrupted(
              `while the new version of ${what} was starting: the local environment goes on with the deploy; ` +
                `the previous version (if any) serves until the new one passes its health check, then traffic switches to it ` +
                `(lanes status ${ref.service} --lane ${ref.lane} shows which version serves)`,
            );
          }
          if (error instanceof ControlApiError && error.status < 500) {
            await dropWorktree();
            throw new UserError(
              `deploying ${what} failed; the lane's previous version (if any) still serves: ${error.message}`,
              { cause: error },
            );
          }
          if (
            !(error instanceof ControlApiError) &&
            (await findSupervisor(this.paths, this.env.name)) === undefined
          ) {
            await this.stopPendingOf(ref);
            await dropWorktree();
            throw new UserError(
              `the supervisor of the local environment "${this.env.name}" exited during the deploy of ${what}; ` +
                `the instance it was starting was stopped; run lanes up to bring the environment back (see ${this.paths.daemonLog})`,
              { cause: error },
            );
          }
          throw new Error(`deploying ${what}`, { cause: error });
        }
        await stopFollowing();
        progress?.({
          phase: 'route',
          message: `${ref.service}/${ref.lane} serves ${short} on port ${runtime.instance?.port}`,
        });
        await this.pruneWorktrees(ref, worktree);
        return { ...result, dryRun: false, version: short };
      },
      {
        what,
        timeoutMs: 600_000,
        staleMs: 900_000,
        onWait: (holder) =>
          progress?.({
            phase: 'lock',
            message: `waiting for the lock of ${what}: another lanes command${describeHolder(holder)} is deploying or removing it; this deploy starts when it has finished (at most 10 min)`,
          }),
      },
    );
  }

  /** Stops and forgets the instances a dead supervisor was starting or draining for `ref`'s lane. */
  private async stopPendingOf(ref: LaneRef): Promise<void> {
    const pending = Object.values((await this.store.read()).pending ?? {}).filter(
      (p) => p.service === ref.service && p.lane === ref.lane,
    );
    for (const p of pending) await stopInstanceProcesses(p.id, p.pid);
    if (pending.length > 0) {
      await this.store.update((state) => {
        let next = state;
        for (const p of pending) next = withPendingInstance(next, p.id, undefined);
        return next;
      });
    }
  }

  /** Refuses a `rollback --to` version the lane never ran (its current and previous versions). */
  private checkRanBefore(ref: LaneRef, record: LaneRecord, to: string): void {
    const ran = [record, ...(record.previous ? [record.previous] : []), ...(record.history ?? [])];
    const wanted = to.trim().toLowerCase();
    const known = wanted.length >= 4 && ran.some((v) => v.commit.toLowerCase().startsWith(wanted));
    if (!known) {
      throw new UserError(
        `lane ${ref.lane} of ${ref.service} never ran ${to}; it ran ${ran.map((v) => `${shortOf(v.commit)} (${v.branch})`).join(', ')}. Pass one of those to --to, or deploy another version with lanes deploy --branch`,
      );
    }
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

  async remove(ref: RemoveLaneRequest, progress?: ProgressListener): Promise<RemoveResult> {
    this.checkRef(ref);
    if (ref.lane === this.env.baselineLane && !ref.force) {
      throw new UserError(
        `lane ${ref.lane} is the baseline of ${ref.service}: every request without a lane goes there; pass --force to remove it anyway`,
      );
    }
    const key = laneKey(ref.service, ref.lane);
    const record = (await this.store.read()).lanes[key];
    if (record === undefined) throw this.noLane(ref);
    assertStillExpired(ref, record.expiresAt);
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
        // Under the lane's lock: a deploy or extend since the check above may have moved the expiry.
        const now = (await this.store.read()).lanes[key];
        if (now === undefined) return;
        assertStillExpired(ref, now.expiresAt);
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
          if (record.instance) await stopInstanceProcesses(record.instance.id, record.instance.pid);
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
        // The state file is where `lanes extend` writes: its lifecycle wins over the supervisor's memory.
        const state = await this.store.read();
        return {
          running: true,
          lanes: lanes.map((l) => {
            const stored = state.lanes[laneKey(l.record.service, l.record.lane)];
            return stored ? { ...l, record: { ...l.record, ...lifecycleOf(stored) } } : l;
          }),
        };
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
    const selected = lanes.filter(
      (l) => filter?.service === undefined || l.record.service === filter.service,
    );
    const busy = await Promise.all(
      selected.map((l) => lockHolder(laneLockFile(this.paths, l.record.service, l.record.lane), 900_000)),
    );
    return selected
      .map((l, i) => {
        const summary = this.summary(l, running);
        const holder = busy[i];
        return holder
          ? {
              ...summary,
              removeBlocked: `a lanes command (pid ${holder.pid}) holds the lane's lock since ${new Date(holder.at).toISOString()}; gc tries again next run`,
            }
          : summary;
      })
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
    } else if (instance.state === 'running') {
      state = 'failed';
      const last = instance.transitions?.at(-1);
      detail = `unhealthy${last ? ` since ${last.at}: ${last.reason}` : ''}; still routed (fail open), ${instance.restarts} restarts`;
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
      ...lifecycleOf(record),
      ...this.costOf(record.service),
    };
  }

  /**
   * What a lane would cost on the AWS environment this one mirrors (`mirrors` in lanes.yaml): the service's
   * size and desired count at that environment's prices. Without `mirrors`, no estimate, and a note saying so.
   */
  private costOf(serviceName: string): { cost?: LaneCost; costNote: string } {
    const mirror = this.env.mirrors
      ? this.config.environments.find((e) => e.name === this.env.mirrors)
      : undefined;
    if (mirror === undefined || mirror.target !== 'aws') {
      return {
        costNote: `local lanes cost nothing on AWS; set mirrors: <aws environment> on ${this.env.name} in lanes.yaml to see what they would cost there`,
      };
    }
    const service = findService(this.config, serviceName);
    const prices = pricesFor(mirror.region, mirror.prices);
    if (prices === undefined) {
      return {
        costNote: `no Fargate prices for ${mirror.region} (the region of ${mirror.name}) in the price table; add prices to environment ${mirror.name} in lanes.yaml`,
      };
    }
    return {
      cost: estimateLaneCost({
        tasks: service.desiredCount,
        cpu: service.cpu,
        memory: service.memory,
        prices,
        ...(service.blueGreen.enabled ? { blueGreenBakeMinutes: service.blueGreen.bakeTimeMinutes } : {}),
        mirrors: mirror.name,
      }),
      costNote: `what this lane would cost in ${mirror.name} (${mirror.region}); it costs nothing here`,
    };
  }

  /** The rule budget of a service's gateway, counted as its ALB would count the same lanes. */
  private budgetOf(serviceName: string, state: LocalState): ListenerBudget {
    const service = findService(this.config, serviceName);
    let rules = 0;
    let targetGroups = 1; // the default target group of the baseline
    for (const record of Object.values(state.lanes)) {
      if (record.service !== serviceName) continue;
      const f = laneFootprint(record.lane === this.env.baselineLane, service.blueGreen.enabled);
      rules += f.rules;
      targetGroups += f.targetGroups;
    }
    return {
      service: serviceName,
      listener: this.gatewayUrl(serviceName),
      rules: { used: rules, quota: this.env.policy.listenerRuleQuota },
      targetGroups: { used: targetGroups, quota: this.env.policy.targetGroupQuota },
    };
  }

  async budgets(filter?: { readonly service?: string }): Promise<ListenerBudget[]> {
    if (filter?.service !== undefined) findServiceOrUserError(this.config, filter.service);
    const state = await this.store.read();
    return this.config.services
      .filter((s) => filter?.service === undefined || s.name === filter.service)
      .map((s) => this.budgetOf(s.name, state));
  }

  async extend(request: ExtendLaneRequest, progress?: ProgressListener): Promise<ExtendResult> {
    this.checkRef(request);
    if (request.lane === this.env.baselineLane) {
      throw new UserError(
        `lane ${request.lane} is the baseline of ${request.service}: it never expires, so there is nothing to extend`,
      );
    }
    const key = laneKey(request.service, request.lane);
    const expiresAt = expiryFor({
      baseline: false,
      ...(request.ttl === undefined ? {} : { ttl: request.ttl }),
      policy: this.env.policy,
      policyPath: this.policyPath,
      now: this.now(),
    })!;
    const before = (await this.store.read()).lanes[key];
    if (before === undefined) throw this.noLane(request);
    const base = { service: request.service, env: this.env.name, lane: request.lane };
    const previous = before.expiresAt ? { previousExpiresAt: before.expiresAt } : {};
    if (request.dryRun) return { ...base, dryRun: true, ...previous, expiresAt };
    let found = true;
    await this.store.update((state) => {
      const record = state.lanes[key];
      if (record === undefined) {
        found = false;
        return undefined;
      }
      return withLaneRecord(state, key, { ...record, expiresAt });
    });
    if (!found) throw this.noLane(request);
    progress?.({
      phase: 'extend',
      message: `${request.service}/${request.lane} now expires at ${expiresAt}`,
    });
    return { ...base, dryRun: false, ...previous, expiresAt };
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
      ['owner', record.owner ?? '-'],
      ['expires', record.expiresAt ?? 'never'],
    ];
    if (instance) {
      details.push(
        ['instance', `${instance.id} pid ${instance.pid} on 127.0.0.1:${instance.port}`],
        [
          'process',
          `${instance.state}, ${instance.healthy ? 'healthy' : 'not healthy'}, started ${instance.startedAt}`,
        ],
        ['restarts', `${instance.restarts}${instance.lastExit ? ` (last: ${instance.lastExit})` : ''}`],
        ['health', describeHealth(instance)],
      );
      const changes = (instance.transitions ?? []).map(
        (t) => `${t.at} ${t.healthy ? 'healthy' : 'unhealthy'}: ${t.reason}`,
      );
      if (changes.length > 0) details.push(['health changes', changes.join('; ')]);
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
    // Each request starts its own trace: a fresh traceparent with the lane's tracestate (W3C Trace Context §3.3).
    const headers = (): Record<string, string> =>
      baseline ? {} : { ...laneRequestHeaders(ref.lane, randomBytes) };
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
    const health = await get(`${url}${service.healthPath}`, headers());
    const routedTo = health.headers?.get(GATEWAY_LANE_HEADER) ?? undefined;
    checks.push({
      name: `GET ${service.healthPath} through the gateway`,
      status: health.status !== undefined && health.status < 400 && routedTo === ref.lane ? 'OK' : 'NG',
      detail: health.error ?? `HTTP ${health.status}, routed to lane ${routedTo ?? '?'}`,
    });
    progress?.({ phase: 'verify', message: `${checks[1]!.name}: ${checks[1]!.status}` });
    const answer = await get(`${url}/`, headers());
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
    const gate =
      propagationGateSkip(service, ref.lane, this.env.baselineLane, checks) ??
      propagationCheck(await this.trace(ref));
    checks.push(gate);
    progress?.({ phase: 'verify', message: `${gate.name}: ${gate.status}` });
    return checks;
  }

  async trace(ref: LaneRef & { readonly path?: string }, progress?: ProgressListener): Promise<LaneTrace> {
    const service = this.checkRef(ref);
    const { running, lanes } = await this.runtime();
    if (!running) {
      throw new UserError(
        `the local environment "${this.env.name}" is down; start it with: lanes up --env ${this.env.name}`,
      );
    }
    return traceThroughGateway({
      config: this.config,
      env: this.env,
      service: service.name,
      lane: ref.lane,
      path: ref.path ?? service.trace.path,
      entry: this.gatewayUrl(service.name),
      deployed: lanes.map((l) => ({ service: l.record.service, lane: l.record.lane })),
      ...(progress ? { progress } : {}),
    });
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
      if (record.instance && (await stopInstanceProcesses(record.instance.id, record.instance.pid))) {
        orphans = true;
      }
    }
    // And those of a deploy or a drain the killed supervisor did not finish.
    for (const pending of Object.values(state.pending ?? {})) {
      if (await stopInstanceProcesses(pending.id, pending.pid)) orphans = true;
    }
    if (orphans || state.pending !== undefined || Object.values(state.lanes).some((r) => r.instance)) {
      await this.store.update((s) => {
        let next = s;
        for (const id of Object.keys(s.pending ?? {})) next = withPendingInstance(next, id, undefined);
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

/** `healthy since <time>, 3 changes` or `unhealthy since <time> (<reason>), 2 changes`. */
function describeHealth(instance: NonNullable<RuntimeLane['instance']>): string {
  const last = instance.transitions?.at(-1);
  const changes = instance.healthChanges ?? 0;
  const count = `${changes} change${changes === 1 ? '' : 's'}`;
  if (last === undefined) return `${instance.healthy ? 'healthy' : 'not checked yet'}, ${count}`;
  return last.healthy
    ? `healthy since ${last.at}, ${count}`
    : `unhealthy since ${last.at} (${last.reason}), ${count}`;
}

/** The lifecycle fields of a state record, for a summary. */
function lifecycleOf(record: LaneRecord): Pick<LaneRecord, 'owner' | 'deployedAt' | 'expiresAt'> {
  return {
    ...(record.owner ? { owner: record.owner } : {}),
    ...(record.deployedAt ? { deployedAt: record.deployedAt } : {}),
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
  };
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
