/**
 * The supervisor: one detached process per local environment that owns the registry, the gateways, the control
 * API and every lane instance (see docs/local-target.md). `lanes` commands talk to it over its control API on
 * 127.0.0.1:{basePort}; it is the only one that starts and stops lane processes.
 *
 * It writes every change to the state file first, so that after it is killed (even with SIGKILL) the next one
 * stops the orphaned instances it finds in the state and starts every lane again as it was.
 */
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { laneRuleConditions } from '@ecs-lanes/core';
import { writeFileAtomic } from './atomic.js';
import { Gateway } from './gateway.js';
import type { HealthTransition } from './health.js';
import { type LocalPaths, laneKey, laneLogFile } from './paths.js';
import {
  DEFAULT_TIMINGS,
  freePort,
  Instance,
  type InstanceTimings,
  stopInstanceProcesses,
} from './process.js';
import { closeServer, listen, Registry } from './registry.js';
import { KEPT_VERSIONS, type LaneRecord, StateStore, withLaneRecord, withPendingInstance } from './state.js';

/** How the supervisor of an environment is set up (written by the CLI side, read at start). */
export interface SupervisorSpec {
  readonly root: string;
  readonly env: string;
  /** The config file's name, when not lanes.yaml (its state lives in `.lanes/configs/{name}/`). @default lanes.yaml */
  readonly configFile?: string;
  readonly baseline: string;
  readonly controlPort: number;
  readonly registryPort: number;
  /** Gateway port by service. */
  readonly gateways: Readonly<Record<string, number>>;
  /** Max wait for a new instance's health. @default 60000 */
  readonly healthTimeoutMs?: number;
  /**
   * After traffic moved to a new instance, how long the old one keeps running before it is stopped, so that
   * services that cached the registry's previous answer (the SDK caches for 1 s) stop calling it. @default 2500
   */
  readonly drainMs?: number;
  readonly timings?: Partial<InstanceTimings>;
}

/** What the supervisor reports about a running lane. */
export interface RuntimeLane {
  readonly record: LaneRecord;
  readonly instance?: {
    readonly id: string;
    readonly pid: number;
    readonly port: number;
    readonly healthy: boolean;
    readonly state: string;
    readonly restarts: number;
    readonly startedAt: string;
    readonly lastExit?: string;
    /** Every change of its health since it was created (each is also logged in the lane's log). */
    readonly healthChanges: number;
    /** The last changes of its health, newest last. */
    readonly transitions: readonly HealthTransition[];
  };
  /** True when the lane's gateway rule (or, for the baseline, the default route) currently sends traffic to it. */
  readonly routed: boolean;
}

/** The body of a deploy request to the control API. */
export interface DeployCommand {
  readonly service: string;
  readonly lane: string;
  readonly commit: string;
  readonly branch: string;
  readonly dir: string;
  readonly run: string;
  readonly healthPath: string;
  readonly gatewayPort: number;
  /** The lane's configuration: extra environment variables of its process. @default none */
  readonly config?: Readonly<Record<string, string>>;
  /** Who deploys (kept as the owner when the lane exists already). */
  readonly owner?: string;
  /** The lane's new expiry (ISO 8601); absent: never expires. */
  readonly expiresAt?: string;
}

/** An error with an HTTP status for the control API. */
class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Slot {
  record: LaneRecord;
  instance: Instance | undefined;
}

/** The supervisor of one local environment. */
export class Supervisor {
  private readonly lanes = new Map<string, Slot>();
  private readonly gateways = new Map<string, Gateway>();
  private readonly registry: Registry;
  private readonly store: StateStore;
  private readonly timings: InstanceTimings;
  private readonly laneLocks = new Map<string, Promise<unknown>>();
  /** Instances that are not a lane's serving instance: started by an unfinished deploy, or draining (stopped by {@link shutdown} too). */
  private readonly unattached = new Set<Instance>();
  private control: http.Server | undefined;
  private persisting: Promise<unknown> = Promise.resolve();
  private stopping = false;
  /** Resolves when the supervisor has shut down. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    readonly spec: SupervisorSpec,
    readonly paths: LocalPaths,
  ) {
    this.registry = new Registry(spec.env, Object.keys(spec.gateways));
    this.store = new StateStore(paths.stateFile, paths.stateLock);
    this.timings = { ...DEFAULT_TIMINGS, ...spec.timings };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * Binds the control API, the registry and the gateways (failing with a clear message when a port is taken),
   * stops instances orphaned by a previous supervisor, and starts every lane of the state file.
   */
  async start(): Promise<void> {
    const bind = async (what: string, port: number, server: () => Promise<number>) => {
      try {
        await server();
      } catch (error) {
        await this.closeServers();
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `port ${port} (${what}) is in use by another process; stop it or change basePort of environment "${this.spec.env}" in lanes.yaml`
            : `cannot listen on 127.0.0.1:${port} (${what}): ${(error as Error).message}`,
        );
      }
    };
    this.control = http.createServer((req, res) => void this.handleControl(req, res));
    await bind('the supervisor control API', this.spec.controlPort, () =>
      listen(this.control!, this.spec.controlPort),
    );
    await bind('the registry', this.spec.registryPort, () => this.registry.listen(this.spec.registryPort));
    for (const [service, port] of Object.entries(this.spec.gateways)) {
      const gateway = new Gateway(service);
      this.gateways.set(service, gateway);
      await bind(`the gateway of ${service}`, port, () => gateway.listen(port));
    }
    const state = await this.store.read();
    // Instances a killed supervisor left: the lanes' own and those of a deploy or a drain it did not finish.
    await Promise.all([
      ...Object.values(state.lanes).map(async (record) => {
        if (record.instance) await stopInstanceProcesses(record.instance.id, record.instance.pid);
      }),
      ...Object.values(state.pending ?? {}).map((p) => stopInstanceProcesses(p.id, p.pid)),
    ]);
    if (state.pending !== undefined) {
      await this.store.update((s) => {
        let next = s;
        for (const id of Object.keys(s.pending ?? {})) next = withPendingInstance(next, id, undefined);
        return next;
      });
    }
    for (const record of Object.values(state.lanes)) {
      const slot: Slot = { record, instance: undefined };
      this.lanes.set(laneKey(record.service, record.lane), slot);
      await this.ensureGateway(record.service, record.gatewayPort);
      slot.instance = await this.spawn(record);
      this.persistInstance(record.service, record.lane, slot.instance);
    }
    await writeFileAtomic(
      this.paths.daemonFile,
      JSON.stringify({
        pid: process.pid,
        env: this.spec.env,
        controlPort: this.spec.controlPort,
        startedAt: new Date().toISOString(),
      }),
    );
  }

  private async ensureGateway(service: string, port: number): Promise<Gateway> {
    let gateway = this.gateways.get(service);
    if (gateway === undefined) {
      gateway = new Gateway(service);
      this.gateways.set(service, gateway);
      try {
        await gateway.listen(port);
      } catch (error) {
        this.gateways.delete(service);
        throw new ControlError(
          409,
          `cannot open the gateway of ${service} on 127.0.0.1:${port}: ${(error as Error).message}`,
        );
      }
    }
    return gateway;
  }

  private async spawn(record: LaneRecord): Promise<Instance> {
    const instance = new Instance(
      {
        service: record.service,
        lane: record.lane,
        dir: record.dir,
        run: record.run,
        healthPath: record.healthPath,
        logFile: laneLogFile(this.paths, record.service, record.lane),
        env: {
          // The lane's configuration first: the variables ecs-lanes sets cannot be overridden (core refuses them).
          ...record.config,
          ENV: this.spec.env,
          LANE: record.lane,
          LANES_BASELINE: this.spec.baseline,
          LANES_REGISTRY_URL: `http://127.0.0.1:${this.spec.registryPort}`,
          LANES_SERVICE: record.service,
          LANES_VERSION: record.commit,
        },
      },
      await freePort(),
      (changed) => this.onInstanceChange(record.service, record.lane, changed),
      this.timings,
    );
    // Recorded before its process starts, so that whoever comes after a crash of this supervisor finds it.
    const pending = {
      id: instance.id,
      service: record.service,
      lane: record.lane,
      pid: 0,
      port: instance.port,
      phase: 'deploying' as const,
    };
    await this.store.update((state) => withPendingInstance(state, instance.id, pending));
    instance.start();
    this.persistPending(instance);
    return instance;
  }

  /** Updates the pid of a pending instance in the state file (serialized; failures are logged). */
  private persistPending(instance: Instance): void {
    this.persisting = this.persisting
      .then(() =>
        this.store.update((state) => {
          const record = state.pending?.[instance.id];
          if (record === undefined || record.pid === instance.pid) return undefined;
          return withPendingInstance(state, instance.id, { ...record, pid: instance.pid });
        }),
      )
      .catch((error) => console.error(`lanes: cannot write the state: ${(error as Error).message}`));
  }

  private onInstanceChange(service: string, lane: string, instance: Instance): void {
    const slot = this.lanes.get(laneKey(service, lane));
    if (slot?.instance === instance) {
      this.refresh(service);
      this.persistInstance(service, lane, instance);
    } else {
      this.persistPending(instance);
    }
  }

  /** Records the serving process of a lane in the state file (serialized; failures are logged). */
  private persistInstance(service: string, lane: string, instance: Instance | undefined): void {
    const key = laneKey(service, lane);
    this.persisting = this.persisting
      .then(() =>
        this.store.update((state) => {
          const record = state.lanes[key];
          if (record === undefined || this.lanes.get(key)?.instance !== instance) return undefined;
          if (instance && state.pending?.[instance.id] !== undefined) {
            state = withPendingInstance(state, instance.id, undefined);
          }
          const next: LaneRecord = instance
            ? {
                ...record,
                instance: {
                  id: instance.id,
                  pid: instance.pid,
                  port: instance.port,
                  startedAt: instance.startedAt,
                },
              }
            : { ...record, instance: undefined };
          if (JSON.stringify(next.instance) === JSON.stringify(record.instance)) return state;
          return withLaneRecord(state, key, next);
        }),
      )
      .catch((error) => console.error(`lanes: cannot write the state: ${(error as Error).message}`));
  }

  /** Recomputes the registry answer and the gateway table of `service` from the current instances. */
  private refresh(service: string): void {
    const registryInstances = [];
    const registered = new Map<string, { id: string; port: number; healthy: boolean }[]>();
    const deployed = new Set<string>();
    for (const slot of this.lanes.values()) {
      if (slot.record.service === service) deployed.add(slot.record.lane);
      if (slot.record.service !== service || slot.instance === undefined) continue;
      const i = slot.instance;
      if (i.state === 'stopping' || i.state === 'stopped') continue;
      registryInstances.push({ id: i.id, lane: slot.record.lane, port: i.port, healthy: i.healthy });
      // A registered target stays in its group while unhealthy: the gateway fails open as the ALB does.
      if (i.registered) registered.set(slot.record.lane, [{ id: i.id, port: i.port, healthy: i.healthy }]);
    }
    this.registry.setInstances(service, registryInstances);
    this.gateways.get(service)?.setRoutes({ baseline: this.spec.baseline, lanes: registered, deployed });
  }

  /** Runs `fn` with the lane's in-process lock (one deploy or removal of a lane at a time). */
  private async withLaneLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.laneLocks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(fn);
    this.laneLocks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.laneLocks.get(key) === run) this.laneLocks.delete(key);
    }
  }

  /**
   * Deploys a lane: starts the new instance, waits for its health, records it, switches routing to it, and
   * only then drains and stops the previous instance (zero downtime). On failure the previous one keeps serving.
   */
  async deploy(command: DeployCommand): Promise<RuntimeLane> {
    laneRuleConditions(command.lane); // validates the lane name as the ALB rule would
    const key = laneKey(command.service, command.lane);
    return this.withLaneLock(key, async () => {
      if (this.stopping) throw new ControlError(503, 'the supervisor is shutting down');
      await this.ensureGateway(command.service, command.gatewayPort);
      const old = this.lanes.get(key);
      const now = new Date().toISOString();
      const changed =
        old !== undefined &&
        (old.record.commit !== command.commit || !sameConfig(old.record.config, command.config));
      const previous = !changed
        ? old?.record.previous
        : {
            commit: old.record.commit,
            branch: old.record.branch,
            ...(old.record.config ? { config: old.record.config } : {}),
          };
      const olderHistory = old?.record.history ?? (old?.record.previous ? [old.record.previous] : []);
      const history = !changed
        ? old?.record.history
        : [
            previous!,
            ...olderHistory.filter((v) => v.commit !== previous!.commit && v.commit !== command.commit),
          ].slice(0, KEPT_VERSIONS);
      const record: LaneRecord = {
        service: command.service,
        lane: command.lane,
        commit: command.commit,
        branch: command.branch,
        dir: command.dir,
        run: command.run,
        healthPath: command.healthPath,
        gatewayPort: command.gatewayPort,
        ...(command.config && Object.keys(command.config).length > 0 ? { config: command.config } : {}),
        ...(previous ? { previous } : {}),
        ...(history && history.length > 0 ? { history } : {}),
        createdAt: old?.record.createdAt ?? now,
        updatedAt: now,
        ...(old?.record.owner || command.owner ? { owner: old?.record.owner ?? command.owner } : {}),
        deployedAt: now,
        ...(command.expiresAt ? { expiresAt: command.expiresAt } : {}),
      };
      const instance = await this.spawn(record);
      this.unattached.add(instance);
      try {
        await instance.waitHealthy(this.spec.healthTimeoutMs ?? 60_000);
      } catch (error) {
        await instance.stop();
        await this.store.update((state) => withPendingInstance(state, instance.id, undefined));
        throw new ControlError(422, (error as Error).message);
      } finally {
        this.unattached.delete(instance);
      }
      const withInstance: LaneRecord = {
        ...record,
        instance: { id: instance.id, pid: instance.pid, port: instance.port, startedAt: instance.startedAt },
      };
      const previousInstance = old?.instance;
      await this.store.update((state) => {
        let next = withPendingInstance(withLaneRecord(state, key, withInstance), instance.id, undefined);
        if (previousInstance) {
          next = withPendingInstance(next, previousInstance.id, {
            id: previousInstance.id,
            service: command.service,
            lane: command.lane,
            pid: previousInstance.pid,
            port: previousInstance.port,
            phase: 'draining',
          });
        }
        return next;
      });
      const slot: Slot = { record: withInstance, instance };
      this.lanes.set(key, slot);
      this.refresh(command.service);
      if (previousInstance) {
        this.unattached.add(previousInstance);
        await this.drainAndStop(command.service, previousInstance).finally(() =>
          this.unattached.delete(previousInstance),
        );
        await this.store.update((state) => withPendingInstance(state, previousInstance.id, undefined));
      }
      return this.describe(slot);
    });
  }

  private async drainAndStop(service: string, instance: Instance): Promise<void> {
    const gateway = this.gateways.get(service);
    // Requests in flight may finish for up to the gateway's idle timeout (no answer takes longer without a 504).
    const deadline = Date.now() + (gateway?.limits.idleTimeoutMs ?? 60_000);
    await new Promise((r) => setTimeout(r, this.spec.drainMs ?? 2_500));
    while (gateway && gateway.inFlight(instance.id) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await instance.stop();
  }

  /** Removes a lane: its route first (registry and gateway), then its process, then its record. */
  async remove(service: string, lane: string): Promise<boolean> {
    const key = laneKey(service, lane);
    return this.withLaneLock(key, async () => {
      const slot = this.lanes.get(key);
      if (slot === undefined) {
        const state = await this.store.read();
        if (state.lanes[key] === undefined) return false;
        await this.store.update((s) => withLaneRecord(s, key, undefined));
        return true;
      }
      this.lanes.delete(key);
      this.refresh(service);
      if (slot.instance) await this.drainAndStop(service, slot.instance);
      await this.store.update((s) => withLaneRecord(s, key, undefined));
      return true;
    });
  }

  private describe(slot: Slot): RuntimeLane {
    const i = slot.instance;
    const gateway = this.gateways.get(slot.record.service);
    const routed =
      i?.registered === true &&
      (slot.record.lane === this.spec.baseline ||
        (gateway?.routedLanes().includes(slot.record.lane) ?? false));
    return {
      record: slot.record,
      routed,
      ...(i
        ? {
            instance: {
              id: i.id,
              pid: i.pid,
              port: i.port,
              healthy: i.healthy,
              state: i.state,
              restarts: i.restarts,
              startedAt: i.startedAt,
              ...(i.lastExit ? { lastExit: i.lastExit } : {}),
              healthChanges: i.healthChanges,
              transitions: [...i.transitions],
            },
          }
        : {}),
    };
  }

  /** Every lane with its instance. */
  snapshot(): RuntimeLane[] {
    return [...this.lanes.values()].map((slot) => this.describe(slot));
  }

  /** Stops every instance (lanes stay in the state file, without instances) and every listener. */
  async shutdown(): Promise<void> {
    if (this.stopping) return this.closed;
    this.stopping = true;
    await Promise.all([
      ...[...this.lanes.values()].map((slot) => slot.instance?.stop()),
      ...[...this.unattached].map((instance) => instance.stop()),
    ]);
    await this.persisting;
    await this.store
      .update((state) => {
        let next = state;
        for (const instance of this.unattached) next = withPendingInstance(next, instance.id, undefined);
        for (const [key, record] of Object.entries(state.lanes)) {
          if (record.instance) next = withLaneRecord(next, key, { ...record, instance: undefined });
        }
        return next;
      })
      .catch(() => {});
    await this.closeServers();
    await rm(this.paths.daemonFile, { force: true });
    this.resolveClosed();
  }

  private async closeServers(): Promise<void> {
    await Promise.all([
      closeServer(this.control),
      this.registry.close(),
      ...[...this.gateways.values()].map((g) => g.close()),
    ]);
  }

  private async handleControl(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };
    try {
      const url = new URL(request.url ?? '/', 'http://control');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (request.method === 'GET' && url.pathname === '/v1/health') {
        return reply(200, { pid: process.pid, env: this.spec.env, root: this.spec.root });
      }
      if (request.method === 'GET' && url.pathname === '/v1/lanes')
        return reply(200, { lanes: this.snapshot() });
      if (parts[0] === 'v1' && parts[1] === 'lanes' && parts.length === 4) {
        const [, , service, lane] = parts as [string, string, string, string];
        if (request.method === 'PUT') {
          const body = JSON.parse(await readBody(request)) as DeployCommand;
          if (body.service !== service || body.lane !== lane)
            throw new ControlError(400, 'path and body disagree');
          return reply(200, await this.deploy(body));
        }
        if (request.method === 'DELETE') {
          const removed = await this.remove(service, lane);
          return removed
            ? reply(200, { removed: true })
            : reply(404, { error: `no lane ${lane} of ${service}` });
        }
      }
      if (request.method === 'POST' && url.pathname === '/v1/shutdown') {
        reply(202, { stopping: true });
        void this.shutdown();
        return;
      }
      reply(404, { error: `no such endpoint: ${request.method} ${url.pathname}` });
    } catch (error) {
      const status = error instanceof ControlError ? error.status : 500;
      reply(status, { error: (error as Error).message });
    }
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/** True when two configurations hold the same variables (none and empty are the same). */
function sameConfig(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const ea = Object.entries(a ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  const eb = Object.entries(b ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  return JSON.stringify(ea) === JSON.stringify(eb);
}
