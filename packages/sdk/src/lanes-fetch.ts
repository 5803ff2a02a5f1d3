/**
 * `createLanesFetch`: a `fetch` that calls services by their logical name (`http://orders/path`), sending each call
 * to the current lane's instance of that service, or to the baseline's when the lane has none healthy (core
 * `pickLaneInstances`), round-robin among the chosen instances, and propagating the lane.
 */
import {
  type DiscoveredInstance,
  IPV4_ATTRIBUTE,
  type LaneInstances,
  PORT_ATTRIBUTE,
  pickLaneInstances,
} from '@ecs-lanes/core/discovery';
import { DEFAULT_BASELINE_LANE } from '@ecs-lanes/core/lane';
import { currentLane } from './context.js';
import { type FetchLike, initWithLane, sendWithLane } from './propagation.js';
import { getOrCreate, type InstanceResolver } from './resolver.js';
import { currentTrace, sendTraced } from './trace.js';

/** Where one call goes: useful for logs and tests. */
export interface LaneRoute {
  /** The logical service name (the URL's host). */
  readonly service: string;
  /** The lane the request asked for; undefined for the baseline. */
  readonly requestedLane: string | undefined;
  /** The lane that serves the call: the requested one, or the baseline. */
  readonly lane: string;
  /** True when the requested lane had no healthy instance and the baseline was chosen. */
  readonly fellBack: boolean;
  /** Why that lane serves the call (core `pickLaneInstances`): `lane`, `not-deployed`, `unhealthy` or `no-lane`. */
  readonly reason: LaneInstances['reason'];
  /** The chosen instance. */
  readonly instance: DiscoveredInstance;
  /** The URL the call is sent to (`http://ip:port/path`). */
  readonly url: string;
}

/** Thrown when no healthy instance can serve a call, not even the baseline's. */
export class NoInstanceError extends Error {
  readonly service: string;
  readonly lane: string | undefined;
  constructor(service: string, env: string, lane: string | undefined, baseline: string) {
    const asked = lane === undefined || lane === baseline ? `baseline lane ${baseline}` : `lane ${lane}`;
    super(
      `no healthy instance of service "${service}" in environment "${env}" for ${asked}` +
        (lane === undefined || lane === baseline ? '' : ` nor for the baseline lane ${baseline}`),
    );
    this.name = 'NoInstanceError';
    this.service = service;
    this.lane = lane;
  }
}

/** Options of {@link createLanesFetch}. */
export interface LanesFetchOptions {
  /** Where services' instances are found. */
  readonly resolver: InstanceResolver;
  /** The environment (Cloud Map namespace `{env}.local`). */
  readonly env: string;
  /**
   * The baseline lane's name.
   * @default 'base'
   */
  readonly baseline?: string;
  /**
   * The `fetch` that sends calls.
   * @default the global fetch
   */
  readonly fetch?: FetchLike;
  /**
   * Called with the route of every call that is resolved (for logs).
   * @default routes are not reported
   */
  readonly onRoute?: (route: LaneRoute) => void;
}

/** A `fetch` that resolves logical service names lane-first. */
export interface LanesFetch extends FetchLike {
  /**
   * Where a call to `url` made now, in the current request's lane, goes: it advances the round-robin exactly as a
   * call does. Undefined when the URL's host is not a logical service name.
   * @throws NoInstanceError when no healthy instance serves it.
   */
  route(url: string | URL): Promise<LaneRoute | undefined>;
}

/**
 * True when `host` is a logical service name: one DNS label (no dot, not an IPv6 literal), not `localhost`.
 * Other hosts (`api.example.com`, `127.0.0.1`) are called as they are, with the lane propagated.
 */
export function isLogicalServiceHost(host: string): boolean {
  return host.length > 0 && !host.includes('.') && !host.startsWith('[') && host !== 'localhost';
}

interface Pick extends LaneInstances {
  next: number;
}

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when `fetch` failed because the instance could not be reached (not an HTTP error). */
function isConnectFailure(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return error instanceof TypeError && typeof cause?.code === 'string' && CONNECT_FAILURES.has(cause.code);
}

/** True when the request has no body and an idempotent method, so sending it again is safe. */
function canRetry(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const hasBody = init?.body != null || (input instanceof Request && input.body !== null);
  return !hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
}

/** `host:port` of an instance (its Cloud Map attributes). */
function instanceAuthority(instance: DiscoveredInstance, protocol: string): string {
  const ip = instance.Attributes[IPV4_ATTRIBUTE];
  if (ip === undefined) throw new Error(`instance ${instance.InstanceId} has no ${IPV4_ATTRIBUTE} attribute`);
  const port = instance.Attributes[PORT_ATTRIBUTE];
  const isDefault =
    port === undefined ||
    port === '' ||
    (port === '80' && protocol === 'http:') ||
    (port === '443' && protocol === 'https:');
  return isDefault ? ip : `${ip}:${port}`;
}

/**
 * `http://host[:port]/rest` split without building a URL object (the hot path: a URL costs microseconds).
 * Anything else (IPv6, user info, which fetch rejects anyway) goes through `new URL`.
 */
const SIMPLE_URL = /^(https?:)\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::\d{1,5})?([/?#].*)?$/;

interface UrlParts {
  readonly protocol: string;
  readonly host: string;
  readonly rest: string;
}

function splitUrl(input: string | URL | Request): UrlParts {
  if (typeof input === 'string') {
    const m = SIMPLE_URL.exec(input);
    if (m) return { protocol: m[1]!.toLowerCase(), host: m[2]!.toLowerCase(), rest: m[3] ?? '/' };
  }
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  return {
    protocol: url.protocol,
    host: url.hostname,
    rest: `${url.pathname}${url.search}${url.hash}`,
  };
}

/**
 * A `fetch` for calls between services: `lanesFetch('http://orders/path')`.
 *
 * For a logical host (see {@link isLogicalServiceHost}) it asks the resolver for the service's instances, picks the
 * current lane's healthy ones or else the baseline's, takes the next one round-robin, and rewrites the URL to
 * `http://ip:port/path`. Every call propagates the current lane in `tracestate`, with a valid `traceparent`
 * (`propagation.ts`).
 */
export function createLanesFetch(options: LanesFetchOptions): LanesFetch {
  const { resolver, env, onRoute } = options;
  const baseline = options.baseline ?? DEFAULT_BASELINE_LANE;
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  // Picks per answer of the resolver (same array object while unchanged) and per lane: computed once per answer.
  const picks = new WeakMap<readonly DiscoveredInstance[], Map<string, Map<string, Pick>>>();

  const choose = async (service: string, lane: string | undefined): Promise<Pick> => {
    const instances = await resolver.discover(service, env);
    let byService = picks.get(instances);
    if (byService === undefined) {
      byService = new Map();
      picks.set(instances, byService);
    }
    const byLane = getOrCreate(byService, service, () => new Map<string, Pick>());
    const pick = getOrCreate(byLane, lane ?? baseline, () => ({
      ...pickLaneInstances(instances, { service, env, lane, baseline }),
      next: 0,
    }));
    if (pick.instances.length === 0) throw new NoInstanceError(service, env, lane, baseline);
    return pick;
  };

  const nextInstance = (pick: Pick): DiscoveredInstance => {
    const instance = pick.instances[pick.next % pick.instances.length]!;
    pick.next = (pick.next + 1) % pick.instances.length;
    return instance;
  };

  const routeOf = (
    service: string,
    lane: string | undefined,
    pick: Pick,
    instance: DiscoveredInstance,
    url: string,
  ): LaneRoute => ({
    service,
    requestedLane: lane,
    lane: pick.lane,
    fellBack: pick.fellBack,
    reason: pick.reason,
    instance,
    url,
  });

  const sendTo = async (
    input: string | URL | Request,
    parts: UrlParts,
    lane: string | undefined,
    send: RequestInit | undefined,
  ): Promise<Response> => {
    const pick = await choose(parts.host, lane);
    const instance = nextInstance(pick);
    const target = `${parts.protocol}//${instanceAuthority(instance, parts.protocol)}${parts.rest}`;
    onRoute?.(routeOf(parts.host, lane, pick, instance, target));
    const request = input instanceof Request ? new Request(target, input) : target;
    const trace = currentTrace();
    if (trace === undefined) return sendWithLane(() => baseFetch(request, send));
    const decision = { service: parts.host, asked: lane, served: pick.lane, reason: pick.reason };
    return sendWithLane(() => sendTraced(trace, decision, baseFetch, request, send));
  };

  const lanesFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const parts = splitUrl(input);
    const lane = currentLane();
    const send = lane === undefined ? init : initWithLane(input, init);
    if (!isLogicalServiceHost(parts.host)) return sendWithLane(() => baseFetch(input, send));
    try {
      return await sendTo(input, parts, lane, send);
    } catch (error) {
      // The instance is gone (a lane removed or redeployed since the last answer): ask again, and retry once
      // when the request can be sent twice safely.
      if (!isConnectFailure(error) || !resolver.refresh || !canRetry(input, init)) throw error;
      await resolver.refresh(parts.host, env);
      return sendTo(input, parts, lane, send);
    }
  };

  return Object.assign(lanesFetch, {
    async route(url: string | URL): Promise<LaneRoute | undefined> {
      const parts = splitUrl(url);
      const lane = currentLane();
      if (!isLogicalServiceHost(parts.host)) return undefined;
      const pick = await choose(parts.host, lane);
      const instance = nextInstance(pick);
      return routeOf(
        parts.host,
        lane,
        pick,
        instance,
        `${parts.protocol}//${instanceAuthority(instance, parts.protocol)}${parts.rest}`,
      );
    },
  });
}
