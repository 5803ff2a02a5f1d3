import http from 'node:http';
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
