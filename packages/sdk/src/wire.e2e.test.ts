/**
 * W3C Trace Context on the wire, through real processes and real sockets (issue 12): what a service using the SDK
 * sends to its next hop for every kind of incoming `traceparent`/`tracestate`, with and without OpenTelemetry's
 * auto-instrumentation, and the polyglot chain A (SDK) → B (plain OpenTelemetry, no SDK) → C (SDK).
 *
 * Specs: https://www.w3.org/TR/trace-context/ (traceparent, Level 1) and https://www.w3.org/TR/trace-context-2/
 * (tracestate key grammar, Level 2). Section numbers are from Level 1.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileLaneRules, laneRuleConditions } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The fixtures are spawned, not imported; these type-only imports make tsc check them too.
import type {} from '../wire-fixtures/otel-setup.js';
import { type RunningService, startService } from '../wire-fixtures/processes.js';
import type {} from '../wire-fixtures/sdk-service.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** What a hop received: every field line of each header. */
interface Fields {
  traceparent: string[];
  tracestate: string[];
}
interface Answer {
  service: string;
  lane: string | null;
  requestLane?: string | null;
  received: Fields;
  next: Answer | null;
}

function traceFields(message: IncomingMessage): Fields {
  const fields: Fields = { traceparent: [], tracestate: [] };
  for (let index = 0; index < message.rawHeaders.length; index += 2) {
    const name = message.rawHeaders[index]!.toLowerCase();
    if (name === 'traceparent' || name === 'tracestate') fields[name].push(message.rawHeaders[index + 1]!);
  }
  return fields;
}

/** The next hop: answers with the fields it received. */
async function recorder(): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ service: 'next', lane: null, received: traceFields(req), next: null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Sends a request with exactly these header fields (an array: one line each) and returns the JSON answer. */
function send(url: string, headers: Record<string, string | string[]>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body}`));
        else resolve(JSON.parse(body) as Answer);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `n` members `v0=x0,...`. */
const members = (n: number, value = (i: number) => `x${i}`) =>
  Array.from({ length: n }, (_, i) => `v${i}=${value(i)}`);

/** What the next hop must receive. */
type Expected =
  | { readonly trace: 'continued'; readonly flags: string; readonly tracestate: string }
  | { readonly trace: 'started'; readonly tracestate: string }
  | { readonly trace: 'none' };

const cases: [string, Record<string, string | string[]>, Expected][] = [
  [
    'a valid traceparent: same trace, new parent-id, flags kept, vendors kept behind the lane',
    { traceparent: VALID, tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
  ],
  [
    'not sampled: the flag is kept',
    { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`, tracestate: 'ctx=lane:gray' },
    { trace: 'continued', flags: '00', tracestate: 'ctx=lane:gray' },
  ],
  [
    'unknown flags: zeroed, sampled kept (§3.2.2.5.2)',
    { traceparent: `00-${TRACE_ID}-${PARENT_ID}-ff`, tracestate: 'ctx=lane:gray' },
    { trace: 'continued', flags: '03', tracestate: 'ctx=lane:gray' },
  ],
  [
    'a higher version: parsed and downgraded to 00 (§3.2.4)',
    { traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01-future`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=1' },
  ],
  [
    'no traceparent (an edge request: curl -H "tracestate: ctx=lane:gray"): a trace starts',
    { tracestate: 'ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'no traceparent: other vendors are discarded, only the lane is re-emitted',
    { tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'version ff: invalid, the trace restarts',
    { traceparent: `ff-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'an all-zero trace-id: invalid',
    { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'an all-zero parent-id: invalid',
    { traceparent: `00-${TRACE_ID}-${'0'.repeat(16)}-01`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'upper-case hex: invalid',
    { traceparent: `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'version 00 with more fields: invalid',
    { traceparent: `${VALID}-extra`, tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'two traceparent fields: invalid',
    { traceparent: [VALID, `00-${TRACE_ID}-00f067aa0ba902b7-01`], tracestate: 'congo=1,ctx=lane:gray' },
    { trace: 'started', tracestate: 'ctx=lane:gray' },
  ],
  [
    'OWS around traceparent and around list-members',
    { traceparent: ` ${VALID}\t`, tracestate: ' congo=1 ,\t ctx=lane:gray ,, rojo=2 ' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=1,rojo=2' },
  ],
  [
    'two tracestate fields: combined in order (§3.3.1.1)',
    { traceparent: VALID, tracestate: ['congo=1', 'ctx=lane:gray,rojo=2'] },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=1,rojo=2' },
  ],
  [
    'duplicate keys: only the leftmost is kept',
    { traceparent: VALID, tracestate: 'congo=1,ctx=lane:gray,congo=2' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=1' },
  ],
  [
    '33 members with the lane first: the lane is set, 32 go out',
    { traceparent: VALID, tracestate: ['ctx=lane:gray', ...members(32)].join(',') },
    { trace: 'continued', flags: '01', tracestate: ['ctx=lane:gray', ...members(31)].join(',') },
  ],
  [
    '33 members with the lane 33rd: beyond the 32 the parser keeps, so no lane and nothing added',
    { traceparent: VALID, tracestate: [...members(32), 'ctx=lane:gray'].join(',') },
    { trace: 'none' },
  ],
  [
    '643 characters: whole members removed from the end until it fits in 512 (§3.3.1.5)',
    {
      traceparent: VALID,
      tracestate: ['ctx=lane:gray', ...members(20, (i) => `${i}`.padEnd(27, 'y'))].join(','),
    },
    {
      trace: 'continued',
      flags: '01',
      // 13 + 10 × 31 + 5 × 32 = 483 characters; one more member would make 515.
      tracestate: ['ctx=lane:gray', ...members(15, (i) => `${i}`.padEnd(27, 'y'))].join(','),
    },
  ],
  [
    'one member over 128 characters, within 512: kept',
    { traceparent: VALID, tracestate: `big=${'b'.repeat(200)},ctx=lane:gray,congo=1` },
    { trace: 'continued', flags: '01', tracestate: `ctx=lane:gray,big=${'b'.repeat(200)},congo=1` },
  ],
  [
    'one member over 128 characters in 592: it alone is removed (§3.3.1.5: large entries first)',
    {
      traceparent: VALID,
      tracestate: [
        `big=${'b'.repeat(200)}`,
        'ctx=lane:gray',
        ...members(12, (i) => `${i}`.padEnd(27, 'y')),
      ].join(','),
    },
    {
      trace: 'continued',
      flags: '01',
      tracestate: ['ctx=lane:gray', ...members(12, (i) => `${i}`.padEnd(27, 'y'))].join(','),
    },
  ],
  [
    'illegal key characters: those members are dropped',
    { traceparent: VALID, tracestate: 'Congo=1,ctx=lane:gray,ro jo=2,x.y=3,_a=4,ok=5' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,ok=5' },
  ],
  [
    'illegal value characters: those members are dropped; an inner space is legal',
    { traceparent: VALID, tracestate: 'a=x=y,ctx=lane:gray,b=,c=sp ace,d=ok' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,c=sp ace,d=ok' },
  ],
  [
    'Level 2 keys (foo@bar, 0abc, t@, a@b@c): kept',
    { traceparent: VALID, tracestate: 'foo@bar=1,0abc=2,ctx=lane:gray,t@=3,a@b@c=4' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,foo@bar=1,0abc=2,t@=3,a@b@c=4' },
  ],
  [
    'an upper-case lane entry (read as the ALB does): re-emitted in its normal form',
    { traceparent: VALID, tracestate: 'CTX=LANE:Gray,congo=1' },
    { trace: 'continued', flags: '01', tracestate: 'ctx=lane:gray,congo=1' },
  ],
  [
    'no lane (the baseline): the SDK adds nothing',
    { traceparent: VALID, tracestate: 'congo=1' },
    { trace: 'none' },
  ],
];

/** Checks what the next hop received against `expected`. */
function expectNextHop(received: Fields, expected: Expected): void {
  if (expected.trace === 'none') {
    expect(received).toEqual({ traceparent: [], tracestate: [] });
    return;
  }
  // One field of each, always together.
  expect(received.traceparent).toHaveLength(1);
  expect(received.tracestate).toEqual([expected.tracestate]);
  const [, traceId, parentId, flags] = TRACEPARENT.exec(received.traceparent[0]!) ?? [];
  expect(traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
  expect(parentId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  if (expected.trace === 'continued') {
    expect(traceId).toBe(TRACE_ID);
    expect(parentId).not.toBe(PARENT_ID);
    expect(flags).toBe(expected.flags);
  } else {
    expect(traceId).not.toBe(TRACE_ID);
    expect(flags).toBe('02'); // not sampled (§3.2.2.5.1: 0 when the trace is initiated here), random trace-id
  }
}

describe('what a service with the SDK sends on the next hop (no OpenTelemetry)', () => {
  let next: Awaited<ReturnType<typeof recorder>>;
  const services: RunningService[] = [];
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    next = await recorder();
    const env = (client: string) => ({
      ENV: 'dev',
      LANE: 'base',
      CLIENT: client,
      NEXT: client === 'lanes-fetch' ? 'http://next/' : `http://${next.address}/`,
      NEXT_SERVICES: JSON.stringify({ next: { base: [next.address] } }),
    });
    for (const client of ['lanes-fetch', 'propagating-fetch', 'interceptor']) {
      const service = await startService('sdk-service.ts', `a-${client}`, env(client));
      services.push(service);
      urls[client] = service.url;
    }
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    next?.server.closeAllConnections();
    await new Promise((resolve) => next?.server.close(resolve));
  });

  describe.each(['lanes-fetch', 'propagating-fetch', 'interceptor'])('with %s', (client) => {
    it.each(cases)('%s', async (_, incoming, expected) => {
      const answer = await send(urls[client]!, incoming);
      expectNextHop(answer.next!.received, expected);
    });

    it('starts a different trace for each request that came in without one', async () => {
      const first = await send(urls[client]!, { tracestate: 'ctx=lane:gray' });
      const second = await send(urls[client]!, { tracestate: 'ctx=lane:gray' });
      expect(first.next!.received.traceparent[0]).not.toBe(second.next!.received.traceparent[0]);
    });
  });
});

describe('with OpenTelemetry auto-instrumentation (instrumentation-http and instrumentation-undici) next to the SDK', () => {
  let next: Awaited<ReturnType<typeof recorder>>;
  const services: RunningService[] = [];
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    next = await recorder();
    for (const client of ['lanes-fetch', 'propagating-fetch', 'interceptor']) {
      const service = await startService('sdk-service.ts', `a-otel-${client}`, {
        OTEL: '1',
        ENV: 'dev',
        LANE: 'base',
        CLIENT: client,
        NEXT: client === 'lanes-fetch' ? 'http://next/' : `http://${next.address}/`,
        NEXT_SERVICES: JSON.stringify({ next: { base: [next.address] } }),
      });
      services.push(service);
      urls[client] = service.url;
    }
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    next?.server.closeAllConnections();
    await new Promise((resolve) => next?.server.close(resolve));
  });

  const otelCases: [string, Record<string, string>, { continued: boolean; tracestate: string }][] = [
    [
      'a valid traceparent: OpenTelemetry continues the trace, the lane is in its tracestate',
      { traceparent: VALID, tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray' },
      { continued: true, tracestate: 'ctx=lane:gray,congo=t61rcWkgMzE' },
    ],
    [
      'an edge request with only the lane: OpenTelemetry starts the trace, the lane goes with it',
      { tracestate: 'ctx=lane:gray' },
      { continued: false, tracestate: 'ctx=lane:gray' },
    ],
    [
      'no traceparent: other vendors are discarded (by OpenTelemetry), the lane is kept',
      { tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray' },
      { continued: false, tracestate: 'ctx=lane:gray' },
    ],
    [
      'an invalid traceparent: the same',
      { traceparent: `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, tracestate: 'congo=1,ctx=lane:gray' },
      { continued: false, tracestate: 'ctx=lane:gray' },
    ],
    [
      'no lane: OpenTelemetry alone propagates, the SDK adds nothing',
      { traceparent: VALID, tracestate: 'congo=1' },
      { continued: true, tracestate: 'congo=1' },
    ],
  ];

  describe.each(['lanes-fetch', 'propagating-fetch', 'interceptor'])('with %s', (client) => {
    it.each(otelCases)('%s — one traceparent and one tracestate field', async (_, incoming, expected) => {
      const answer = await send(urls[client]!, incoming);
      const received = answer.next!.received;
      expect(received.traceparent).toHaveLength(1);
      expect(received.tracestate).toEqual([expected.tracestate]);
      const [, traceId, parentId] = TRACEPARENT.exec(received.traceparent[0]!) ?? [];
      if (expected.continued) expect(traceId).toBe(TRACE_ID);
      else expect(traceId).toMatch(/^(?!0{32})(?!0af7651916cd43dd8448eb211c80319c)[0-9a-f]{32}$/);
      expect(parentId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      expect(parentId).not.toBe(PARENT_ID);
    });
  });
});

describe('the polyglot chain: A (SDK) → B (plain OpenTelemetry, no SDK) → C (SDK) behind a lane rule', () => {
  const services: RunningService[] = [];
  let gateway: Server;
  let a: RunningService;

  beforeAll(async () => {
    const cBase = await startService('sdk-service.ts', 'c', { ENV: 'dev', LANE: 'base' });
    const cGray = await startService('sdk-service.ts', 'c', { ENV: 'dev', LANE: 'gray' });
    services.push(cBase, cGray);
    // C's load balancer: the ALB rule of lane gray, evaluated by core's model of the ALB (alb-match.ts).
    const route = compileLaneRules([{ lane: 'gray', conditions: laneRuleConditions('gray') }]);
    gateway = createServer((req, res) => {
      const target = route(req.headers) === 'gray' ? cGray : cBase;
      const upstream = httpRequest(
        `${target.url}${req.url}`,
        { headers: req.headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/`;
    const b = await startService('otel-service.cjs', 'b', { NEXT: gatewayUrl });
    services.push(b);
    a = await startService('sdk-service.ts', 'a', {
      ENV: 'dev',
      LANE: 'base',
      NEXT: 'http://b/',
      NEXT_SERVICES: JSON.stringify({ b: { base: [`127.0.0.1:${b.port}`] } }),
    });
    services.push(a);
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    gateway?.closeAllConnections();
    await new Promise((resolve) => gateway?.close(resolve));
  });

  it('a request in lane gray reaches C’s gray instance, in one trace, with the lane at every hop', async () => {
    const answer = await send(a.url, { tracestate: 'ctx=lane:gray' });
    const b = answer.next!;
    const c = b.next!;
    expect([answer.service, b.service, c.service, c.lane, c.requestLane]).toEqual([
      'a',
      'b',
      'c',
      'gray',
      'gray',
    ]);
    // A → B: the SDK started the trace and sent the lane with it.
    expect(b.received.traceparent).toHaveLength(1);
    expect(b.received.tracestate).toEqual(['ctx=lane:gray']);
    // B → C: OpenTelemetry continued that trace and carried the tracestate, so the lane rule matched.
    expect(c.received.traceparent).toHaveLength(1);
    expect(c.received.tracestate).toEqual(['ctx=lane:gray']);
    expect(TRACEPARENT.exec(c.received.traceparent[0]!)?.[1]).toBe(
      TRACEPARENT.exec(b.received.traceparent[0]!)?.[1],
    );
  });

  it('keeps the incoming trace and the other vendors when a valid traceparent came in', async () => {
    const answer = await send(a.url, { traceparent: VALID, tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray' });
    const c = answer.next!.next!;
    expect(c.lane).toBe('gray');
    expect(c.received.tracestate).toEqual(['ctx=lane:gray,congo=t61rcWkgMzE']);
    expect(TRACEPARENT.exec(c.received.traceparent[0]!)?.[1]).toBe(TRACE_ID);
  });

  it('a request without a lane reaches C’s baseline', async () => {
    const answer = await send(a.url, {});
    expect(answer.next!.next).toMatchObject({ service: 'c', lane: 'base', requestLane: null });
  });

  it('control: without the SDK at A (a bare tracestate, no traceparent), B drops the lane and C’s baseline answers', async () => {
    const b = services.find((service) => service.name === 'b')!;
    const answer = await send(b.url, { tracestate: 'ctx=lane:gray' });
    expect(answer.next).toMatchObject({ service: 'c', lane: 'base', requestLane: null });
    expect(answer.next!.received.tracestate).toEqual([]);
  });
});
