/**
 * The local target's registry as a resolver: `GET {registry}/v1/discover?namespace={env}.local&service={service}`
 * answers `{ Instances: DiscoveredInstance[] }`, as Cloud Map's `DiscoverInstances` does. Behind the same cache
 * as the Cloud Map resolver.
 */
import {
  type DiscoveredInstance,
  type DiscoverInstancesOutput,
  LOCAL_REGISTRY_DISCOVER_PATH,
  LOCAL_REGISTRY_ENV,
} from '@ecs-lanes/core/discovery';
import type { FetchLike } from './propagation.js';
import {
  DiscoveryCache,
  type DiscoveryCacheOptions,
  type InstanceResolver,
  namespaceOf,
} from './resolver.js';

/** Options of {@link localRegistryResolver}. */
export interface LocalRegistryResolverOptions extends DiscoveryCacheOptions {
  /**
   * The registry's base URL, e.g. `http://127.0.0.1:4510`.
   * @default the environment variable `LANES_REGISTRY_URL`
   */
  readonly url?: string;
  /**
   * The `fetch` used to ask the registry.
   * @default the global fetch
   */
  readonly fetch?: FetchLike;
  /**
   * Time allowed for one registry call, in milliseconds.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /** @default 1000 (the local target restarts processes often; the registry is local and cheap) */
  readonly ttlMs?: number;
}

function isInstance(value: unknown): value is DiscoveredInstance {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.InstanceId === 'string' &&
    typeof candidate.Attributes === 'object' &&
    candidate.Attributes !== null
  );
}

/**
 * A resolver asking the local target's registry.
 * @throws Error when no URL is given and `LANES_REGISTRY_URL` is not set, or the URL is not http(s).
 */
export function localRegistryResolver(options: LocalRegistryResolverOptions = {}): InstanceResolver {
  const url = options.url ?? process.env[LOCAL_REGISTRY_ENV];
  if (url === undefined || url.length === 0) {
    throw new Error(`the local registry resolver needs a URL: pass { url } or set ${LOCAL_REGISTRY_ENV}`);
  }
  const base = new URL(url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`${LOCAL_REGISTRY_ENV}="${url}" must be an http(s) URL`);
  }
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 2_000;
  const load = async (service: string, env: string): Promise<readonly DiscoveredInstance[]> => {
    const query = new URL(LOCAL_REGISTRY_DISCOVER_PATH, base);
    query.searchParams.set('namespace', namespaceOf(env));
    query.searchParams.set('service', service);
    const response = await doFetch(query, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`local registry ${query.href} answered HTTP ${response.status}`);
    }
    const body = (await response.json()) as Partial<DiscoverInstancesOutput> | null;
    const instances = body?.Instances;
    if (!Array.isArray(instances)) {
      throw new Error(`local registry ${query.href} answered without an Instances array`);
    }
    return Object.freeze(instances.filter(isInstance));
  };
  return new DiscoveryCache(load, { ...options, ttlMs: options.ttlMs ?? 1_000 });
}
