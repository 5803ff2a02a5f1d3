/**
 * The local registry: answers lane-aware discovery the way AWS Cloud Map's `DiscoverInstances` does for ECS
 * services, over HTTP on 127.0.0.1:
 *
 *   GET /v1/discover?namespace={env}.local&service={service}  ->  { "Instances": [ DiscoveredInstance... ] }
 *
 * Every lane of a service is one Cloud Map service's instances, told apart by `ECS_SERVICE_NAME` (the lane's ECS
 * service name from core `naming.ts`, as ECS sets it), with `AWS_INSTANCE_IPV4`, `AWS_INSTANCE_PORT` and a
 * `HealthStatus`. Errors use Cloud Map's error shape (`__type`, `message`) and status codes.
 * @see https://docs.aws.amazon.com/cloud-map/latest/api/API_DiscoverInstances.html
 */
import http from 'node:http';
import {
  type DiscoveredInstance,
  ECS_SERVICE_NAME_ATTRIBUTE,
  IPV4_ATTRIBUTE,
  LOCAL_REGISTRY_DISCOVER_PATH,
  laneNames,
  PORT_ATTRIBUTE,
} from '@ecs-lanes/core';

/** One running instance of a lane, as the supervisor knows it. */
export interface RegistryInstance {
  readonly id: string;
  readonly lane: string;
  readonly port: number;
  readonly healthy: boolean;
}

/** The Cloud Map shape of one local instance of `service`'s lane in `env`. */
export function toDiscoveredInstance(
  env: string,
  service: string,
  instance: RegistryInstance,
): DiscoveredInstance {
  return {
    InstanceId: instance.id,
    NamespaceName: `${env}.local`,
    ServiceName: service,
    HealthStatus: instance.healthy ? 'HEALTHY' : 'UNHEALTHY',
    Attributes: {
      [ECS_SERVICE_NAME_ATTRIBUTE]: laneNames(service, env, instance.lane).ecsService,
      [IPV4_ATTRIBUTE]: '127.0.0.1',
      [PORT_ATTRIBUTE]: String(instance.port),
    },
  };
}

/** The registry of one environment. Answers are serialized once per change, not per request. */
export class Registry {
  private readonly namespace: string;
  private readonly bodies = new Map<string, string>();
  private server: http.Server | undefined;

  constructor(
    readonly env: string,
    services: readonly string[],
  ) {
    this.namespace = `${env}.local`;
    for (const service of services) this.setInstances(service, []);
  }

  /** Replaces the instances of `service` (every lane). Declares the service if it was unknown. */
  setInstances(service: string, instances: readonly RegistryInstance[]): void {
    const Instances = instances.map((i) => toDiscoveredInstance(this.env, service, i));
    this.bodies.set(service, JSON.stringify({ Instances }));
  }

  /** Handles one request (exposed for tests). */
  readonly handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://registry');
    if (request.method !== 'GET' || url.pathname !== LOCAL_REGISTRY_DISCOVER_PATH) {
      send(response, 404, {
        __type: 'NotFound',
        message: `no such endpoint; use GET ${LOCAL_REGISTRY_DISCOVER_PATH}`,
      });
      return;
    }
    const namespace = url.searchParams.get('namespace');
    const service = url.searchParams.get('service');
    if (!namespace || !service) {
      send(response, 400, { __type: 'InvalidInput', message: 'namespace and service are required' });
      return;
    }
    if (namespace !== this.namespace) {
      send(response, 404, {
        __type: 'NamespaceNotFound',
        message: `namespace ${namespace} not found`,
      });
      return;
    }
    const body = this.bodies.get(service);
    if (body === undefined) {
      send(response, 404, {
        __type: 'ServiceNotFound',
        message: `service ${service} not found in ${namespace}`,
      });
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  };

  /** Listens on 127.0.0.1:`port`. */
  async listen(port: number): Promise<number> {
    const server = http.createServer({ keepAliveTimeout: 30_000 }, this.handle);
    this.server = server;
    return listen(server, port);
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await closeServer(this.server);
  }
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Listens on 127.0.0.1 only; resolves with the port (useful with 0). Rejects on EADDRINUSE and the like. */
export function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Closes a server and its idle keep-alive connections. */
export function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}
