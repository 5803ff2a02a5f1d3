/**
 * Three real HTTP services in this process, on 127.0.0.1 with ephemeral ports, calling each other by logical name:
 * web (Express) → orders (Fastify) → inventory (plain node:http). orders has a `gray` instance; web and inventory
 * have only the baseline. The lane must survive every hop, and each hop must fall back on its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLanePlugin,
  createLanesFetch,
  currentLane,
  type InstanceResolver,
  type LanesFetch,
  laneHandler,
  laneMiddleware,
  staticResolver,
} from './index.js';

interface Hop {
  service: string;
  answeredBy: string;
  requestLane: string | null;
  tracestate: string | string[] | null;
  body?: unknown;
  next?: Hop & { answeredByHeader: string | null };
}

let resolver: InstanceResolver | undefined;
const lazyResolver: InstanceResolver = { discover: (service, env) => resolver!.discover(service, env) };
const lanesFetch: LanesFetch = createLanesFetch({ resolver: lazyResolver, env: 'test' });

async function callNext(url: string, init?: RequestInit): Promise<Hop['next']> {
  const response = await lanesFetch(url, init);
  return { ...((await response.json()) as Hop), answeredByHeader: response.headers.get('x-lanes-lane') };
}

function web(): Promise<Server> {
  const app = express();
  app.use(laneMiddleware({ lane: 'base' }));
  app.use(express.json());
  app.post('/', async (req, res) => {
    const before = currentLane();
    const next = await callNext('http://orders/order', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'book' }),
    });
    res.json({
      service: 'web',
      answeredBy: 'base',
      requestLane: before ?? null,
      tracestate: req.headers.tracestate ?? null,
      body: req.body,
      next,
    } satisfies Hop);
  });
  return listen(createServer(app));
}

async function orders(lane: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(createLanePlugin({ lane }));
  app.post('/order', async (req) => {
    const requestLane = currentLane() ?? null;
    return {
      service: 'orders',
      answeredBy: lane,
      requestLane,
      tracestate: req.headers.tracestate ?? null,
      body: req.body,
      next: await callNext('http://inventory/stock'),
    } satisfies Hop;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

function inventory(lane: string): Promise<Server> {
  return listen(
    createServer(
      laneHandler(
        (req, res) => {
          setTimeout(() => {
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify({
                service: 'inventory',
                answeredBy: lane,
                requestLane: currentLane() ?? null,
                tracestate: req.headers.tracestate ?? null,
              } satisfies Hop),
            );
          }, 1);
        },
        { lane },
      ),
    ),
  );
}

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const address = (server: Server) => `127.0.0.1:${(server.address() as AddressInfo).port}`;

describe('a lane through three hops: Express → Fastify → node:http', () => {
  const servers: Server[] = [];
  const apps: FastifyInstance[] = [];
  let webUrl = '';

  beforeAll(async () => {
    const webBase = await web();
    const ordersBase = await orders('base');
    const ordersGray = await orders('gray');
    const inventoryBase = await inventory('base');
    servers.push(webBase, inventoryBase);
    apps.push(ordersBase, ordersGray);
    resolver = staticResolver({
      web: { base: [address(webBase)] },
      orders: { base: [address(ordersBase.server)], gray: [address(ordersGray.server)] },
      inventory: { base: [address(inventoryBase)] },
    });
    webUrl = `http://${address(webBase)}/`;
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const call = async (tracestate?: string, traceparent?: string) => {
    const response = await fetch(webUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(tracestate ? { tracestate } : {}),
        ...(traceparent ? { traceparent } : {}),
      },
      body: JSON.stringify({ user: 'u1' }),
    });
    expect(response.status).toBe(200);
    return { header: response.headers.get('x-lanes-lane'), hop: (await response.json()) as Hop };
  };

  it('keeps lane gray through every hop: orders answers from gray, inventory falls back to base', async () => {
    const { header, hop } = await call(
      'congo=t61rcWkgMzE,ctx=lane:gray',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    expect(header).toBe('base');
    expect(hop).toMatchObject({
      service: 'web',
      answeredBy: 'base',
      requestLane: 'gray',
      body: { user: 'u1' },
    });
    expect(hop.next).toMatchObject({
      service: 'orders',
      answeredBy: 'gray',
      answeredByHeader: 'gray',
      requestLane: 'gray',
      body: { item: 'book' },
      tracestate: 'ctx=lane:gray,congo=t61rcWkgMzE',
    });
    expect(hop.next?.next).toMatchObject({
      service: 'inventory',
      answeredBy: 'base',
      answeredByHeader: 'base',
      requestLane: 'gray',
      tracestate: 'ctx=lane:gray,congo=t61rcWkgMzE',
    });
  });

  it('sends a request without a lane to the baseline everywhere and adds no tracestate', async () => {
    const { hop } = await call();
    expect(hop.requestLane).toBeNull();
    expect(hop.next).toMatchObject({ answeredBy: 'base', requestLane: null, tracestate: null });
    expect(hop.next?.next).toMatchObject({ answeredBy: 'base', requestLane: null, tracestate: null });
  });

  it('falls back at each hop for a lane no service has, and still carries it to the last hop', async () => {
    const { hop } = await call('ctx=lane:blue');
    expect(hop.next).toMatchObject({ answeredBy: 'base', requestLane: 'blue' });
    expect(hop.next?.next).toMatchObject({
      answeredBy: 'base',
      requestLane: 'blue',
      tracestate: 'ctx=lane:blue',
    });
  });

  it('treats a malformed lane entry as the baseline without failing', async () => {
    const { hop } = await call('ctx=lane:Gray--,=,,bad');
    expect(hop.requestLane).toBeNull();
    expect(hop.next).toMatchObject({ answeredBy: 'base', requestLane: null });
  });

  it('keeps concurrent requests of different lanes apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => call(index % 2 === 0 ? 'ctx=lane:gray' : undefined)),
    );
    results.forEach(({ hop }, index) => {
      const lane = index % 2 === 0 ? 'gray' : null;
      expect(hop.next).toMatchObject({ answeredBy: lane ?? 'base', requestLane: lane });
      expect(hop.next?.next).toMatchObject({ answeredBy: 'base', requestLane: lane });
    });
  });
});
