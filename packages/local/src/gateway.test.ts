import http from 'node:http';
import { decodeHopReport, TRACE_HOP_HEADER, TRACE_REQUEST_HEADER } from '@ecs-lanes/core';
import { laneHandler } from '@ecs-lanes/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_LANE_HEADER, Gateway, SERVICE_HEADER } from './gateway.js';
import { closeServer, listen } from './registry.js';

/** Upstream servers that answer with their own name. */
const upstreams: http.Server[] = [];
async function upstream(name: string): Promise<number> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'x-lanes-lane': name });
    res.end(name);
  });
  upstreams.push(server);
  return listen(server, 0);
}

const gateway = new Gateway('orders');
let url = '';
let ports: Record<string, number> = {};

beforeAll(async () => {
  ports = { base: await upstream('base'), gray: await upstream('gray'), 'feat-x': await upstream('feat-x') };
  gateway.setRoutes({
    baseline: 'base',
    lanes: new Map([
      ['base', [{ id: 'b', port: ports.base! }]],
      ['gray', [{ id: 'g', port: ports.gray! }]],
      ['feat-x', [{ id: 'f', port: ports['feat-x']! }]],
      ['empty', []],
    ]),
  });
  url = `http://127.0.0.1:${await gateway.listen(0)}/`;
});
afterAll(async () => {
  await gateway.close();
  await Promise.all(upstreams.map((s) => closeServer(s)));
});

async function laneOf(tracestate: string | undefined): Promise<string> {
  const response = await fetch(url, { headers: tracestate === undefined ? {} : { tracestate } });
  expect(response.headers.get(SERVICE_HEADER)).toBe('orders');
  const routed = response.headers.get(GATEWAY_LANE_HEADER);
  expect(await response.text()).toBe(routed);
  return routed!;
}

describe('Gateway routing (the ALB rule conditions of core)', () => {
  it.each([
    [undefined, 'base'],
    ['', 'base'],
    ['ctx=lane:gray', 'gray'],
    ['vendor=abc,ctx=lane:gray', 'gray'],
    ['vendor=abc , ctx=lane:gray ,other=1', 'gray'],
    ['ctx=lane:gray,vendor=abc', 'gray'],
    ['CTX=LANE:GRAY', 'gray'],
    ['ctx=lane:feat-x', 'feat-x'],
    ['ctx=lane:gray2', 'base'],
    ['ctx=lane:gra', 'base'],
    ['xctx=lane:gray', 'base'],
    ['ctx=lane:gray-x', 'base'],
    ['ctx=lane: gray', 'base'],
    ['ctx=lane:blue', 'base'],
    ['ctx=lane:empty', 'base'],
    ['ctx=lane:base', 'base'],
  ])('tracestate %j goes to lane %s', async (tracestate, lane) => {
    expect(await laneOf(tracestate)).toBe(lane);
  });

  it('drops a lane from the table once it has no healthy instance', async () => {
    gateway.setRoutes({ baseline: 'base', lanes: new Map([['base', [{ id: 'b', port: ports.base! }]]]) });
    expect(gateway.routedLanes()).toEqual([]);
    expect(await laneOf('ctx=lane:gray')).toBe('base');
  });

  it('answers 503 when not even the baseline has a healthy instance', async () => {
    gateway.setRoutes({ baseline: 'base', lanes: new Map() });
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'no healthy instance of orders (lane base)' });
  });

  it('retries a bodyless request once when its instance refuses the connection', async () => {
    const closed = await upstream('gone');
    await closeServer(upstreams.pop());
    gateway.setRoutes({
      baseline: 'base',
      lanes: new Map([
        [
          'base',
          [
            { id: 'x', port: closed },
            { id: 'b', port: ports.base! },
          ],
        ],
      ]),
    });
    for (let i = 0; i < 4; i++) expect((await fetch(url)).status).toBe(200);
  });
});

describe('Gateway forwarding', () => {
  const echo = new Gateway('orders');
  let echoUrl = '';
  beforeAll(async () => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(201, 'Made', [
          'x-lanes-service',
          'spoofed',
          'set-cookie',
          'a=1',
          'set-cookie',
          'b=2',
          'Keep-Alive',
          'timeout=1',
        ]);
        res.end(JSON.stringify({ method: req.method, body, headers: req.headers }));
      });
    });
    upstreams.push(server);
    echo.setRoutes({
      baseline: 'base',
      lanes: new Map([['base', [{ id: 'e', port: await listen(server, 0) }]]]),
    });
    echoUrl = `http://127.0.0.1:${await echo.listen(0)}/x?y=1`;
  });
  afterAll(() => echo.close());

  it('forwards method, body and end-to-end headers, and drops hop-by-hop ones both ways', async () => {
    const response = await fetch(echoUrl, {
      method: 'POST',
      body: 'hello',
      headers: { 'X-Custom': 'v', 'Proxy-Connection': 'keep-alive', TE: 'trailers' },
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.headers.get(SERVICE_HEADER)).toBe('orders');
    expect(response.headers.get(GATEWAY_LANE_HEADER)).toBe('base');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('keep-alive')).not.toBe('timeout=1');
    const seen = (await response.json()) as { method: string; body: string; headers: Record<string, string> };
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe('hello');
    expect(seen.headers['x-custom']).toBe('v');
    expect(seen.headers['proxy-connection']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers.host).toBe(new URL(echoUrl).host);
  });
});

describe('Gateway hop tracing (x-lanes-trace: 1)', () => {
  const traced = new Gateway('orders');
  let tracedUrl = '';
  const servers: http.Server[] = [];

  beforeAll(async () => {
    // Upstreams run the SDK's server integration, which reports the instance's lane; one also forges a hop header.
    const sdkUpstream = async (lane: string) => {
      const server = http.createServer(
        laneHandler(
          (_req, res) => {
            res.setHeader(TRACE_HOP_HEADER, '{"forged":true}');
            res.end(lane);
          },
          { lane },
        ),
      );
      servers.push(server);
      return listen(server, 0);
    };
    traced.setRoutes({
      baseline: 'base',
      lanes: new Map([
        ['base', [{ id: 'tb', port: await sdkUpstream('base') }]],
        ['gray', [{ id: 'tg', port: await sdkUpstream('gray') }]],
      ]),
      deployed: new Set(['base', 'gray', 'down']),
    });
    tracedUrl = `http://127.0.0.1:${await traced.listen(0)}/`;
  });
  afterAll(async () => {
    await traced.close();
    await Promise.all(servers.map((s) => closeServer(s)));
  });

  const hopFor = async (headers: Record<string, string>) => {
    const response = await fetch(tracedUrl, { headers });
    await response.text();
    return response.headers.get(TRACE_HOP_HEADER);
  };

  it.each([
    ['ctx=lane:gray', { asked: 'gray', served: 'gray', reason: 'lane' }],
    ['ctx=lane:down', { asked: 'down', served: 'base', reason: 'unhealthy' }],
    ['ctx=lane:blue', { asked: 'blue', served: 'base', reason: 'not-deployed' }],
    [undefined, { served: 'base', reason: 'no-lane' }],
  ])(
    'reports its routing decision for tracestate %j, wrapped around the instance report',
    async (tracestate, want) => {
      const hop = decodeHopReport(
        await hopFor({ [TRACE_REQUEST_HEADER]: '1', ...(tracestate ? { tracestate } : {}) }),
      );
      expect(hop).toEqual({ service: 'orders', ...want, by: 'gateway', reported: true, calls: [] });
    },
  );

  it('reports nothing for an untraced request, and never passes on a hop header forged upstream', async () => {
    expect(await hopFor({ tracestate: 'ctx=lane:gray' })).toBeNull();
    expect(await hopFor({ [TRACE_REQUEST_HEADER]: '1' })).not.toContain('forged');
  });
});
