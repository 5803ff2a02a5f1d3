import { describe, expect, it } from 'vitest';
import {
  currentLane,
  currentTraceState,
  laneContextFromTraceState,
  outgoingTraceHeaders,
  outgoingTraceState,
  runInLane,
  runWithLaneContext,
} from './index.js';

/** A valid incoming traceparent: with it, the incoming tracestate is forwarded (W3C Trace Context §3.3). */
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const inRequest = <T>(tracestate: string | string[] | undefined, fn: () => T, traceparent?: string): T =>
  runWithLaneContext(laneContextFromTraceState(tracestate, traceparent), fn);

describe('lane context', () => {
  it('has no lane outside a request', () => {
    expect(currentLane()).toBeUndefined();
    expect(currentTraceState()).toBeUndefined();
  });

  it.each([
    ['ctx=lane:gray', 'gray'],
    ['congo=t61rcWkgMzE, ctx=lane:gray ,rojo=00f067aa0ba902b7', 'gray'],
    ['CTX=LANE:Gray', 'gray'],
  ])('reads the lane of %j as %j', (header, lane) => {
    expect(inRequest(header, currentLane)).toBe(lane);
  });

  it('combines repeated tracestate fields in order', () => {
    expect(inRequest(['congo=t61rcWkgMzE', 'ctx=lane:gray'], currentLane)).toBe('gray');
    expect(inRequest(['congo=t61rcWkgMzE', 'ctx=lane:gray'], currentTraceState)).toBe(
      'congo=t61rcWkgMzE,ctx=lane:gray',
    );
  });

  it.each([
    [undefined, 'no header'],
    ['', 'an empty header'],
    ['ctx=lane:', 'no lane name'],
    ['ctx=lane:gray--x', 'an invalid lane name'],
    ['ctx=lane:default', 'a reserved lane name'],
    ['\u0000\uffff,,,===,ctx', 'garbage'],
    ['ctx=lane:gray2x'.repeat(1000), 'a huge header'],
  ])('treats %j as the baseline and never throws (%s)', (header: string | undefined, _why: string) => {
    expect(() => inRequest(header, currentLane)).not.toThrow();
    expect(inRequest(header, currentLane)).toBeUndefined();
  });

  it('keeps the lane across awaits, timers and promise chains of the request', async () => {
    const seen = await inRequest('ctx=lane:gray', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = await Promise.resolve().then(() => currentLane());
      return [currentLane(), inner];
    });
    expect(seen).toEqual(['gray', 'gray']);
  });

  it('keeps concurrent requests apart', async () => {
    const one = inRequest('ctx=lane:one', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return currentLane();
    });
    const two = inRequest('ctx=lane:two', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentLane();
    });
    expect(await Promise.all([one, two])).toEqual(['one', 'two']);
  });

  it('runInLane switches the lane and keeps the incoming traceparent and tracestate', () => {
    inRequest(
      'congo=t61rcWkgMzE,ctx=lane:gray',
      () => {
        runInLane('blue', () => {
          expect(currentLane()).toBe('blue');
          expect(outgoingTraceState(undefined)).toBe('ctx=lane:blue,congo=t61rcWkgMzE');
          expect(outgoingTraceHeaders(undefined, undefined)?.traceparent).toMatch(
            /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/,
          );
        });
        runInLane(undefined, () => expect(currentLane()).toBeUndefined());
        expect(currentLane()).toBe('gray');
      },
      TRACEPARENT,
    );
  });

  it('runInLane rejects an invalid lane name (a programming error)', () => {
    expect(() => runInLane('Not A Lane', () => undefined)).toThrow(/invalid lane/);
  });
});

describe('outgoingTraceState', () => {
  it('adds nothing when the request has no lane', () => {
    expect(inRequest('congo=t61rcWkgMzE', () => outgoingTraceState(undefined))).toBeUndefined();
    expect(inRequest('congo=t61rcWkgMzE', () => outgoingTraceState('rojo=1'))).toBeUndefined();
    expect(outgoingTraceState('rojo=1')).toBeUndefined();
  });

  it('must put the lane first and keep every other vendor of the incoming header in order', () => {
    expect(
      inRequest(
        'congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7',
        () => outgoingTraceState(undefined),
        TRACEPARENT,
      ),
    ).toBe('ctx=lane:gray,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
  });

  it('must send one traceparent for every call of one request (one request, one trace)', () => {
    const [first, second] = inRequest('ctx=lane:gray', () => [
      outgoingTraceHeaders(undefined, undefined),
      outgoingTraceHeaders(undefined, 'rojo=1'),
    ]);
    expect(first?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    expect(second?.traceparent).toBe(first?.traceparent);
  });

  it('must not forward other vendors without a valid incoming traceparent, only the lane', () => {
    expect(
      inRequest('congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7', () => outgoingTraceState(undefined)),
    ).toBe('ctx=lane:gray');
  });

  it("must prefer the call's own tracestate over the incoming one, and set the lane in it", () => {
    expect(inRequest('congo=1,ctx=lane:gray', () => outgoingTraceState('rojo=2,ctx=lane:blue,xyz=3'))).toBe(
      'ctx=lane:gray,rojo=2,xyz=3',
    );
  });

  it('must keep at most 32 members, dropping from the end when the lane is new', () => {
    const members = Array.from({ length: 32 }, (_, index) => `v${index}=x`);
    const header = inRequest('ctx=lane:gray', () => outgoingTraceState(members.join(',')));
    const out = header!.split(',');
    expect(out).toHaveLength(32);
    expect(out[0]).toBe('ctx=lane:gray');
    expect(out[31]).toBe('v30=x');
  });

  it('must not drop a member when the lane entry is only moved to the front', () => {
    const members = Array.from({ length: 31 }, (_, index) => `v${index}=x`);
    const header = inRequest('ctx=lane:gray', () =>
      outgoingTraceState([...members, 'ctx=lane:gray'].join(',')),
    );
    expect(header!.split(',')).toEqual(['ctx=lane:gray', ...members]);
  });

  it('drops invalid members of the outgoing header rather than failing', () => {
    expect(inRequest('ctx=lane:gray', () => outgoingTraceState('BAD KEY=1,ok=2'))).toBe('ctx=lane:gray,ok=2');
  });
});
