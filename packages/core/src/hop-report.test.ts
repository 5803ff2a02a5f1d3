import { describe, expect, it } from 'vitest';
import {
  decodeHopReport,
  decodeInstanceReport,
  encodeHopReport,
  encodeInstanceReport,
  type HopReport,
  hopOf,
  isTraceRequested,
  MAX_TRACE_DEPTH,
  MAX_TRACE_HOPS,
  MAX_TRACE_REPORT_LENGTH,
  routeReason,
} from './hop-report.js';

const inventory: HopReport = {
  service: 'inventory',
  asked: 'gray',
  served: 'base',
  reason: 'not-deployed',
  by: 'sdk',
  reported: true,
  calls: [],
};
const orders: HopReport = {
  service: 'orders',
  asked: 'gray',
  served: 'gray',
  reason: 'lane',
  by: 'sdk',
  reported: true,
  calls: [inventory],
};

/** A chain of `n` hops, each calling the next. */
function chain(n: number): HopReport {
  let hop: HopReport = { ...inventory, service: `s${n}` };
  for (let i = n - 1; i >= 1; i--) hop = { ...orders, service: `s${i}`, calls: [hop] };
  return hop;
}

/** One hop with `n` calls. */
function fan(n: number): HopReport {
  return { ...orders, calls: Array.from({ length: n }, (_, i) => ({ ...inventory, service: `svc${i}` })) };
}

function countHops(hop: HopReport): number {
  return hop.calls.reduce((n, c) => n + countHops(c), 1);
}

describe('the trace request header', () => {
  it.each([
    ['1', true],
    ['0', false],
    ['true', false],
    ['', false],
    [undefined, false],
    [['1', '1'], false],
  ] as const)('%j turns tracing on: %s', (value, on) => {
    expect(isTraceRequested(value)).toBe(on);
  });
});

describe('routing reasons', () => {
  const deployed = (lanes: string[]) => (lane: string) => lanes.includes(lane);
  it('names the lane its own instance served', () =>
    expect(routeReason('gray', 'gray', deployed([]))).toBe('lane'));
  it('says "no lane asked" for a request without a lane', () =>
    expect(routeReason(undefined, 'base', deployed(['gray']))).toBe('no-lane'));
  it('tells a lane that is not deployed from one without a healthy instance', () => {
    expect(routeReason('gray', 'base', deployed([]))).toBe('not-deployed');
    expect(routeReason('gray', 'base', deployed(['gray']))).toBe('unhealthy');
  });
});

describe('hop reports on the wire', () => {
  it('round-trips a hop and an instance report', () => {
    expect(decodeHopReport(encodeHopReport(orders))).toEqual(orders);
    const instance = { lane: 'gray', asked: 'gray', calls: [inventory] };
    expect(decodeInstanceReport(encodeInstanceReport(instance))).toEqual(instance);
    expect(decodeInstanceReport(encodeInstanceReport({ calls: [] }))).toEqual({ calls: [] });
  });

  it('is printable ASCII without commas between members of a list (a single header value)', () => {
    expect(encodeHopReport(orders)).toMatch(/^[\x21-\x7e]+$/);
  });

  it.each([
    ['not JSON', '{"s":'],
    ['an array', '[]'],
    ['a bad service name', JSON.stringify({ s: 'Orders!', l: 'base', r: 'lane', b: 'sdk', p: 1, c: [] })],
    ['a bad lane', JSON.stringify({ s: 'orders', l: 'lane:gray', r: 'lane', b: 'sdk', p: 1, c: [] })],
    ['an unknown reason', JSON.stringify({ s: 'orders', l: 'base', r: 'magic', b: 'sdk', p: 1, c: [] })],
    ['an unknown router', JSON.stringify({ s: 'orders', l: 'base', r: 'lane', b: 'nginx', p: 1, c: [] })],
    [
      'calls that are not a list',
      JSON.stringify({ s: 'orders', l: 'base', r: 'lane', b: 'sdk', p: 1, c: {} }),
    ],
    [
      'an address smuggled in a name',
      JSON.stringify({ s: '10.0.0.1', l: 'base', r: 'lane', b: 'sdk', p: 1, c: [] }),
    ],
    ['a value longer than the bound', `{"s":"${'a'.repeat(MAX_TRACE_REPORT_LENGTH)}"}`],
  ])('rejects %s (no report, never a throw), also as a call in an instance report', (_case, value) => {
    expect(decodeHopReport(value)).toBeUndefined();
    expect(decodeInstanceReport(`{"l":"gray","c":[${value}]}`)).toBeUndefined();
  });

  it('rejects repeated header fields and missing headers', () => {
    const value = encodeHopReport(orders);
    expect(decodeHopReport([value, value])).toBeUndefined();
    expect(decodeHopReport(undefined)).toBeUndefined();
    expect(decodeHopReport(null)).toBeUndefined();
  });

  it(`rejects more than ${MAX_TRACE_HOPS} hops or ${MAX_TRACE_DEPTH} levels`, () => {
    const wide = JSON.stringify({
      s: 'web',
      l: 'base',
      r: 'lane',
      b: 'sdk',
      p: 1,
      c: Array.from({ length: MAX_TRACE_HOPS + 1 }, () => ({
        s: 'a',
        l: 'base',
        r: 'lane',
        b: 'sdk',
        p: 1,
        c: [],
      })),
    });
    expect(decodeHopReport(wide)).toBeUndefined();
    let deep: unknown = { s: 'a', l: 'base', r: 'lane', b: 'sdk', p: 1, c: [] };
    for (let i = 0; i < MAX_TRACE_DEPTH; i++)
      deep = { s: 'a', l: 'base', r: 'lane', b: 'sdk', p: 1, c: [deep] };
    expect(decodeHopReport(JSON.stringify(deep))).toBeUndefined();
  });

  it('truncates what does not fit, keeps what it can, and says so', () => {
    const wide = decodeHopReport(encodeHopReport(fan(MAX_TRACE_HOPS + 10)))!;
    expect(wide.calls).toHaveLength(MAX_TRACE_HOPS);
    expect(wide.truncated).toBe(true);
    const deep = decodeHopReport(encodeHopReport(chain(MAX_TRACE_DEPTH + 5)))!;
    expect(countHops(deep)).toBe(MAX_TRACE_DEPTH);
    expect(JSON.stringify(deep)).toContain('"truncated":true');
    const fits = decodeHopReport(encodeHopReport(orders))!;
    expect(fits.truncated).toBeUndefined();
  });

  it('wraps a callee report in its caller’s routing decision, trusting the lane the instance says it is', () => {
    const decision = {
      service: 'orders',
      asked: 'gray',
      served: 'gray',
      reason: 'lane',
      by: 'gateway',
    } as const;
    expect(hopOf(decision, { lane: 'gray', asked: 'gray', calls: [inventory] })).toEqual({
      ...orders,
      by: 'gateway',
    });
    expect(hopOf(decision, undefined)).toEqual({ ...orders, by: 'gateway', reported: false, calls: [] });
  });
});
