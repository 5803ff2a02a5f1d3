import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidLaneNameError } from './lane.js';
import {
  InvalidTraceStateEntryError,
  isValidTraceStateKey,
  isValidTraceStateValue,
  laneRequestHeaders,
  MAX_TRACESTATE_MEMBERS,
  parseTraceParent,
  readLane,
  TRACESTATE_PROPAGATION_LENGTH,
  TraceState,
  withLane,
} from './tracestate.js';

/** `n` distinct members `k0=v0,k1=v1,...`. */
function members(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `k${from + i}=v${from + i}`);
}

describe('tracestate key (§3.3.1.3.1, Level 2: key = ( lcalpha / DIGIT ) 0*255 ( keychar ))', () => {
  it.each([
    ['a', 'the shortest key'],
    ['congo', 'lowercase letters'],
    ['rojo1', 'a digit after the first letter'],
    ['a_-*/@', 'every keychar'],
    [`a${'b'.repeat(255)}`, 'a key of 256 characters'],
    ['fw529a3039@dt', "the spec's multi-tenant example"],
    ['foo@bar', 'a tenant and a system'],
    ['1tenant@sys', 'a key may start with a digit'],
    ['0abc', 'a key starting with a digit and no "@" (new in Level 2)'],
    ['9', 'a single digit'],
    [`${'t'.repeat(242)}@s`, 'a long part before "@" (Level 1 allowed 241)'],
    [`t@s${'y'.repeat(14)}`, 'a long part after "@" (Level 1 allowed 14)'],
    ['t@1sys', 'a digit after "@"'],
    ['t@', 'nothing after "@"'],
    ['a@b@c', 'two "@"'],
    ['a@ctx', 'a key whose part after "@" is ctx'],
  ])('must accept %j (%s)', (key) => {
    expect(isValidTraceStateKey(key)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['Congo', 'an uppercase letter'],
    ['CTX', 'all uppercase'],
    ['_abc', 'starting with "_"'],
    ['@sys', 'starting with "@"'],
    ['*a', 'starting with "*"'],
    [`a${'b'.repeat(256)}`, 'a key of 257 characters'],
    ['a b', 'a space'],
    ['a.b', 'a "."'],
    ['a=b', 'a "="'],
    ['a\tb', 'a tab'],
    ['café', 'a non-ASCII letter'],
  ])('must reject %j (%s)', (key) => {
    expect(isValidTraceStateKey(key)).toBe(false);
  });
});

describe('tracestate value (§3.3.1.3.2)', () => {
  it.each([
    ['x', 'one character'],
    ['t61rcWkgMzE', "the spec's example"],
    [' leading', 'leading spaces are part of the value'],
    ['in side', 'an inner space'],
    ['!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~', 'every printable punctuation except "," and "="'],
    ['v'.repeat(256), '256 characters'],
  ])('must accept %j (%s)', (value) => {
    expect(isValidTraceStateValue(value)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['trailing ', 'ending with a space'],
    ['a,b', 'a comma'],
    ['a=b', 'an equals sign'],
    ['a\tb', 'a tab'],
    ['a\nb', 'a newline'],
    ['é', 'non-ASCII'],
    ['v'.repeat(257), '257 characters'],
  ])('must reject %j (%s)', (value) => {
    expect(isValidTraceStateValue(value)).toBe(false);
  });
});

describe('TraceState.parse (§3.3.1.1, §3.3.1.2)', () => {
  it.each([
    ['rojo=00f067aa0ba902b7', 'rojo=00f067aa0ba902b7', 'a single member'],
    ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'two members'],
    ['a=1 , b=2', 'a=1,b=2', 'spaces around the comma'],
    ['a=1\t,\tb=2', 'a=1,b=2', 'tabs around the comma'],
    [' \t a=1 \t ', 'a=1', 'OWS at both ends'],
    ['a=1,,b=2', 'a=1,b=2', 'an empty list-member'],
    ['a=1, ,\t,b=2', 'a=1,b=2', 'whitespace-only list-members'],
    [',a=1,', 'a=1', 'empty members at both ends'],
    ['', '', 'an empty header'],
    [' , ', '', 'a header of only empty members'],
    ['a= x', 'a= x', 'leading spaces of a value are kept'],
    ['a=x  ,b=2', 'a=x,b=2', 'trailing spaces of a value are OWS'],
  ])('%j serializes as %j (%s)', (header, serialized) => {
    expect(TraceState.parse(header).serialize()).toBe(serialized);
  });

  it.each([
    ['A=1,b=2', 'b=2', 'an invalid key'],
    ['a=1,b=x y ,c=3', 'a=1,b=x y,c=3', 'a value with an inner space is valid'],
    ['a=1,b,c=3', 'a=1,c=3', 'a member without "="'],
    ['a=1,b=,c=3', 'a=1,c=3', 'an empty value'],
    ['a=1,b=x=y,c=3', 'a=1,c=3', 'a value with "="'],
    ['a =1,b=2', 'b=2', 'OWS between key and "=" is not OWS of the list'],
    ['a=\t1,b=2', 'b=2', 'a tab inside a value'],
  ])('must drop invalid members and keep the others: %j → %j (%s)', (header, serialized) => {
    expect(TraceState.parse(header).serialize()).toBe(serialized);
  });

  it('must combine multiple header fields into one list, in order', () => {
    expect(TraceState.parse(['a=1', 'b=2, c=3', '', 'd=4']).serialize()).toBe('a=1,b=2,c=3,d=4');
  });

  it('must accept an undefined header as the empty list', () => {
    expect(TraceState.parse(undefined).size).toBe(0);
    expect(TraceState.parse([])).toBe(TraceState.EMPTY);
  });

  it('must never throw on garbage', () => {
    for (const header of ['=', '==,=', ',,,', '\u0000', 'a=\u00ff', '\r\n', 'x'.repeat(100_000)]) {
      expect(() => TraceState.parse(header)).not.toThrow();
    }
    expect(() => TraceState.parse([1, null] as unknown as string[])).not.toThrow();
  });

  it('must keep only the first (leftmost, most recent) member of a duplicated key (§3.3.1.4)', () => {
    const state = TraceState.parse('congo=second,rojo=r,congo=first');
    expect(state.serialize()).toBe('congo=second,rojo=r');
    expect(state.get('congo')).toBe('second');
  });

  it('must accept exactly 32 members', () => {
    expect(TraceState.parse(members(MAX_TRACESTATE_MEMBERS).join(',')).size).toBe(32);
  });

  it('must drop members beyond the 32nd from the end (33 members)', () => {
    const state = TraceState.parse(members(33).join(','));
    expect(state.size).toBe(32);
    expect(state.keys().at(-1)).toBe('k31');
    expect(state.get('k32')).toBeUndefined();
  });

  it('must not count empty or invalid members toward the 32', () => {
    const header = [...members(16), '', 'BAD=1', ...members(16, 16)].join(',');
    expect(TraceState.parse(header).size).toBe(32);
  });
});

describe('TraceState mutation (§3.5)', () => {
  const state = TraceState.parse('congo=c,rojo=r,other=o');

  it('must add a new key to the front', () => {
    expect(state.set('new', 'n').serialize()).toBe('new=n,congo=c,rojo=r,other=o');
  });

  it('must move updated keys to the front', () => {
    expect(state.set('rojo', 'r2').serialize()).toBe('rojo=r2,congo=c,other=o');
  });

  it('must move a key set to its same value to the front', () => {
    expect(state.set('other', 'o').serialize()).toBe('other=o,congo=c,rojo=r');
  });

  it('must return the same object when the first key is set to its value', () => {
    expect(state.set('congo', 'c')).toBe(state);
  });

  it('must not change the original (immutable)', () => {
    state.set('new', 'n');
    state.unset('congo');
    expect(state.serialize()).toBe('congo=c,rojo=r,other=o');
  });

  it('must delete a key and keep the order of the others', () => {
    expect(state.unset('rojo').serialize()).toBe('congo=c,other=o');
  });

  it('must return the same object when deleting an absent key', () => {
    expect(state.unset('absent')).toBe(state);
  });

  it('must drop the last member when adding a 33rd', () => {
    const full = TraceState.parse(members(32).join(','));
    const added = full.set('new', 'n');
    expect(added.size).toBe(32);
    expect(added.keys()[0]).toBe('new');
    expect(added.get('k31')).toBeUndefined();
  });

  it.each([
    ['Bad', 'v'],
    ['ok', 'bad,value'],
    ['ok', ''],
    ['ok', 'trailing '],
  ])('must refuse to set %j=%j', (key, value) => {
    expect(() => state.set(key, value)).toThrow(InvalidTraceStateEntryError);
  });

  it('exposes size, keys and get', () => {
    expect(state.size).toBe(3);
    expect(state.keys()).toEqual(['congo', 'rojo', 'other']);
    expect(state.get('rojo')).toBe('r');
    expect(state.get('absent')).toBeUndefined();
    expect(TraceState.EMPTY.serialize()).toBe('');
  });
});

describe('TraceState.truncate (§3.3.1.5)', () => {
  it('must return the same object when the header fits', () => {
    const state = TraceState.parse(members(5).join(','));
    expect(state.truncate()).toBe(state);
  });

  it('must remove entries larger than 128 characters first', () => {
    const large = `big=${'x'.repeat(250)}`;
    const state = TraceState.parse([large, ...members(20).map((member) => `${member}${'y'.repeat(10)}`)]);
    expect(state.serialize().length).toBeGreaterThan(TRACESTATE_PROPAGATION_LENGTH);
    const truncated = state.truncate();
    expect(truncated.get('big')).toBeUndefined();
    expect(truncated.size).toBe(20);
  });

  it('must then remove entries from the end', () => {
    const value = 'x'.repeat(100); // 105-character members: none is large
    const state = TraceState.parse(members(6).map((member) => `${member}${value}`));
    const truncated = state.truncate();
    expect(truncated.keys()).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(truncated.serialize().length).toBeLessThanOrEqual(TRACESTATE_PROPAGATION_LENGTH);
  });

  it('must remove only as many large entries as needed', () => {
    const big = (name: string) => `${name}=${'x'.repeat(200)}`;
    const state = TraceState.parse([big('big1'), 'a=1', big('big2'), big('big3')]);
    expect(state.truncate().keys()).toEqual(['big1', 'a', 'big2']);
  });

  it('must truncate whole entries only', () => {
    const truncated = TraceState.parse(members(20)).truncate(30);
    expect(truncated.serialize()).toBe('k0=v0,k1=v1,k2=v2,k3=v3,k4=v4');
  });
});

describe('readLane', () => {
  it.each([
    ['ctx=lane:gray', 'gray'],
    ['congo=t61rcWkgMzE,ctx=lane:gray,rojo=00f067aa0ba902b7', 'gray'],
    ['a=1 ,\tctx=lane:feat-login \t, b=2', 'feat-login'],
    [['a=1', 'ctx=lane:gray'], 'gray'],
    ['ctx=lane:GRAY', 'gray'],
    ['CTX=LANE:Gray', 'gray'],
    ['ctx=lane:gray,ctx=lane:blue', 'gray'],
    [[...members(31), 'ctx=lane:gray'].join(','), 'gray'],
    [[...members(31), 'x=', 'BAD=1', ',', 'ctx=lane:gray'].join(','), 'gray'],
    [[...members(16), ...members(16), 'ctx=lane:gray'].join(','), 'gray'],
  ])('reads %j as %j', (header, lane) => {
    expect(readLane(header)).toBe(lane);
  });

  it.each<[string | undefined, string]>([
    [undefined, 'no header'],
    ['', 'an empty header'],
    ['congo=t61rcWkgMzE', 'no ctx member'],
    ['xctx=lane:gray', 'a key that ends in ctx'],
    ['ctx2=lane:gray', 'a key that starts with ctx'],
    ['a@ctx=lane:gray', 'a multi-tenant key whose system is ctx'],
    ['ctx=xlane:gray', 'a value that is not a lane entry'],
    ['ctx=lane:', 'no lane name'],
    ['ctx=lane:gray--x', 'an invalid lane name'],
    ['ctx=lane:default', 'a reserved lane name'],
    [`ctx=lane:${'a'.repeat(17)}`, 'a lane name too long'],
    ['ctx=lane: gray', 'a space inside the value'],
    ['ctx =lane:gray', 'a space before "="'],
    ['ctx=lane:gray=1', 'an "=" in the value'],
    ['ctx=other,ctx=lane:gray', 'the first ctx member names no lane'],
    [[...members(32), 'ctx=lane:gray'].join(','), 'a 33rd member (the parser keeps 32)'],
  ])('reads no lane from %j (%s)', (header) => {
    expect(readLane(header)).toBeUndefined();
  });
});

describe('withLane', () => {
  it('must add ctx=lane:<lane> at the front and keep every other vendor in order', () => {
    expect(withLane('rojo=r,congo=c', 'gray')).toBe('ctx=lane:gray,rojo=r,congo=c');
  });

  it('must move an existing lane entry to the front with the new lane', () => {
    expect(withLane('rojo=r,ctx=lane:blue,congo=c', 'gray')).toBe('ctx=lane:gray,rojo=r,congo=c');
  });

  it('must never emit two ctx members', () => {
    expect(withLane('ctx=lane:a,CTX=lane:b,ctx=lane:c', 'gray')).toBe('ctx=lane:gray');
  });

  it('must create the header when there was none', () => {
    expect(withLane(undefined, 'gray')).toBe('ctx=lane:gray');
  });

  it('must remove a lane entry when the lane is undefined', () => {
    expect(withLane('rojo=r,ctx=lane:gray,congo=c', undefined)).toBe('rojo=r,congo=c');
    expect(withLane('ctx=LANE:bad--lane', undefined)).toBe('');
  });

  it("must keep another vendor's ctx member when the lane is undefined", () => {
    expect(withLane('rojo=r,ctx=theirs', undefined)).toBe('rojo=r,ctx=theirs');
  });

  it('must leave a header without lane as it was, re-serialized, when the lane is undefined', () => {
    expect(withLane('rojo=r , congo=c', undefined)).toBe('rojo=r,congo=c');
    expect(withLane(undefined, undefined)).toBe('');
  });

  it('must refuse an invalid lane (a programming error)', () => {
    expect(() => withLane('a=1', 'Gray')).toThrow(InvalidLaneNameError);
  });

  it('round-trips through readLane', () => {
    expect(readLane(withLane('a=1,ctx=lane:blue', 'gray'))).toBe('gray');
    expect(readLane(withLane('a=1,ctx=lane:blue', undefined))).toBeUndefined();
  });
});

describe('laneRequestHeaders: a request that starts in a lane is valid W3C Trace Context', () => {
  it('carries ctx=lane:<lane> with a valid traceparent (a tracestate alone is discarded, §3.3)', () => {
    const headers = laneRequestHeaders('gray', randomBytes);
    expect(headers.tracestate).toBe('ctx=lane:gray');
    expect(readLane(headers.tracestate)).toBe('gray');
    expect(parseTraceParent(headers.traceparent)).toBeDefined();
  });

  it('starts a new trace per request', () => {
    const a = parseTraceParent(laneRequestHeaders('gray', randomBytes).traceparent);
    const b = parseTraceParent(laneRequestHeaders('gray', randomBytes).traceparent);
    expect(a!.traceId).not.toBe(b!.traceId);
  });

  it('refuses an invalid lane name (a programming error)', () => {
    expect(() => laneRequestHeaders('Gray!', randomBytes)).toThrow(InvalidLaneNameError);
  });
});
