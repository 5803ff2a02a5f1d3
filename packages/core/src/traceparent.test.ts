import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatTraceParent,
  parseTraceParent,
  RANDOM_TRACE_ID_FLAG,
  type RandomBytes,
  SAMPLED_FLAG,
  startTraceParent,
} from './traceparent.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe('parseTraceParent (W3C Trace Context §3.2)', () => {
  it.each<[string, string | readonly string[], { traceId: string; parentId: string; flags: number }]>([
    ["the spec's example", VALID, { traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 }],
    ['not sampled', `00-${TRACE_ID}-${PARENT_ID}-00`, { traceId: TRACE_ID, parentId: PARENT_ID, flags: 0 }],
    [
      'unknown flags (kept as received)',
      `00-${TRACE_ID}-${PARENT_ID}-ff`,
      { traceId: TRACE_ID, parentId: PARENT_ID, flags: 255 },
    ],
    ['OWS around the value', ` \t${VALID} \t`, { traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 }],
    ['one header field in an array', [VALID], { traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 }],
    [
      'a higher version of 55 characters',
      `cc-${TRACE_ID}-${PARENT_ID}-01`,
      { traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 },
    ],
    [
      'a higher version with more fields',
      `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`,
      { traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 },
    ],
  ])('must accept %s', (_, header, expected) => {
    expect(parseTraceParent(header)).toEqual(expected);
  });

  it.each<[string, string | readonly string[] | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['an upper-case version', `0A-${TRACE_ID}-${PARENT_ID}-01`],
    ['a version of one character', `0-${TRACE_ID}-${PARENT_ID}-01`],
    ['an all-zero trace-id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent-id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['an upper-case trace-id', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['an upper-case parent-id', `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`],
    ['upper-case flags', `00-${TRACE_ID}-${PARENT_ID}-0A`],
    ['a non-hex character', `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01`],
    ['a short trace-id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['a long parent-id', `00-${TRACE_ID}-${PARENT_ID}0-01`],
    ['a flags field of one character', `00-${TRACE_ID}-${PARENT_ID}-1`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['version 00 with a trailing character', `${VALID}x`],
    ['a higher version whose flags run on', `cc-${TRACE_ID}-${PARENT_ID}-01x`],
    ['another delimiter', `00_${TRACE_ID}_${PARENT_ID}_01`],
    ['OWS inside the value', `00- ${TRACE_ID}-${PARENT_ID}-01`],
    ['two header fields', [VALID, VALID]],
    ["two header fields as Node joins them ('a, b')", `${VALID}, ${VALID}`],
    ['garbage', 'hello'],
  ])('must reject %s (the trace restarts)', (_, header) => {
    expect(parseTraceParent(header)).toBeUndefined();
  });
});

describe('formatTraceParent', () => {
  it('writes version 00 (§3.2.4: downgrade to the highest version known)', () => {
    expect(formatTraceParent({ traceId: TRACE_ID, parentId: PARENT_ID, flags: 1 })).toBe(VALID);
  });

  it.each([
    [0x00, '00'],
    [0x01, '01'],
    [0x02, '02'],
    [0x03, '03'],
    [0xff, '03'],
    [0x04, '00'],
  ])(
    'keeps the sampled and random-trace-id flags and zeroes the others (§3.2.2.5.2): %i -> %s',
    (flags, hex) => {
      expect(formatTraceParent({ traceId: TRACE_ID, parentId: PARENT_ID, flags })).toBe(
        `00-${TRACE_ID}-${PARENT_ID}-${hex}`,
      );
    },
  );

  it('refuses invalid ids (a programming error)', () => {
    expect(() => formatTraceParent({ traceId: '0'.repeat(32), parentId: PARENT_ID, flags: 0 })).toThrow(
      TypeError,
    );
    expect(() => formatTraceParent({ traceId: TRACE_ID, parentId: 'B7AD6B7169203331', flags: 0 })).toThrow(
      TypeError,
    );
  });

  it('round-trips through parseTraceParent', () => {
    expect(formatTraceParent(parseTraceParent(` cc-${TRACE_ID}-${PARENT_ID}-01-x`)!)).toBe(VALID);
  });
});

describe('startTraceParent (§3.4 "Restart trace")', () => {
  const counting: RandomBytes = (size) => Uint8Array.from({ length: size }, (_, i) => i + 1);

  it('builds version 00 from the random bytes: 16 for the trace-id, 8 for the parent-id, flags 02', () => {
    expect(startTraceParent(counting)).toBe('00-0102030405060708090a0b0c0d0e0f10-1112131415161718-02');
  });

  it('is a traceparent every hop accepts, not sampled, with the random-trace-id flag', () => {
    const parsed = parseTraceParent(startTraceParent(randomBytes));
    expect(parsed).toBeDefined();
    expect(parsed!.flags & SAMPLED_FLAG).toBe(0);
    expect(parsed!.flags & RANDOM_TRACE_ID_FLAG).toBe(RANDOM_TRACE_ID_FLAG);
  });

  it('never gives an all-zero (invalid) id, whatever the source', () => {
    const zeros: RandomBytes = (size) => new Uint8Array(size);
    expect(parseTraceParent(startTraceParent(zeros))).toEqual({
      traceId: `${'0'.repeat(31)}1`,
      parentId: `${'0'.repeat(15)}1`,
      flags: RANDOM_TRACE_ID_FLAG,
    });
  });

  it('starts a new trace on every call', () => {
    expect(startTraceParent(randomBytes)).not.toBe(startTraceParent(randomBytes));
  });

  it('refuses a source that gives too few bytes', () => {
    expect(() => startTraceParent((size) => new Uint8Array(size - 1))).toThrow(/needs 24 random bytes/);
  });
});
