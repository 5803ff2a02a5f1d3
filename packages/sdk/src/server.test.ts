import { createServer, type RequestListener, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  createLanePlugin,
  currentLane,
  type LaneServerOptions,
  laneHandler,
  laneMiddleware,
  lanePlugin,
} from './index.js';

/** What a test server answers: the lane seen by the handler, after the body was read. */
const answer = (body: unknown) => ({ lane: currentLane() ?? null, body });

type Start = (options: LaneServerOptions) => Promise<{ port: number; close: () => Promise<void> }>;

async function startNode(listener: RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const frameworks: [string, Start][] = [
  [
    'node:http',
    (options) =>
      startNode(
        laneHandler((req, res) => {
          let body = '';
          req.on('data', (chunk) => {
            body += chunk;
          });
          req.on('end', () => res.end(JSON.stringify(answer(JSON.parse(body)))));
        }, options),
      ),
  ],
  [
    'Express',
    (options) => {
      const app = express();
      app.use(laneMiddleware(options));
      app.use(express.json());
      app.post('/', (req, res) => {
        res.json(answer(req.body));
      });
      return startNode(app);
    },
  ],
  [
    'Fastify (register with options)',
    async (options) => {
      const app = Fastify();
      await app.register(lanePlugin, options);
      app.post('/', async (req) => answer(req.body));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
    },
  ],
  [
    'Fastify (createLanePlugin)',
    async (options) => {
      const app = Fastify();
      await app.register(createLanePlugin(options));
      app.post('/', async (req) => answer(req.body));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
    },
  ],
];

/** POSTs a JSON body in two chunks 30 ms apart, so the body is read from later socket events. */
function slowPost(port: number, tracestate: string | undefined) {
  return new Promise<{ headers: Record<string, unknown>; json: unknown }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json', ...(tracestate ? { tracestate } : {}) },
      },
      (res) => {
        let data = '';
        res.on('data', (chunk) => {
          data += chunk;
        });
        res.on('end', () => resolve({ headers: res.headers, json: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.write('{"a":');
    setTimeout(() => req.end('1}'), 30);
  });
}

describe.each(frameworks)('%s integration', (_, start) => {
  it('keeps the lane for the whole request, also after a slowly streamed body', async () => {
    const server = await start({ lane: 'gray' });
    try {
      const response = await slowPost(server.port, 'congo=1, ctx=lane:blue');
      expect(response.json).toEqual({ lane: 'blue', body: { a: 1 } });
      expect(response.headers['x-lanes-lane']).toBe('gray');
    } finally {
      await server.close();
    }
  });

  it('gives the baseline (no lane) for a missing or malformed tracestate', async () => {
    const server = await start({ lane: 'base' });
    try {
      expect((await slowPost(server.port, undefined)).json).toEqual({ lane: null, body: { a: 1 } });
      expect((await slowPost(server.port, 'ctx=lane:,,=,ctx=lane:gray')).json).toEqual({
        lane: null,
        body: { a: 1 },
      });
    } finally {
      await server.close();
    }
  });

  it('writes the response header under the configured name, or none', async () => {
    const renamed = await start({ lane: 'gray', responseHeader: 'x-served-by-lane' });
    const none = await start({ lane: 'gray', responseHeader: false });
    const noLane = await start({});
    try {
      const headers = (await slowPost(renamed.port, undefined)).headers;
      expect(headers['x-served-by-lane']).toBe('gray');
      expect(headers['x-lanes-lane']).toBeUndefined();
      expect((await slowPost(none.port, undefined)).headers['x-lanes-lane']).toBeUndefined();
      expect((await slowPost(noLane.port, undefined)).headers['x-lanes-lane']).toBeUndefined();
    } finally {
      await Promise.all([renamed.close(), none.close(), noLane.close()]);
    }
  });
});
