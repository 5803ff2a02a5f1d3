/**
 * Hop tracing through real HTTP services in this process: web (Express) → orders (Fastify) → inventory
 * (node:http), called by logical name. orders has a `gray` instance; inventory's `gray` instance is unhealthy;
 * a variant of orders calls inventory from a worker outside the request (it loses the lane and the trace).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeInstanceReport, TRACE_INSTANCE_HEADER, TRACE_REQUEST_HEADER } from '@ecs-lanes/core/discovery';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLanePlugin,
  createLanesFetch,
  type InstanceResolver,
  laneHandler,
  laneMiddleware,
  staticResolver,
} from './index.js';

let resolver: InstanceResolver | undefined;
const lazy: InstanceResolver = { discover: (service, env) => resolver!.discover(service, env) };
const lanesFetch = createLanesFetch({ resolver: lazy, env: 'test' });

/** What an outside host saw (the trace header must never reach it). */
let outsideSawTrace: string | undefined | null = null;

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const address = (server: Server) => `127.0.0.1:${(server.address() as AddressInfo).port}`;

function web(outside: () => string): Promise<Server> {
  const app = express();
  app.use(laneMiddleware({ lane: 'base' }));
  app.get('/', async (_req, res) => {
    await (await lanesFetch(`http://${outside()}/`)).text();
    const orders = await (await lanesFetch('http://orders/')).json();
    res.json({ service: 'web', orders });
  });
  return listen(createServer(app));
}

/** orders; `dropsLane` calls inventory from a worker started outside any request, as a pooled client does. */
async function orders(lane: string, dropsLane = false): Promise<FastifyInstance> {
  const queue: { resolve: (v: unknown) => void }[] = [];
  const app = Fastify();
  if (dropsLane) {
    setInterval(() => {
      for (const job of queue.splice(0)) {
        lanesFetch('http://inventory/')
          .then((r) => r.json())
          .then(job.resolve);
      }
    }, 5).unref();
  }
  await app.register(createLanePlugin({ lane }));
  app.get('/', async () => ({
    service: 'orders',
    lane,
    inventory: dropsLane
      ? await new Promise((resolve) => queue.push({ resolve }))
      : await (await lanesFetch('http://inventory/')).json(),
  }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

function inventory(lane: string): Promise<Server> {
  return listen(
    createServer(
      laneHandler(
        (_req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ service: 'inventory', lane }));
        },
        { lane },
      ),
    ),
  );
}

describe('hop tracing across three services', () => {
  const servers: Server[] = [];
  const apps: FastifyInstance[] = [];
  let webUrl = '';

  beforeAll(async () => {
    const outside = await listen(
      createServer((req, res) => {
        outsideSawTrace = req.headers[TRACE_REQUEST_HEADER] as string | undefined;
        res.end('ok');
      }),
    );
    const webBase = await web(() => address(outside));
    const ordersBase = await orders('base');
    const ordersGray = await orders('gray');
    const lossyOrders = await orders('gray', true);
    const inventoryBase = await inventory('base');
    const inventoryGray = await inventory('gray');
    servers.push(outside, webBase, inventoryBase, inventoryGray);
    apps.push(ordersBase, ordersGray, lossyOrders);
    const inv = {
      base: [address(inventoryBase)],
      gray: [
        {
          host: '127.0.0.1',
          port: (inventoryGray.address() as AddressInfo).port,
          health: 'UNHEALTHY' as const,
        },
      ],
    };
    const lossyResolver = staticResolver({
      orders: { base: [address(ordersBase.server)], gray: [address(lossyOrders.server)] },
      inventory: inv,
    });
    const goodResolver = staticResolver({
      orders: { base: [address(ordersBase.server)], gray: [address(ordersGray.server)] },
      inventory: inv,
    });
    resolver = {
      discover: (service, env) =>
        (currentEntry === 'lossy' ? lossyResolver : goodResolver).discover(service, env),
    };
    webUrl = `http://${address(webBase)}/`;
  });

  let currentEntry: 'good' | 'lossy' = 'good';

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const get = (url: string, headers: Record<string, string>) => fetch(url, { headers });

  it('answers a traced request with the whole tree: each hop with the lane asked, the lane served and why', async () => {
    currentEntry = 'good';
    const response = await get(webUrl, { tracestate: 'ctx=lane:gray', [TRACE_REQUEST_HEADER]: '1' });
    expect(response.status).toBe(200);
    const report = decodeInstanceReport(response.headers.get(TRACE_INSTANCE_HEADER));
    expect(report).toEqual({
      lane: 'base',
      asked: 'gray',
      calls: [
        {
          service: 'orders',
          asked: 'gray',
          served: 'gray',
          reason: 'lane',
          by: 'sdk',
          reported: true,
          calls: [
            {
              service: 'inventory',
              asked: 'gray',
              served: 'base',
              reason: 'unhealthy',
              by: 'sdk',
              reported: true,
              calls: [],
            },
          ],
        },
      ],
    });
  });

  it('never sends the trace header to a host that is not a logical service name', async () => {
    currentEntry = 'good';
    outsideSawTrace = null;
    await get(webUrl, { tracestate: 'ctx=lane:gray', [TRACE_REQUEST_HEADER]: '1' });
    expect(outsideSawTrace).toBeUndefined();
  });

  it('reports nothing unless asked: no header on an untraced request, nor for any other header value', async () => {
    currentEntry = 'good';
    const cases: Record<string, string>[] = [
      { tracestate: 'ctx=lane:gray' },
      { [TRACE_REQUEST_HEADER]: 'yes' },
    ];
    for (const headers of cases) {
      const response = await get(webUrl, headers);
      expect(response.status).toBe(200);
      expect(response.headers.get(TRACE_INSTANCE_HEADER)).toBeNull();
    }
  });

  it('shows where a service loses the lane: its calls made outside the request never come back in the tree', async () => {
    currentEntry = 'lossy';
    const response = await get(webUrl, { tracestate: 'ctx=lane:gray', [TRACE_REQUEST_HEADER]: '1' });
    const report = decodeInstanceReport(response.headers.get(TRACE_INSTANCE_HEADER));
    expect(report?.calls[0]).toMatchObject({ service: 'orders', served: 'gray', reported: true, calls: [] });
  });
});
