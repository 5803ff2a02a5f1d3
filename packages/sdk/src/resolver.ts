/**
 * Resolvers: where the instances of a service are. A resolver answers with every instance of a service in an
 * environment, all lanes together, in Cloud Map's shape; the choice of lane is made by core's `pickLaneInstances`
 * (lane-first, else the baseline, also when the lane has no healthy instance), in `lanes-fetch.ts`.
 *
 * - {@link staticResolver}: a fixed map (tests, simple setups);
 * - {@link DiscoveryCache}: the cache that the Cloud Map and local-registry resolvers share: a TTL per service,
 *   refreshed in the background (stale-while-revalidate), stale answers served on errors and throttling, at most
 *   one call in flight per service, and backoff after failures, so calls per service per TTL stay bounded
 *   whatever the request rate.
 */
import {
  type DiscoveredInstance,
  ECS_SERVICE_NAME_ATTRIBUTE,
  IPV4_ATTRIBUTE,
  PORT_ATTRIBUTE,
} from '@ecs-lanes/core/discovery';
import { assertLaneName } from '@ecs-lanes/core/lane';
import { laneNames } from '@ecs-lanes/core/naming';

/** Finds the instances of a service. */
export interface InstanceResolver {
  /**
   * Every instance of `service` in environment `env` (Cloud Map namespace `{env}.local`), of every lane, with
   * their health. Resolvers that cache return the same array object while their answer is unchanged.
   */
  discover(service: string, env: string): Promise<readonly DiscoveredInstance[]>;
  /**
   * Called when an instance from the last answer could not be reached (for example, its lane was just removed):
   * resolves with a fresh answer when the resolver can get one, else with the current answer.
   * Resolvers that do not cache need not implement it.
   */
  refresh?(service: string, env: string): Promise<readonly DiscoveredInstance[]>;
}

/** The namespace of an environment: `{env}.local` (ARCHITECTURE.md, the environment layer). */
export function namespaceOf(env: string): string {
  return `${env}.local`;
}

/** `map.get(key)`, or a new value made by `make` and stored. @internal */
export function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// static
// ---------------------------------------------------------------------------------------------------------------

/** One instance of a static map: `'host:port'`, or an object with its health. */
export type StaticInstance =
  | string
  | { readonly host: string; readonly port: number; readonly health?: DiscoveredInstance['HealthStatus'] };

/** A static map: service → lane → instances. */
export type StaticServiceMap = Readonly<Record<string, Readonly<Record<string, readonly StaticInstance[]>>>>;

function parseStaticInstance(instance: StaticInstance): {
  host: string;
  port: number;
  health: DiscoveredInstance['HealthStatus'];
} {
  if (typeof instance !== 'string') return { health: 'HEALTHY', ...instance };
  const colon = instance.lastIndexOf(':');
  const port = Number(instance.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`static instance "${instance}" must be "host:port"`);
  }
  return { host: instance.slice(0, colon), port, health: 'HEALTHY' };
}

/**
 * A resolver with a fixed map, e.g. `staticResolver({ orders: { base: ['127.0.0.1:3001'], gray: ['127.0.0.1:3002'] } })`.
 * The instances are described as ECS would register them in Cloud Map (`ECS_SERVICE_NAME` from core naming), so
 * that the lane is read from them exactly as on AWS.
 *
 * @throws Error when an instance is not `host:port` or a lane name is invalid.
 */
export function staticResolver(map: StaticServiceMap): InstanceResolver {
  for (const lanes of Object.values(map)) {
    for (const [lane, instances] of Object.entries(lanes)) {
      assertLaneName(lane);
      for (const instance of instances) parseStaticInstance(instance);
    }
  }
  const byEnv = new Map<string, Map<string, readonly DiscoveredInstance[]>>();
  const build = (service: string, env: string): readonly DiscoveredInstance[] => {
    const lanes = Object.hasOwn(map, service) ? map[service]! : {};
    const instances: DiscoveredInstance[] = [];
    for (const [lane, list] of Object.entries(lanes)) {
      list.forEach((entry, index) => {
        const { host, port, health } = parseStaticInstance(entry);
        instances.push({
          InstanceId: `${lane}-${index}`,
          NamespaceName: namespaceOf(env),
          ServiceName: service,
          HealthStatus: health,
          Attributes: {
            [ECS_SERVICE_NAME_ATTRIBUTE]: laneNames(service, env, lane).ecsService,
            [IPV4_ATTRIBUTE]: host,
            [PORT_ATTRIBUTE]: String(port),
          },
        });
      });
    }
    return Object.freeze(instances);
  };
  return {
    discover(service, env) {
      const services = getOrCreate(byEnv, env, () => new Map<string, readonly DiscoveredInstance[]>());
      return Promise.resolve(getOrCreate(services, service, () => build(service, env)));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// the shared cache
// ---------------------------------------------------------------------------------------------------------------

/** Options of {@link DiscoveryCache}. */
export interface DiscoveryCacheOptions {
  /**
   * How long an answer is fresh, in milliseconds. After that the next lookup still gets it at once and starts one
   * background refresh.
   * @default 5000
   */
  readonly ttlMs?: number;
  /**
   * The longest wait before retrying after failures, in milliseconds. After the n-th consecutive failure the next
   * call is made no sooner than `min(ttlMs * 2^(n-1), maxBackoffMs)` later; meanwhile the stale answer is served
   * (or, when there is none yet, the last error is thrown again without a call).
   * @default 60000
   */
  readonly maxBackoffMs?: number;
  /**
   * The clock, in milliseconds.
   * @default performance.now
   */
  readonly now?: () => number;
  /**
   * Called when a call fails (e.g. to log it). The error is otherwise only thrown to callers that have no stale
   * answer to get.
   * @default errors are not reported
   */
  readonly onError?: (error: unknown, service: string, env: string) => void;
}

/** What the cache calls to load one service's instances. */
export type DiscoveryLoader = (service: string, env: string) => Promise<readonly DiscoveredInstance[]>;

interface Entry {
  /** The last good answer, and the same as a resolved promise (returned without allocating). */
  value: readonly DiscoveredInstance[] | undefined;
  resolved: Promise<readonly DiscoveredInstance[]> | undefined;
  /** The call in flight, if any: concurrent lookups share it. */
  inflight: Promise<readonly DiscoveredInstance[]> | undefined;
  /** When the next call may be made. */
  nextCallAt: number;
  /** When `refresh` last called the loader. */
  refreshedAt: number;
  /** Consecutive failures, and the last error. */
  failures: number;
  error: unknown;
}

/**
 * A stale-while-revalidate cache in front of a {@link DiscoveryLoader}, keyed by environment and service.
 *
 * Guarantees, per (env, service): at most one call in flight; after a success, no call until `ttlMs` has passed;
 * after failures, no call until the backoff has passed. So the calls per TTL are bounded (at most one) whatever
 * the lookup rate, which keeps a fleet under Cloud Map's account-wide `DiscoverInstances` limit.
 */
export class DiscoveryCache implements InstanceResolver {
  readonly #load: DiscoveryLoader;
  readonly #ttlMs: number;
  readonly #maxBackoffMs: number;
  readonly #now: () => number;
  readonly #onError: DiscoveryCacheOptions['onError'];
  readonly #entries = new Map<string, Map<string, Entry>>();

  constructor(load: DiscoveryLoader, options: DiscoveryCacheOptions = {}) {
    this.#load = load;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError;
    if (!(this.#ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    if (!(this.#maxBackoffMs >= this.#ttlMs)) {
      throw new RangeError(`maxBackoffMs (${this.#maxBackoffMs}) must be at least ttlMs (${this.#ttlMs})`);
    }
  }

  discover(service: string, env: string): Promise<readonly DiscoveredInstance[]> {
    const entry = this.#entry(service, env);
    if (entry.resolved !== undefined) {
      if (entry.inflight === undefined && this.#now() >= entry.nextCallAt) {
        // Stale: answer now, refresh in the background; a failure is recorded and the stale answer stays.
        this.#call(entry, service, env).catch(() => {});
      }
      return entry.resolved;
    }
    if (entry.inflight !== undefined) return entry.inflight;
    if (entry.failures > 0 && this.#now() < entry.nextCallAt) return Promise.reject(entry.error);
    return this.#call(entry, service, env);
  }

  /**
   * A fresh answer, because a call to an instance of the last one failed to connect. Joins a call in flight;
   * otherwise calls the loader at once, unless the previous refresh was less than `ttlMs / 10` ago (so a burst
   * of failing requests makes a bounded number of calls), in which case the current answer is returned.
   */
  refresh(service: string, env: string): Promise<readonly DiscoveredInstance[]> {
    const entry = this.#entry(service, env);
    if (entry.inflight !== undefined) return entry.inflight;
    if (entry.resolved !== undefined && this.#now() < entry.refreshedAt + this.#ttlMs / 10)
      return entry.resolved;
    entry.refreshedAt = this.#now();
    return this.#call(entry, service, env);
  }

  #entry(service: string, env: string): Entry {
    const services = getOrCreate(this.#entries, env, () => new Map<string, Entry>());
    return getOrCreate(services, service, () => ({
      value: undefined,
      resolved: undefined,
      inflight: undefined,
      nextCallAt: 0,
      refreshedAt: Number.NEGATIVE_INFINITY,
      failures: 0,
      error: undefined,
    }));
  }

  #call(entry: Entry, service: string, env: string): Promise<readonly DiscoveredInstance[]> {
    let call: Promise<readonly DiscoveredInstance[]>;
    try {
      call = this.#load(service, env);
    } catch (error) {
      call = Promise.reject(error);
    }
    const inflight = call.then(
      (value) => {
        entry.value = value;
        entry.resolved = Promise.resolve(value);
        entry.inflight = undefined;
        entry.failures = 0;
        entry.error = undefined;
        entry.nextCallAt = this.#now() + this.#ttlMs;
        return value;
      },
      (error: unknown) => {
        entry.inflight = undefined;
        entry.failures++;
        entry.error = error;
        const backoff = Math.min(this.#ttlMs * 2 ** Math.min(entry.failures - 1, 30), this.#maxBackoffMs);
        entry.nextCallAt = this.#now() + backoff;
        this.#onError?.(error, service, env);
        throw error;
      },
    );
    entry.inflight = inflight;
    return inflight;
  }
}
