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
 *
 * Held to the ALB where a caller can tell (each limit is in {@link GatewayLimits} with its AWS page):
 * - a lane's group fails open: when none of its registered instances is healthy, it routes to all of them;
 * - `X-Forwarded-For` (the client's address appended), `X-Forwarded-Proto` and `X-Forwarded-Port` are set;
 * - an upstream that sends nothing for the idle timeout (60 s) is answered with 504;
 * - the request line, each header and the whole request header have the ALB's size limits;
 * - a service that answers before it read the request body gets its answer to the client at once: the rest of the
 *   body is read and dropped, as behind nginx or an ALB.
 */
import http from 'node:http';
import {
  compileLaneRules,
  type LaneRuleMatcher,
  laneRuleConditions,
  TRACE_HOP_HEADER,
  TRACE_REQUEST_HEADER,
  TRACE_REQUEST_VALUE,
} from '@ecs-lanes/core';
import { gatewayHopHeader } from './gateway-trace.js';
import { closeServer, listen } from './registry.js';

/** Response header naming the service the gateway belongs to. */
export const SERVICE_HEADER = 'x-lanes-service';
/** Response header naming the lane the gateway routed the request to. */
export const GATEWAY_LANE_HEADER = 'x-lanes-gateway-lane';

/** One upstream instance: a registered target (it passed its first health check). */
export interface GatewayInstance {
  readonly id: string;
  readonly port: number;
  /** Its current health. @default true */
  readonly healthy?: boolean;
}

/**
 * What the gateway routes to: the registered instances of each lane. A lane with none has no rule (its requests go
 * to the baseline); within a lane, requests go to the healthy instances, or to all of them when none is healthy.
 */
export interface GatewayRoutes {
  readonly baseline: string;
  /** Registered instances by lane (lanes without any may be left out or empty). */
  readonly lanes: ReadonlyMap<string, readonly GatewayInstance[]>;
  /**
   * Every lane deployed for the service, healthy or not: traced requests report `unhealthy` rather than
   * `not-deployed` for these (docs/trace.md). @default the lanes of {@link lanes}
   */
  readonly deployed?: ReadonlySet<string>;
}

/**
 * The gateway's limits and timeouts, defaulting to the ALB's.
 * - Header sizes: "Quotas for your Application Load Balancers", HTTP headers (request line 16K, single header 16K,
 *   entire request header 64K), https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 * - Idle timeout: "Edit attributes for your Application Load Balancer", connection idle timeout (60 s by default),
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html
 */
export interface GatewayLimits {
  /** Longest request line (method, target, version). Longer: 414. @default 16384 */
  readonly maxRequestLineBytes: number;
  /** Longest single header (name and value). Longer: 431. @default 16384 */
  readonly maxHeaderBytes: number;
  /** Largest request header as a whole. Larger: 431 (Node's `maxHeaderSize`). @default 65536 */
  readonly maxRequestHeaderBytes: number;
  /** An upstream that sends nothing this long is answered with 504; idle client connections close. @default 60000 */
  readonly idleTimeoutMs: number;
  /** Time to receive the whole request header (Node's `headersTimeout`). @default 60000 */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request (Node's `requestTimeout`). @default 300000 */
  readonly requestTimeoutMs: number;
  /** Client connections open at once; more are refused (Node's `maxConnections`). @default 10000 */
  readonly maxConnections: number;
}

/** The defaults of {@link GatewayLimits} (the ALB's where it has one). */
export const ALB_GATEWAY_LIMITS: GatewayLimits = {
  maxRequestLineBytes: 16 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxRequestHeaderBytes: 64 * 1024,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  maxConnections: 10_000,
};

/** A compiled upstream: one instance with its connection pool. */
class Upstream {
  readonly agent: http.Agent;
  /** The Host header for a request that came without one (HTTP/1.0). */
  readonly host: string;
  /** Requests in flight to this instance (a redeploy waits for them before stopping it). */
  inFlight = 0;
  constructor(
    readonly id: string,
    readonly port: number,
  ) {
    this.host = `127.0.0.1:${port}`;
    // Keep-alive, last-in-first-out (the warmest socket first); as many free sockets as may be busy, so that a
    // burst does not close connections that the next burst opens again.
    this.agent = new http.Agent({
      keepAlive: true,
      keepAliveMsecs: 1_000,
      maxSockets: 256,
      maxFreeSockets: 256,
      scheduling: 'lifo',
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
  /** The (lower-case) header names the rules look at, by name length, for the one pass over raw headers. */
  readonly matchNames: readonly (readonly string[] | undefined)[];
  /**
   * The headers the matcher sees: only those it looks at, filled from the raw headers and emptied after every
   * match (matching is synchronous, so one object serves every request).
   */
  readonly scratch: Record<string, string | string[] | undefined>;
  readonly pools: ReadonlyMap<string, LanePool>;
  readonly baseline: LanePool;
  /** Lanes deployed for the service (for traced requests). */
  readonly deployed: ReadonlySet<string>;
}

const NO_ROUTES: Table = {
  match: () => undefined,
  matchNames: [],
  scratch: {},
  pools: new Map(),
  baseline: new LanePool('', []),
  deployed: new Set(),
};

/**
 * True for a hop-by-hop header name (RFC 9110 §7.6.1), which is not forwarded, in any letter case. The length is
 * looked at first, so most names are never lower-cased.
 */
function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te' || name.toLowerCase() === 'te';
    case 7: {
      const lower = name.toLowerCase();
      return lower === 'trailer' || lower === 'upgrade';
    }
    case 10: {
      const lower = name.toLowerCase();
      return lower === 'connection' || lower === 'keep-alive';
    }
    case 16:
      return name.toLowerCase() === 'proxy-connection';
    case 17:
      return name.toLowerCase() === 'transfer-encoding';
    default:
      return false;
  }
}

/** Marks a request, its upstream request and its answer with the exchange they belong to. */
const EXCHANGE: unique symbol = Symbol('exchange');
type Tagged<T> = T & { [EXCHANGE]?: Exchange };

/**
 * One request on its way through the gateway. Its listeners are module-level functions that find it through
 * the emitter, so a request allocates this one object and no closures.
 */
class Exchange {
  /** The upstream it is counted against (in flight), until {@link release}. */
  upstream: Upstream | undefined = undefined;
  /** The lane it was routed to. */
  lane = '';
  proxied: http.ClientRequest | undefined = undefined;
  answer: http.IncomingMessage | undefined = undefined;
  /** The upstream's answer has been read to its end. */
  answerEnded = false;
  /** The client's response has closed (sent, or the client went away). */
  closed = false;
  /** Sent once more after a refused or reset connection (at most once). */
  retried = false;
  /** The request asked for a hop trace (`x-lanes-trace: 1`). */
  traced = false;
  constructor(
    readonly gateway: Gateway,
    readonly request: http.IncomingMessage,
    readonly response: http.ServerResponse,
    /** Request headers to forward, as name/value pairs (hop-by-hop headers left out). */
    readonly headers: string[],
    readonly hasHost: boolean,
    /** False for a GET, HEAD or OPTIONS without a body (those are safe to send again). */
    readonly hasBody: boolean,
  ) {}
  release(): void {
    const upstream = this.upstream;
    if (upstream !== undefined) {
      this.upstream = undefined;
      upstream.inFlight--;
    }
  }
}

/** True for the `X-Forwarded-*` headers the gateway sets itself (an incoming `X-Forwarded-For` is appended to). */
function isForwardedHeader(name: string): 'for' | 'other' | undefined {
  const length = name.length;
  if (length !== 15 && length !== 16 && length !== 17) return undefined;
  const lower = name.toLowerCase();
  if (lower === 'x-forwarded-for') return 'for';
  return lower === 'x-forwarded-proto' || lower === 'x-forwarded-port' ? 'other' : undefined;
}

/** The gateway of one service. */
export class Gateway {
  private table: Table = NO_ROUTES;
  private readonly upstreams = new Map<string, Upstream>();
  private server: http.Server | undefined;
  /** The limits in force. */
  readonly limits: GatewayLimits;
  /** The port it listens on (the `X-Forwarded-Port`); 0 before {@link listen}. */
  port = 0;

  constructor(
    readonly service: string,
    limits: Partial<GatewayLimits> = {},
  ) {
    this.limits = { ...ALB_GATEWAY_LIMITS, ...limits };
  }

  /** The lanes that currently have a rule (non-baseline lanes with a healthy instance), in rule order. */
  routedLanes(): string[] {
    return [...this.table.pools.keys()];
  }

  /** The lanes deployed for the service, healthy or not (see {@link GatewayRoutes.deployed}). */
  get deployed(): ReadonlySet<string> {
    return this.table.deployed;
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
    const poolOf = (lane: string, registered: readonly GatewayInstance[]) => {
      // Fail open: the healthy instances, or every registered one when none is healthy.
      const healthy = registered.filter((i) => i.healthy !== false);
      const instances = healthy.length > 0 ? healthy : registered;
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
    const matchNames: string[][] = [];
    const scratch: Record<string, undefined> = {};
    for (const rule of rules) {
      for (const condition of rule.conditions) {
        const name = condition.HttpHeaderConfig.HttpHeaderName.toLowerCase();
        if (name in scratch) continue;
        scratch[name] = undefined;
        const sameLength = matchNames[name.length];
        if (sameLength === undefined) matchNames[name.length] = [name];
        else sameLength.push(name);
      }
    }
    const deployed = routes.deployed ?? new Set(routes.lanes.keys());
    this.table = { match: compileLaneRules(rules), matchNames, scratch, pools, baseline, deployed };
    for (const [id, up] of this.upstreams) {
      if (seen.has(id)) continue;
      this.upstreams.delete(id);
      retire(up);
    }
  }

  /** The pool a request with these headers goes to, on the current table. */
  poolFor(headers: http.IncomingHttpHeaders): LanePool {
    const table = this.table;
    const lane = table.match(headers);
    return (lane === undefined ? undefined : table.pools.get(lane)) ?? table.baseline;
  }

  /**
   * Handles one request (exposed for tests). One pass over the raw request headers collects the headers to
   * forward (as name/value pairs, which Node writes without building header objects), the values the lane rules
   * look at, and whether a body follows.
   */
  readonly handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const table = this.table;
    const raw = request.rawHeaders;
    const headers: string[] = [];
    const limits = this.limits;
    // The request line: method, target and "HTTP/1.1" with two spaces.
    if ((request.method?.length ?? 0) + (request.url?.length ?? 0) + 10 > limits.maxRequestLineBytes) {
      this.refuse(
        request,
        response,
        414,
        `the request line is longer than ${limits.maxRequestLineBytes} bytes`,
      );
      return;
    }
    let forwardedFor: string | undefined;
    const matchNames = table.matchNames;
    const scratch = table.scratch;
    let hasHost = false;
    let bodyHeader = false;
    let traced = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      const length = name.length;
      if (length + value.length + 2 > limits.maxHeaderBytes) {
        for (const key in scratch) scratch[key] = undefined;
        this.refuse(request, response, 431, `header ${name} is longer than ${limits.maxHeaderBytes} bytes`);
        return;
      }
      const forwarded = isForwardedHeader(name);
      if (forwarded !== undefined) {
        if (forwarded === 'for')
          forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      }
      const candidates = matchNames[length];
      if (candidates !== undefined) {
        const lower = name.toLowerCase();
        for (const candidate of candidates) {
          if (candidate !== lower) continue;
          const previous = scratch[lower];
          scratch[lower] =
            previous === undefined
              ? value
              : typeof previous === 'string'
                ? [previous, value]
                : [...previous, value];
        }
      }
      if (length === TRACE_REQUEST_HEADER.length && value === TRACE_REQUEST_VALUE) {
        if (!traced) traced = name.toLowerCase() === TRACE_REQUEST_HEADER;
      } else if (length === 4) {
        if (!hasHost && name.toLowerCase() === 'host') hasHost = true;
      } else if (length === 14) {
        if (value !== '0' && name.toLowerCase() === 'content-length') bodyHeader = true;
      } else if (length === 17 && name.toLowerCase() === 'transfer-encoding') {
        bodyHeader = true;
        continue;
      }
      if (!isHopByHop(name)) headers.push(name, value);
    }
    const lane = table.match(scratch);
    for (const key in scratch) scratch[key] = undefined;
    // As the ALB does: the client's address appended to X-Forwarded-For, the listener's protocol and port.
    const client = request.socket.remoteAddress ?? '';
    headers.push(
      'x-forwarded-for',
      forwardedFor === undefined ? client : `${forwardedFor}, ${client}`,
      'x-forwarded-proto',
      'http',
      'x-forwarded-port',
      this.portText,
    );
    const method = request.method;
    const exchange = new Exchange(
      this,
      request,
      response,
      headers,
      hasHost,
      bodyHeader || (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'),
    );
    exchange.traced = traced;
    (response as Tagged<http.ServerResponse>)[EXCHANGE] = exchange;
    (request as Tagged<http.IncomingMessage>)[EXCHANGE] = exchange;
    response.on('close', onResponseClose);
    this.forward(exchange, (lane === undefined ? undefined : table.pools.get(lane)) ?? table.baseline);
  };

  private portText = '0';

  /** Answers an error of the gateway itself (JSON, with the service header) and drops the request's body. */
  private refuse(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    status: number,
    error: string,
  ): void {
    const body = JSON.stringify({ error });
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      [SERVICE_HEADER]: this.service,
    });
    response.end(body);
    request.resume();
  }

  /** Sends the exchange's request to an instance of `pool` (or answers 503 when it has none). */
  forward(exchange: Exchange, pool: LanePool): void {
    const { request, response } = exchange;
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
    exchange.upstream = upstream;
    exchange.lane = pool.lane;
    const proxied: Tagged<http.ClientRequest> = http.request({
      host: '127.0.0.1',
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: exchange.hasHost ? exchange.headers : [...exchange.headers, 'host', upstream.host],
      agent: upstream.agent,
    });
    proxied[EXCHANGE] = exchange;
    exchange.proxied = proxied;
    proxied.setTimeout(this.limits.idleTimeoutMs, onUpstreamIdle);
    proxied.on('response', onAnswer);
    proxied.on('error', onUpstreamError);
    if (exchange.hasBody) request.pipe(proxied);
    else {
      proxied.end();
      if (!exchange.retried) request.resume();
    }
  }

  /** Listens on 127.0.0.1:`port`. */
  async listen(port: number): Promise<number> {
    const limits = this.limits;
    const server = http.createServer(
      {
        keepAliveTimeout: limits.idleTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        maxHeaderSize: limits.maxRequestHeaderBytes,
      },
      this.handle,
    );
    server.maxConnections = limits.maxConnections;
    this.server = server;
    this.port = await listen(server, port);
    this.portText = String(this.port);
    return this.port;
  }

  /** Stops listening and closes every upstream connection. */
  async close(): Promise<void> {
    await closeServer(this.server);
    for (const up of this.upstreams.values()) up.agent.destroy();
    this.upstreams.clear();
  }
}

/** The upstream answered: its status and headers go to the client, then its body as it comes. */
function onAnswer(this: Tagged<http.ClientRequest>, answer: Tagged<http.IncomingMessage>): void {
  const exchange = this[EXCHANGE]!;
  const { response, gateway } = exchange;
  if (exchange.closed) {
    answer.resume();
    return;
  }
  const raw = answer.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (!isHopByHop(name) && !isGatewayHeader(name)) out.push(name, raw[i + 1]!);
  }
  out.push(SERVICE_HEADER, gateway.service, GATEWAY_LANE_HEADER, exchange.lane);
  if (exchange.traced) {
    out.push(
      TRACE_HOP_HEADER,
      gatewayHopHeader(gateway.service, exchange.request, exchange.lane, gateway.deployed, answer),
    );
  }
  response.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
  exchange.answer = answer;
  answer[EXCHANGE] = exchange;
  answer.on('data', onAnswerData);
  answer.on('end', onAnswerEnd);
  answer.on('error', onAnswerError);
}

function onAnswerData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  const response = this[EXCHANGE]!.response;
  if (!response.write(chunk)) {
    this.pause();
    response.once('drain', onResponseDrain);
  }
}

function onResponseDrain(this: Tagged<http.ServerResponse>): void {
  this[EXCHANGE]!.answer?.resume();
}

function onAnswerEnd(this: Tagged<http.IncomingMessage>): void {
  const exchange = this[EXCHANGE]!;
  exchange.answerEnded = true;
  exchange.release();
  const { request, response } = exchange;
  if (request.complete || !exchange.hasBody) {
    response.end();
    return;
  }
  // The service answered before it read the whole body: the answer is already with the client; the rest of the
  // body is read and dropped (not sent to an upstream that stopped reading), then the response ends and the
  // connection stays usable, as nginx and the ALB do.
  request.unpipe(exchange.proxied);
  exchange.proxied?.destroy();
  request.on('end', onDroppedBodyEnd);
  request.on('error', onDroppedBodyEnd);
  request.resume();
}

function onDroppedBodyEnd(this: Tagged<http.IncomingMessage>): void {
  const response = this[EXCHANGE]?.response;
  if (response && !response.writableEnded) response.end();
}

/** The upstream sent nothing for the idle timeout: 504, as the ALB answers. */
function onUpstreamIdle(this: Tagged<http.ClientRequest>): void {
  this.destroy(Object.assign(new Error('idle timeout'), { code: 'IDLE_TIMEOUT' }));
}

function onAnswerError(this: Tagged<http.IncomingMessage>, error: Error): void {
  const exchange = this[EXCHANGE]!;
  exchange.release();
  exchange.response.destroy(error);
}

/** The response closed: the request is no longer in flight; an answer still coming is abandoned. */
function onResponseClose(this: Tagged<http.ServerResponse>): void {
  const exchange = this[EXCHANGE]!;
  exchange.closed = true;
  exchange.release();
  if (!exchange.answerEnded) exchange.proxied?.destroy();
}

function onUpstreamError(this: Tagged<http.ClientRequest>, error: NodeJS.ErrnoException): void {
  const exchange = this[EXCHANGE]!;
  if (exchange.proxied !== this || exchange.answerEnded) return; // replaced by its retry, or already answered
  exchange.release();
  const { response, gateway, request } = exchange;
  if (exchange.closed) return;
  if (response.headersSent) {
    response.destroy(error);
    return;
  }
  // A connection refused or reset before any answer (an instance that just stopped) is retried once on the
  // current table for requests without a body that are safe to repeat.
  if (
    !exchange.retried &&
    !exchange.hasBody &&
    (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET')
  ) {
    exchange.retried = true;
    gateway.forward(exchange, gateway.poolFor(request.headers));
    return;
  }
  if (error.code === 'IDLE_TIMEOUT') {
    const body = JSON.stringify({
      error: `upstream ${gateway.service}/${exchange.lane} sent nothing for ${gateway.limits.idleTimeoutMs} ms (the idle timeout)`,
    });
    response.writeHead(504, { 'content-type': 'application/json', [SERVICE_HEADER]: gateway.service });
    response.end(body);
    request.resume();
    return;
  }
  const body = JSON.stringify({
    error: `upstream ${gateway.service}/${exchange.lane} failed: ${error.code ?? error.message}`,
  });
  response.writeHead(502, { 'content-type': 'application/json', [SERVICE_HEADER]: gateway.service });
  response.end(body);
}

/** True for the headers the gateway itself writes (an upstream's own are replaced). */
function isGatewayHeader(name: string): boolean {
  const length = name.length;
  if (
    length !== SERVICE_HEADER.length &&
    length !== GATEWAY_LANE_HEADER.length &&
    length !== TRACE_HOP_HEADER.length
  ) {
    return false;
  }
  const lower = name.toLowerCase();
  return lower === SERVICE_HEADER || lower === GATEWAY_LANE_HEADER || lower === TRACE_HOP_HEADER;
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
