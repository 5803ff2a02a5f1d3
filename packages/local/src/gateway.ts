/**
 * The local gateway: one HTTP listener per service, as the ALB has. It routes with the very conditions core
 * produces for the ALB listener rules ({@link laneRuleConditions}, compiled once per routing change by
 * {@link compileLaneRules}): a request matching lane L's rule goes to L's healthy instances, anything else to the
 * baseline's (the default action). A lane gets its rule only while it has a healthy instance, as a lane's ALB
 * rule exists only after its ECS service is stable, so lane traffic never meets an empty lane.
 *
 * Hot path (STYLE.md, "Hot paths"): the match table and the upstream pools are built per routing change, never per
 * request; each upstream instance has its own keep-alive agent, destroyed when the instance leaves the table.
 * Responses carry `x-lanes-service` and `x-lanes-gateway-lane` (the lane the gateway routed to); the service
 * itself may report its own lane in `x-lanes-lane` (the SDK does), which the gateway passes through untouched.
 */
import http from 'node:http';
import { compileLaneRules, type LaneRuleMatcher, laneRuleConditions } from '@ecs-lanes/core';
import { closeServer, listen } from './registry.js';

/** Response header naming the service the gateway belongs to. */
export const SERVICE_HEADER = 'x-lanes-service';
/** Response header naming the lane the gateway routed the request to. */
export const GATEWAY_LANE_HEADER = 'x-lanes-gateway-lane';

/** One upstream instance. */
export interface GatewayInstance {
  readonly id: string;
  readonly port: number;
}

/** What the gateway routes to: the healthy instances of each lane. */
export interface GatewayRoutes {
  readonly baseline: string;
  /** Healthy instances by lane (lanes without any may be left out or empty). */
  readonly lanes: ReadonlyMap<string, readonly GatewayInstance[]>;
}

/** A compiled upstream: one instance with its connection pool. */
class Upstream {
  readonly agent: http.Agent;
  /** Requests in flight to this instance (a redeploy waits for them before stopping it). */
  inFlight = 0;
  constructor(
    readonly id: string,
    readonly port: number,
  ) {
    this.agent = new http.Agent({
      keepAlive: true,
      keepAliveMsecs: 1_000,
      maxSockets: 256,
      maxFreeSockets: 64,
    });
  }
}

/** A lane's upstreams with a round-robin cursor. */
class LanePool {
  next = 0;
  constructor(
    readonly lane: string,
    readonly upstreams: readonly Upstream[],
  ) {}
  pick(): Upstream | undefined {
    const n = this.upstreams.length;
    if (n === 0) return undefined;
    const upstream = this.upstreams[this.next % n];
    this.next = (this.next + 1) % n;
    return upstream;
  }
}

/** The routing table of one configuration: built once, read per request. */
interface Table {
  readonly match: LaneRuleMatcher;
  readonly pools: ReadonlyMap<string, LanePool>;
  readonly baseline: LanePool;
}

const NO_ROUTES: Table = {
  match: () => undefined,
  pools: new Map(),
  baseline: new LanePool('', []),
};

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** The gateway of one service. */
export class Gateway {
  private table: Table = NO_ROUTES;
  private readonly upstreams = new Map<string, Upstream>();
  private server: http.Server | undefined;

  constructor(readonly service: string) {}

  /** The lanes that currently have a rule (non-baseline lanes with a healthy instance), in rule order. */
  routedLanes(): string[] {
    return [...this.table.pools.keys()];
  }

  /** Requests in flight to instance `id`. */
  inFlight(id: string): number {
    return this.upstreams.get(id)?.inFlight ?? 0;
  }

  /**
   * Installs a new routing table: rules for the lanes with healthy instances (in lane-name order; lane rules
   * never overlap, so order does not change the outcome), pools for their instances. Instances no longer routed
   * keep their pools until their requests finish, then their idle connections are closed.
   */
  setRoutes(routes: GatewayRoutes): void {
    const seen = new Set<string>();
    const poolOf = (lane: string, instances: readonly GatewayInstance[]) => {
      const ups = instances.map((i) => {
        seen.add(i.id);
        let up = this.upstreams.get(i.id);
        if (up === undefined || up.port !== i.port) {
          up = new Upstream(i.id, i.port);
          this.upstreams.set(i.id, up);
        }
        return up;
      });
      return new LanePool(lane, ups);
    };
    const pools = new Map<string, LanePool>();
    const rules = [];
    for (const lane of [...routes.lanes.keys()].sort()) {
      const instances = routes.lanes.get(lane) ?? [];
      if (lane === routes.baseline || instances.length === 0) continue;
      pools.set(lane, poolOf(lane, instances));
      rules.push({ lane, conditions: laneRuleConditions(lane) });
    }
    const baseline = poolOf(routes.baseline, routes.lanes.get(routes.baseline) ?? []);
    this.table = { match: compileLaneRules(rules), pools, baseline };
    for (const [id, up] of this.upstreams) {
      if (seen.has(id)) continue;
      this.upstreams.delete(id);
      retire(up);
    }
  }

  /** Handles one request (exposed for tests). */
  readonly handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const table = this.table;
    const lane = table.match(request.headers);
    const pool = (lane === undefined ? undefined : table.pools.get(lane)) ?? table.baseline;
    this.forward(request, response, pool, true);
  };

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    pool: LanePool,
    mayRetry: boolean,
  ): void {
    const upstream = pool.pick();
    if (upstream === undefined) {
      const body = JSON.stringify({
        error: `no healthy instance of ${this.service} (lane ${pool.lane || 'baseline'})`,
      });
      response.writeHead(503, { 'content-type': 'application/json', [SERVICE_HEADER]: this.service });
      response.end(body);
      request.resume();
      return;
    }
    upstream.inFlight++;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        upstream.inFlight--;
      }
    };
    const headers: http.OutgoingHttpHeaders = {};
    for (const name in request.headers) if (!HOP_BY_HOP.has(name)) headers[name] = request.headers[name];
    const proxied = http.request({
      host: '127.0.0.1',
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers,
      agent: upstream.agent,
    });
    proxied.on('response', (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const name in answer.headers) if (!HOP_BY_HOP.has(name)) out[name] = answer.headers[name];
      out[SERVICE_HEADER] = this.service;
      out[GATEWAY_LANE_HEADER] = pool.lane;
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(response);
      answer.on('end', finish);
      answer.on('error', finish);
    });
    proxied.on('error', (error: NodeJS.ErrnoException) => {
      finish();
      if (response.headersSent) {
        response.destroy(error);
        return;
      }
      // A connection refused or reset before any answer (an instance that just stopped) is retried once on the
      // current table for requests without a body that are safe to repeat.
      if (mayRetry && !hasBody(request) && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET')) {
        const table = this.table;
        const lane = table.match(request.headers);
        const retryPool = (lane === undefined ? undefined : table.pools.get(lane)) ?? table.baseline;
        this.forward(request, response, retryPool, false);
        return;
      }
      const body = JSON.stringify({
        error: `upstream ${this.service}/${pool.lane} failed: ${error.code ?? error.message}`,
      });
      response.writeHead(502, { 'content-type': 'application/json', [SERVICE_HEADER]: this.service });
      response.end(body);
    });
    response.on('close', finish);
    if (hasBody(request)) request.pipe(proxied);
    else {
      proxied.end();
      if (mayRetry) request.resume();
    }
  }

  /** Listens on 127.0.0.1:`port`. */
  async listen(port: number): Promise<number> {
    const server = http.createServer({ keepAliveTimeout: 30_000 }, this.handle);
    this.server = server;
    return listen(server, port);
  }

  /** Stops listening and closes every upstream connection. */
  async close(): Promise<void> {
    await closeServer(this.server);
    for (const up of this.upstreams.values()) up.agent.destroy();
    this.upstreams.clear();
  }
}

/** True unless the request is a GET, HEAD or OPTIONS without a body (those are safe to send again). */
function hasBody(request: http.IncomingMessage): boolean {
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return true;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Closes an upstream's connections once its last request has finished. */
function retire(up: Upstream): void {
  if (up.inFlight === 0) {
    up.agent.destroy();
    return;
  }
  const timer = setInterval(() => {
    if (up.inFlight > 0) return;
    clearInterval(timer);
    up.agent.destroy();
  }, 50);
  timer.unref();
}
