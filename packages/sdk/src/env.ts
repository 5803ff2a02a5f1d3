/**
 * `configureFromEnv()`: everything a service needs, from the environment variables that ECS task definitions and
 * the local target set (`ENV`, `LANE`, `PORT`, `LANES_REGISTRY_URL`, `LANES_BASELINE`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_REGISTRY_ENV } from '@ecs-lanes/core/discovery';
import { assertLaneName, DEFAULT_BASELINE_LANE } from '@ecs-lanes/core/lane';
import type { RequestHandler } from 'express';
import type { FastifyPluginCallback } from 'fastify';
import { createLanesFetch, type LaneRoute, type LanesFetch } from './lanes-fetch.js';
import { localRegistryResolver } from './local.js';
import type { FetchLike } from './propagation.js';
import type { InstanceResolver } from './resolver.js';
import { createLanePlugin, type LaneServerOptions, laneHandler, laneMiddleware } from './server.js';

/** The environment variables read by {@link configureFromEnv}. */
export const LANES_ENV_VARIABLES = {
  env: 'ENV',
  lane: 'LANE',
  port: 'PORT',
  host: 'HOST',
  registry: LOCAL_REGISTRY_ENV,
  baseline: 'LANES_BASELINE',
} as const;

/** Options of {@link configureFromEnv}. */
export interface ConfigureFromEnvOptions {
  /**
   * The variables to read.
   * @default process.env
   */
  readonly variables?: Readonly<Record<string, string | undefined>>;
  /**
   * The resolver.
   * @default the local registry when `LANES_REGISTRY_URL` is set, else Cloud Map (`@ecs-lanes/sdk/cloudmap`,
   * loaded on first use)
   */
  readonly resolver?: InstanceResolver;
  /**
   * The `fetch` under `lanes.fetch`.
   * @default the global fetch
   */
  readonly fetch?: FetchLike;
  /**
   * The response header naming the lane that answered, or `false` for none.
   * @default 'x-lanes-lane'
   */
  readonly responseHeader?: string | false;
  /** @default 3000 when `PORT` is not set */
  readonly defaultPort?: number;
  /** @default routes are not reported */
  readonly onRoute?: (route: LaneRoute) => void;
}

/** What a service gets from {@link configureFromEnv}. */
export interface Lanes {
  /** The environment (`ENV`). */
  readonly env: string;
  /** This instance's lane (`LANE`, default the baseline). */
  readonly lane: string;
  /** The baseline lane's name (`LANES_BASELINE`, default `base`). */
  readonly baseline: string;
  /** The port to listen on (`PORT`). */
  readonly port: number;
  /**
   * The address to listen on (`HOST`). Default: `127.0.0.1` on the local target (`LANES_REGISTRY_URL` set),
   * so nothing is reachable from other machines; `0.0.0.0` on ECS, where the ALB and other tasks reach the
   * task through its network interface.
   */
  readonly host: string;
  /** The resolver in use. */
  readonly resolver: InstanceResolver;
  /** Calls other services by logical name, lane-first, propagating the lane: `lanes.fetch('http://orders/x')`. */
  readonly fetch: LanesFetch;
  /** Options for the server integrations (this instance's lane, the response header). */
  readonly serverOptions: LaneServerOptions;
  /** Wraps a `node:http` listener: `http.createServer(lanes.handler((req, res) => ...))`. */
  handler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
    listener: (request: Req, response: Res) => unknown,
  ): (request: Req, response: Res) => unknown;
  /** Express middleware: `app.use(lanes.express())`. */
  express(): RequestHandler;
  /** Fastify plugin: `await app.register(lanes.fastify)`. */
  readonly fastify: FastifyPluginCallback;
}

/** Thrown when an environment variable is missing or invalid. */
export class LanesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LanesConfigError';
  }
}

/** A resolver that loads `@ecs-lanes/sdk/cloudmap` (and the AWS SDK) only when first asked. */
function lazyCloudMapResolver(): InstanceResolver {
  let resolver: Promise<InstanceResolver> | undefined;
  return {
    discover(service, env) {
      resolver ??= import('./cloudmap.js').then((module) => module.cloudMapResolver());
      return resolver.then((loaded) => loaded.discover(service, env));
    },
  };
}

function laneVariable(name: string, value: string): string {
  try {
    return assertLaneName(value);
  } catch (error) {
    throw new LanesConfigError(`${name}="${value}": ${(error as Error).message}`);
  }
}

/**
 * Configures the SDK from environment variables:
 * - `ENV` (required): the environment, i.e. Cloud Map namespace `{ENV}.local`;
 * - `LANE`: this instance's lane, default the baseline;
 * - `LANES_BASELINE`: the baseline lane's name, default `base`;
 * - `PORT`: the port to listen on, default 3000;
 * - `HOST`: the address to listen on, default `127.0.0.1` on the local target and `0.0.0.0` elsewhere;
 * - `LANES_REGISTRY_URL`: the local target's registry; when unset, Cloud Map is used.
 *
 * @throws LanesConfigError naming the variable and the fix when one is missing or invalid.
 */
export function configureFromEnv(options: ConfigureFromEnvOptions = {}): Lanes {
  const variables = options.variables ?? process.env;
  const read = (name: string): string | undefined => {
    const value = variables[name]?.trim();
    return value === undefined || value.length === 0 ? undefined : value;
  };
  const env = read(LANES_ENV_VARIABLES.env);
  if (env === undefined) {
    throw new LanesConfigError(
      `${LANES_ENV_VARIABLES.env} is not set: set it to the environment this service runs in (e.g. ENV=dev)`,
    );
  }
  const baseline = laneVariable(
    LANES_ENV_VARIABLES.baseline,
    read(LANES_ENV_VARIABLES.baseline) ?? DEFAULT_BASELINE_LANE,
  );
  const lane = laneVariable(LANES_ENV_VARIABLES.lane, read(LANES_ENV_VARIABLES.lane) ?? baseline);
  const portText = read(LANES_ENV_VARIABLES.port);
  const port = portText === undefined ? (options.defaultPort ?? 3000) : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LanesConfigError(`${LANES_ENV_VARIABLES.port}="${portText}" is not a port number (0 to 65535)`);
  }
  const registry = read(LANES_ENV_VARIABLES.registry);
  const host = read(LANES_ENV_VARIABLES.host) ?? (registry === undefined ? '0.0.0.0' : '127.0.0.1');
  const resolver =
    options.resolver ??
    (registry === undefined
      ? lazyCloudMapResolver()
      : localRegistryResolver({ url: registry, ...(options.fetch ? { fetch: options.fetch } : {}) }));
  const serverOptions: LaneServerOptions = {
    lane,
    ...(options.responseHeader === undefined ? {} : { responseHeader: options.responseHeader }),
  };
  const lanesFetch = createLanesFetch({
    resolver,
    env,
    baseline,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onRoute ? { onRoute: options.onRoute } : {}),
  });
  return {
    env,
    lane,
    baseline,
    port,
    host,
    resolver,
    fetch: lanesFetch,
    serverOptions,
    handler: (listener) => laneHandler(listener, serverOptions),
    express: () => laneMiddleware(serverOptions),
    fastify: createLanePlugin(serverOptions),
  };
}
