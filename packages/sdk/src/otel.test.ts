/**
 * The lane with the OpenTelemetry SDK registered (W3C propagator + LanePropagator), over one real HTTP hop.
 * Service A is instrumented the way OTel's http instrumentation does it: extract the incoming headers, start a
 * server span in that context, inject into the outgoing call. It does not use the SDK's server integrations.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  type TraceState,
  trace,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  TraceState as OtelTraceState,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLanesFetch,
  currentLane,
  LanePropagator,
  laneFromOtelContext,
  laneHandler,
  propagatingFetch,
  runInLane,
  staticResolver,
} from './index.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

const withLanes = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new LanePropagator()],
});
const w3cOnly = new W3CTraceContextPropagator();

let downstream: Server;
let downstreamUrl = '';
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  new NodeTracerProvider().register({ propagator: withLanes });
  downstream = createServer((req, res) => {
    received.push(req.headers);
    res.end('ok');
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  trace.disable();
  propagation.disable();
  context.disable();
  downstream.closeAllConnections();
  await new Promise((resolve) => downstream.close(resolve));
});

interface HopResult {
  /** The headers the next service received. */
  sent: IncomingHttpHeaders;
  /** The trace state of the server span of service A. */
  spanTraceState: TraceState | undefined;
  /** `currentLane()` inside service A's handler. */
  lane: string | undefined;
}

/** Serves one request in service A with `propagator`, calling the next service. */
async function hop(incoming: Record<string, string>, propagator: TextMapPropagator): Promise<HopResult> {
  propagation.disable();
  propagation.setGlobalPropagator(propagator);
  const tracer = trace.getTracer('test');
  const extracted = propagation.extract(ROOT_CONTEXT, incoming);
  return context.with(extracted, () =>
    tracer.startActiveSpan('GET /', async (span) => {
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      await (await fetch(downstreamUrl, { headers })).text();
      span.end();
      return { sent: received.at(-1)!, spanTraceState: span.spanContext().traceState, lane: currentLane() };
    }),
  );
}

describe('LanePropagator with the OpenTelemetry SDK', () => {
  it('keeps the lane over a hop with an incoming traceparent, in the same trace', async () => {
    const { sent, spanTraceState, lane } = await hop(
      { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray' },
      withLanes,
    );
    expect(sent.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(sent.tracestate).toBe('ctx=lane:gray,congo=t61rcWkgMzE');
    expect(spanTraceState?.get('ctx')).toBe('lane:gray');
    expect(lane).toBe('gray');
  });

  it.each([
    ['no traceparent', {}],
    ['an invalid traceparent', { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' }],
  ])(
    'keeps the lane over a hop with %s (a new trace starts, other vendors are not forwarded)',
    async (_, extra) => {
      const { sent, lane } = await hop(
        { ...extra, tracestate: 'congo=t61rcWkgMzE,ctx=lane:gray' },
        withLanes,
      );
      expect(sent.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(sent.traceparent).not.toContain(TRACE_ID);
      expect(sent.tracestate).toBe('ctx=lane:gray');
      expect(lane).toBe('gray');
    },
  );

  it('control: the W3C propagator alone loses the lane without a traceparent (why LanePropagator exists)', async () => {
    const { sent } = await hop({ tracestate: 'ctx=lane:gray' }, w3cOnly);
    expect(sent.tracestate).toBeUndefined();
  });

  it('makes the span context agree with the lane context for an entry the OTel parser drops', async () => {
    // OTel's TraceState drops the uppercase key; readLane (like the ALB) reads it ignoring case.
    const { sent, spanTraceState, lane } = await hop(
      { traceparent: TRACEPARENT, tracestate: 'CTX=LANE:Gray,congo=t61rcWkgMzE' },
      withLanes,
    );
    expect(lane).toBe('gray');
    expect(spanTraceState?.get('ctx')).toBe('lane:gray');
    expect(sent.tracestate).toBe('ctx=lane:gray,congo=t61rcWkgMzE');
  });

  it('never writes tracestate without traceparent, even with no span (it sends the trace the SDK started)', () => {
    const carrier: Record<string, string> = {};
    runInLane('gray', () => new LanePropagator().inject(ROOT_CONTEXT, carrier, defaultTextMapSetter));
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    expect(carrier.tracestate).toBe('ctx=lane:gray');
  });

  it('writes the traceparent the span has, with its trace state behind the lane', () => {
    const carrier: Record<string, string> = {};
    const spanContext = {
      traceId: TRACE_ID,
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      traceState: new OtelTraceState('congo=1'),
    };
    const withSpan = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    runInLane('gray', () => new LanePropagator().inject(withSpan, carrier, defaultTextMapSetter));
    expect(carrier).toEqual({ traceparent: TRACEPARENT, tracestate: 'ctx=lane:gray,congo=1' });
  });

  it("adds nothing without a lane: the W3C propagator's output stands", async () => {
    const withTrace = await hop({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' }, withLanes);
    expect(withTrace.sent.tracestate).toBe('congo=t61rcWkgMzE');
    const without = await hop({ tracestate: 'congo=t61rcWkgMzE' }, withLanes);
    expect(without.sent.tracestate).toBeUndefined();
    expect(without.lane).toBeUndefined();
  });

  it('lanesFetch routes lane-first in an OTel-only service (lane taken from the extracted context)', async () => {
    propagation.disable();
    propagation.setGlobalPropagator(withLanes);
    const port = Number(new URL(downstreamUrl).port);
    const lanesFetch = createLanesFetch({
      resolver: staticResolver({ orders: { base: ['127.0.0.2:1'], gray: [`127.0.0.1:${port}`] } }),
      env: 'dev',
    });
    const extracted = propagation.extract(ROOT_CONTEXT, { tracestate: 'ctx=lane:gray' });
    expect(laneFromOtelContext(extracted)).toBe('gray');
    const route = await context.with(extracted, () => lanesFetch.route('http://orders/'));
    expect(route).toMatchObject({ lane: 'gray', fellBack: false });
  });

  it('agrees with the SDK server integration and propagatingFetch in one service (no duplicate lane entry)', async () => {
    propagation.disable();
    propagation.setGlobalPropagator(withLanes);
    const tracer = trace.getTracer('test');
    const service = createServer(
      laneHandler((req, res) => {
        const extracted = propagation.extract(ROOT_CONTEXT, req.headers);
        void context.with(extracted, () =>
          tracer.startActiveSpan('GET /', async (span) => {
            const headers: Record<string, string> = {};
            propagation.inject(context.active(), headers);
            await (await propagatingFetch(downstreamUrl, { headers })).text();
            span.end();
            res.end(String(currentLane()));
          }),
        );
      }),
    );
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/`;
      const answer = await (await fetch(url, { headers: { tracestate: 'congo=1,ctx=lane:gray' } })).text();
      expect(answer).toBe('gray');
      expect(received.at(-1)!.tracestate).toBe('ctx=lane:gray');
      expect(received.at(-1)!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    } finally {
      service.closeAllConnections();
      await new Promise((resolve) => service.close(resolve));
    }
  });
});
