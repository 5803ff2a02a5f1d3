import { describe, expect, it } from 'vitest';
import { randomParentId, randomTraceId, TraceContextOut } from './trace-context.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const VALID = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const OWN = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

describe('TraceContextOut: the headers of a call that brings its own', () => {
  const out = new TraceContextOut('gray', VALID, 'congo=1,ctx=lane:gray');

  it('must send the request’s traceparent and tracestate when the call has neither', () => {
    expect(out.headersFor(undefined, undefined)).toEqual({
      traceparent: out.traceParent,
      tracestate: 'ctx=lane:gray,congo=1',
    });
  });

  it('must put the lane in front of the call’s own tracestate (this service’s members)', () => {
    expect(out.headersFor(undefined, 'rojo=2,ctx=lane:blue')).toEqual({
      traceparent: out.traceParent,
      tracestate: 'ctx=lane:gray,rojo=2',
    });
  });

  it('must keep the call’s own valid traceparent, with its tracestate and the lane', () => {
    expect(out.headersFor(OWN, 'rojo=2')).toEqual({ traceparent: OWN, tracestate: 'ctx=lane:gray,rojo=2' });
    expect(out.headersFor(OWN, undefined)).toEqual({ traceparent: OWN, tracestate: 'ctx=lane:gray' });
  });

  it('must replace the call’s invalid traceparent, and not send the tracestate that went with it', () => {
    expect(out.headersFor('00-zz', 'rojo=2')).toEqual({
      traceparent: out.traceParent,
      tracestate: 'ctx=lane:gray',
    });
  });
});

describe('TraceContextOut: the trace', () => {
  it('must continue a valid incoming trace with a new parent-id', () => {
    const out = new TraceContextOut('gray', VALID, undefined);
    expect(out.traceParent).toMatch(new RegExp(`^00-${TRACE_ID}-(?!b7ad6b7169203331)[0-9a-f]{16}-01$`));
    expect(out.parent).toEqual({ traceId: TRACE_ID, parentId: 'b7ad6b7169203331', flags: 1 });
  });

  it('must start a trace (flags 02) when none came in, the parent OpenTelemetry sees being that trace', () => {
    const out = new TraceContextOut('gray', undefined, 'congo=1,ctx=lane:gray');
    expect(out.traceParent).toBe(`00-${out.parent.traceId}-${out.parent.parentId}-02`);
    expect(out.traceState).toBe('ctx=lane:gray');
  });
});

describe('random ids', () => {
  it('are lowercase hex of the right length, and differ', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => randomTraceId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(randomParentId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
