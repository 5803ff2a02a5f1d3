/**
 * `lanes trace` on the local target sends valid W3C Trace Context: the request in a lane carries a fresh valid
 * `traceparent` with its `tracestate`, since every spec-compliant hop discards a `tracestate` that comes without
 * one (https://www.w3.org/TR/trace-context/#tracestate-header, §3.3). Proved on the headers a real local HTTP
 * server received in the gateway's place.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalEnvironmentConfig, parseTraceParent, readLane } from '@ecs-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleConfig } from './e2e-helpers.js';
import { traceThroughGateway } from './trace-local.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A real HTTP server on 127.0.0.1 that records the headers of every request and answers 200. */
async function recordingServer(): Promise<{ url: string; received: IncomingHttpHeaders[] }> {
  const received: IncomingHttpHeaders[] = [];
  server = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, received };
}

async function traceTo(entry: string, lane: string) {
  const { config } = await exampleConfig();
  const env = config.environments.find((e): e is LocalEnvironmentConfig => e.target === 'local')!;
  return traceThroughGateway({
    config,
    env,
    service: 'orders',
    lane,
    path: '/',
    entry,
    deployed: [{ service: 'orders', lane }],
  });
}

describe('the request lanes trace sends to the gateway', () => {
  it('names the lane in tracestate and carries a valid traceparent with it', async () => {
    const { url, received } = await recordingServer();
    await traceTo(url, 'gray');
    expect(received).toHaveLength(1);
    expect(readLane(received[0]!.tracestate)).toBe('gray');
    expect(parseTraceParent(received[0]!.traceparent)).toBeDefined();
  });

  it('starts a new trace on every run', async () => {
    const { url, received } = await recordingServer();
    await traceTo(url, 'gray');
    await traceTo(url, 'gray');
    expect(received[0]!.traceparent).not.toBe(received[1]!.traceparent);
  });

  it('sends neither for the baseline, which asks for no lane', async () => {
    const { url, received } = await recordingServer();
    await traceTo(url, 'base');
    expect(received[0]!.tracestate).toBeUndefined();
  });
});
