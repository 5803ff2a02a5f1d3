/**
 * What `lanes verify` and `lanes trace` send on AWS is valid W3C Trace Context: every request in a lane carries a
 * fresh valid `traceparent` with its `tracestate`, because every spec-compliant hop discards a `tracestate` that
 * comes without one (https://www.w3.org/TR/trace-context/#tracestate-header, §3.3). Proved on the headers a real
 * local HTTP server received (the fake's ALB URL is sent to it instead).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTraceParent, readLane } from '@ecs-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeWorld } from './fake/index.js';
import { createAwsTarget } from './target.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A real HTTP server on 127.0.0.1 that records the headers of every request and answers 200 `{}`. */
async function recordingServer(): Promise<{ port: number; received: IncomingHttpHeaders[] }> {
  const received: IncomingHttpHeaders[] = [];
  server = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server!.address() as AddressInfo).port, received };
}

/** A world with lane gray of orders deployed, whose target sends its HTTP requests to `port` on 127.0.0.1. */
async function worldSendingTo(port: number) {
  const w = createFakeWorld();
  await w.bootstrap('orders');
  await createAwsTarget(w.options).deploy({ service: 'orders', env: 'dev', lane: 'gray', branch: 'gray' });
  return createAwsTarget({
    ...w.options,
    fetch: (url, init) => fetch(`http://127.0.0.1:${port}${new URL(String(url)).pathname}`, init),
  });
}

describe('requests the AWS target makes in a lane carry a valid traceparent with the tracestate', () => {
  it('lanes verify: each request names the lane and starts its own valid trace', async () => {
    const { port, received } = await recordingServer();
    const target = await worldSendingTo(port);
    await target.verify({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(received.length).toBeGreaterThanOrEqual(2);
    for (const headers of received) {
      expect(readLane(headers.tracestate)).toBe('gray');
      expect(parseTraceParent(headers.traceparent)).toBeDefined();
    }
    expect(new Set(received.map((h) => h.traceparent)).size).toBe(received.length);
  });

  it('lanes trace: the traced request names the lane with a valid traceparent', async () => {
    const { port, received } = await recordingServer();
    const target = await worldSendingTo(port);
    await target.trace({ service: 'orders', env: 'dev', lane: 'gray' });
    expect(received).toHaveLength(1);
    expect(readLane(received[0]!.tracestate)).toBe('gray');
    expect(parseTraceParent(received[0]!.traceparent)).toBeDefined();
  });
});
