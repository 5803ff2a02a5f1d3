import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPropagatingFetch,
  type FetchLike,
  laneContextFromTraceState,
  laneInterceptor,
  runWithLaneContext,
} from './index.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const inRequest = <T>(tracestate: string | undefined, fn: () => T, traceparent?: string): T =>
  runWithLaneContext(laneContextFromTraceState(tracestate, traceparent), fn);

/** A fetch that records the tracestate it would send, without a network. */
function recordingFetch(): { fetch: FetchLike; sent: (string | null)[] } {
  const sent: (string | null)[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      sent.push(new Request(input, init).headers.get('tracestate'));
      return new Response('ok');
    },
  };
}

describe('createPropagatingFetch', () => {
  it('sends the call untouched when the request has no lane', async () => {
    const { fetch, sent } = recordingFetch();
    const lanesFetch = createPropagatingFetch(fetch);
    await lanesFetch('http://x/');
    await inRequest('congo=1', () => lanesFetch('http://x/', { headers: { tracestate: 'rojo=2' } }));
    expect(sent).toEqual([null, 'rojo=2']);
  });

  it('writes the lane and the incoming vendors when the call has no tracestate', async () => {
    const { fetch, sent } = recordingFetch();
    const lanesFetch = createPropagatingFetch(fetch);
    await inRequest('congo=1,ctx=lane:gray', () => lanesFetch('http://x/'), TRACEPARENT);
    expect(sent).toEqual(['ctx=lane:gray,congo=1']);
  });

  it('writes only the lane when no traceparent came in', async () => {
    const { fetch, sent } = recordingFetch();
    await inRequest('congo=1,ctx=lane:gray', () => createPropagatingFetch(fetch)('http://x/'));
    expect(sent).toEqual(['ctx=lane:gray']);
  });

  it.each([
    ['init headers (object)', (f: FetchLike) => f('http://x/', { headers: { tracestate: 'rojo=2' } })],
    [
      'init headers (Headers)',
      (f: FetchLike) => f('http://x/', { headers: new Headers({ tracestate: 'rojo=2' }) }),
    ],
    ['init headers (pairs)', (f: FetchLike) => f('http://x/', { headers: [['TraceState', 'rojo=2']] })],
    ['a Request', (f: FetchLike) => f(new Request('http://x/', { headers: { tracestate: 'rojo=2' } }))],
  ])("sets the lane in the call's own tracestate given as %s", async (_, call) => {
    const { fetch, sent } = recordingFetch();
    await inRequest('congo=1,ctx=lane:gray', () => call(createPropagatingFetch(fetch)));
    expect(sent).toEqual(['ctx=lane:gray,rojo=2']);
  });

  it('keeps the other init fields and headers', async () => {
    let seen: Request | undefined;
    const lanesFetch = createPropagatingFetch(async (input, init) => {
      seen = new Request(input, init);
      return new Response('ok');
    });
    await inRequest('ctx=lane:gray', () =>
      lanesFetch('http://x/', { method: 'POST', body: 'hi', headers: { 'x-a': '1' } }),
    );
    expect(seen?.method).toBe('POST');
    expect(await seen?.text()).toBe('hi');
    expect(seen?.headers.get('x-a')).toBe('1');
    expect(seen?.headers.get('tracestate')).toBe('ctx=lane:gray');
  });
});

describe('laneInterceptor (undici)', () => {
  let server: Server;
  let origin: string;
  const received: IncomingHttpHeaders[] = [];
  const agent = new Agent().compose(laneInterceptor());

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const last = () => received.at(-1)!;

  it('adds nothing when the request has no lane', async () => {
    await (await request(origin, { dispatcher: agent })).body.text();
    expect(last().tracestate).toBeUndefined();
    await inRequest('congo=1', async () => (await request(origin, { dispatcher: agent })).body.text());
    expect(last().tracestate).toBeUndefined();
  });

  it.each([
    ['no headers', undefined, 'ctx=lane:gray'],
    ['an object', { 'x-a': '1', TraceState: 'rojo=2' }, 'ctx=lane:gray,rojo=2'],
    ['a flat array', ['x-a', '1', 'tracestate', 'rojo=2'], 'ctx=lane:gray,rojo=2'],
    ['an iterable', new Map([['x-a', '1']]), 'ctx=lane:gray'],
  ])('writes the lane with headers given as %s (undici.request)', async (_, headers, expected) => {
    await inRequest('congo=1,ctx=lane:gray', async () =>
      (await request(origin, { dispatcher: agent, headers: headers as never })).body.text(),
    );
    expect(last().tracestate).toBe(expected);
    expect(last().traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    if (headers !== undefined) expect(last()['x-a']).toBe('1');
  });

  it('writes the lane for undici.fetch, keeping its tracestate', async () => {
    await inRequest('ctx=lane:gray', async () =>
      (await undiciFetch(origin, { dispatcher: agent, headers: { tracestate: 'rojo=2' } })).text(),
    );
    expect(last().tracestate).toBe('ctx=lane:gray,rojo=2');
  });
});
