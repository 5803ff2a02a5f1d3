/**
 * Property tests: the ALB lane rule, under every evaluation model, matches exactly the requests that `readLane`
 * reads as that lane, for any `tracestate` header generated from the W3C grammar (§3.3.1).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALB_EVALUATION_MODELS,
  ALB_LIMITS,
  type AlbEvaluationModel,
  albRuleMatches,
  checkAlbRegex,
  checkAlbRule,
  compileLaneRules,
  laneMatchRegex,
  laneRuleConditions,
} from './alb-match.js';
import { isValidLaneName, MAX_LANE_LENGTH } from './lane.js';
import {
  isValidTraceStateKey,
  isValidTraceStateValue,
  readLane,
  TraceState,
  withLane,
} from './tracestate.js';

const NUM_RUNS = 500;

// --- The grammar, as generators -------------------------------------------------------------------------------

const LCALPHA = 'abcdefghijklmnopqrstuvwxyz';
const KEYCHARS = `${LCALPHA}0123456789_-*/`;
/** §3.3.1.3.2 `chr` without the space, i.e. `nblk-chr`: printable ASCII except space, `,` and `=`. */
const NBLK_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
  (char) => char !== ',' && char !== '=',
);

const chars = (alphabet: string | readonly string[]) => fc.constantFrom(...alphabet);
const word = (alphabet: string | readonly string[], maxLength: number) =>
  fc.string({ unit: chars(alphabet), maxLength });

/** `text` with each ASCII letter independently in either case. */
const anyCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(''));

/** Keys that start with a letter (a subset of Level 2's key grammar; short, to keep headers readable). */
const simpleKey = fc.tuple(chars(LCALPHA), word(KEYCHARS, 8)).map(([first, rest]) => first + rest);

/** multi-tenant-key = tenant-id "@" system-id */
const multiTenantKey = fc
  .tuple(chars(`${LCALPHA}0123456789`), word(KEYCHARS, 6), chars(LCALPHA), word(KEYCHARS, 5))
  .map(([t, tenant, s, system]) => `${t}${tenant}@${s}${system}`);

/** Keys chosen to look like the lane key without being it. */
const nearCtxKey = fc.constantFrom(
  'xctx',
  'ctx2',
  'ctxx',
  'a@ctx',
  'ctx@a',
  'ctx-',
  'ctx_',
  'ct',
  'c',
  'tx',
  'lane',
);

/** Any other vendor's key: valid, lowercase, never `ctx` itself. */
const otherKey = fc.oneof(simpleKey, multiTenantKey, nearCtxKey).filter((key) => key !== 'ctx');

/** value = 0*255(chr) nblk-chr */
const specValue = fc
  .tuple(fc.string({ unit: fc.oneof(chars(NBLK_CHARS), fc.constant(' ')), maxLength: 12 }), chars(NBLK_CHARS))
  .map(([body, last]) => body + last);

/** A valid lane name, from the lane grammar. */
const laneName = fc
  .tuple(chars(LCALPHA), word(`${LCALPHA}0123456789-`, MAX_LANE_LENGTH - 1))
  .map(([first, rest]) => first + rest)
  .filter(isValidLaneName);

/** The lane a rule is for: the classic confusable ones, any lane, or a longest one. */
const ruleLane = fc.oneof(
  fc.constantFrom('gray', 'gray2', 'gra', 'feat-login', 'a', 'a1'),
  laneName,
  laneName.map((lane) => lane.padEnd(MAX_LANE_LENGTH, 'z')).filter(isValidLaneName),
);

/** Lanes that are not `lane` but share a prefix, a suffix or most characters with it. */
const nearMissLanes = (lane: string): string[] =>
  [`${lane}2`, lane.slice(0, -1), `${lane}-x`, `x${lane}`, `${lane}${lane}`].filter((l) => l !== lane);

/** Values that look like lane entries, for other vendors' members: `xctx=lane:gray` must not route. */
const laneLikeValue = (lane: string) =>
  fc.oneof(
    anyCase(`lane:${lane}`),
    fc.constantFrom(...nearMissLanes(lane)).map((l) => `lane:${l}`),
    fc.constantFrom(`xlane:${lane}`, `lane:${lane}x`, `lane: ${lane}`, `${lane}`),
  );

/** The value of the `ctx` member: the rule's lane, a near miss, another lane, or no lane entry at all. */
const ctxValue = (lane: string) =>
  fc.oneof(
    fc.tuple(anyCase('lane:'), anyCase(lane)).map(([prefix, name]) => prefix + name),
    fc.tuple(anyCase('lane:'), fc.constantFrom(...nearMissLanes(lane)).chain(anyCase)).map(([p, n]) => p + n),
    fc.tuple(anyCase('lane:'), laneName).map(([prefix, name]) => prefix + name),
    fc.constantFrom(`xlane:${lane}`, `lane: ${lane}`, 'lane:', `lane:${lane}--x`, 'lane:default'),
    specValue,
  );

/** OWS: spaces and tabs, zero or more. */
const ows = word(' \t', 2);

/** An empty or whitespace-only list-member (§3.3.1.1: allowed, ignored). */
const emptyMember = fc.constantFrom('', ' ', '\t', ' \t ');

interface GeneratedHeader {
  /** The header as sent: one field, or several fields split at commas. */
  readonly header: string | string[];
  /** The other vendors' members, in order. */
  readonly others: readonly (readonly [string, string])[];
}

/** How one list-member is written: OWS before and after it, and maybe an empty list-member before it. */
const layout = fc.record({
  before: ows,
  after: ows,
  empty: fc.option(emptyMember, { nil: undefined, freq: 4 }),
});

/**
 * A `tracestate` header valid per §3.3.1 with unique keys (the `ctx` key possibly in mixed case, which the ALB
 * treats like `ctx`): 0..31 other vendors' members, the `ctx` member anywhere or absent, OWS around members, empty
 * members between them, possibly split into several header fields.
 */
const tracestateHeader = (lane: string): fc.Arbitrary<GeneratedHeader> =>
  fc
    .record({
      others: fc.uniqueArray(fc.tuple(otherKey, fc.oneof(specValue, laneLikeValue(lane)), layout), {
        selector: ([key]) => key,
        maxLength: 31,
      }),
      ctx: fc.option(fc.tuple(anyCase('ctx'), ctxValue(lane), layout), { nil: undefined }),
      ctxPosition: fc.nat(),
      trailing: fc.option(emptyMember, { nil: undefined }),
      splitEvery: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    })
    .map(({ others, ctx, ctxPosition, trailing, splitEvery }) => {
      const members = [...others];
      if (ctx !== undefined) members.splice(ctxPosition % (members.length + 1), 0, ctx);
      const parts: string[] = [];
      for (const [key, value, { before, after, empty }] of members) {
        if (empty !== undefined) parts.push(empty);
        parts.push(`${before}${key}=${value}${after}`);
      }
      if (trailing !== undefined) parts.push(trailing);
      // Several header fields, split at commas (§3.3.1.1: combined in order, as RFC 7230 §3.2.2 says).
      if (splitEvery === undefined || parts.length < 2) {
        return { header: parts.join(','), others: others.map(([key, value]) => [key, value] as const) };
      }
      const fields: string[] = [];
      for (let i = 0; i < parts.length; i += splitEvery)
        fields.push(parts.slice(i, i + splitEvery).join(','));
      return { header: fields, others: others.map(([key, value]) => [key, value] as const) };
    });

/** A rule lane and a header generated around it. */
const laneAndHeader = ruleLane.chain((lane) =>
  tracestateHeader(lane).map((generated) => ({ lane, ...generated })),
);

// --- Properties -----------------------------------------------------------------------------------------------

describe('the generators', () => {
  it('produce headers whose members all satisfy the grammar', () => {
    fc.assert(
      fc.property(laneAndHeader, ({ others }) => {
        for (const [key, value] of others) {
          expect(isValidTraceStateKey(key)).toBe(true);
          expect(isValidTraceStateValue(value)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** `expect` with the model in the message, so a failure says under which reading of the ALB docs it fails. */
const under = (model: AlbEvaluationModel, actual: unknown) =>
  expect(actual, `anchored: ${model.anchored}, caseSensitive: ${model.caseSensitive}`);

describe('under every ALB evaluation model (anchored or not, case-sensitive or not)', () => {
  it('the lane rule matches exactly when readLane reads that lane', () => {
    fc.assert(
      fc.property(laneAndHeader, ({ lane, header }) => {
        const expected = readLane(header) === lane;
        for (const model of ALB_EVALUATION_MODELS) {
          under(model, albRuleMatches(laneRuleConditions(lane), { tracestate: header }, model)).toBe(
            expected,
          );
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the compiled rules route to the lane readLane reads, or to none', () => {
    fc.assert(
      fc.property(laneAndHeader, ({ lane, header }) => {
        const lanes = [...new Set([lane, ...nearMissLanes(lane).filter(isValidLaneName), 'gray', 'gray2'])];
        const rules = lanes.map((l) => ({ lane: l, conditions: laneRuleConditions(l) }));
        const read = readLane(header);
        const expected = read !== undefined && lanes.includes(read) ? read : undefined;
        for (const model of ALB_EVALUATION_MODELS) {
          under(model, compileLaneRules(rules, model)({ TraceState: header })).toBe(expected);
        }
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });

  it('never routes a near-miss lane (gray2, gra, gray-x ...) to the rule of lane', () => {
    fc.assert(
      fc.property(
        ruleLane.chain((lane) =>
          fc.tuple(
            fc.constant(lane),
            fc.constantFrom(...nearMissLanes(lane)).chain(anyCase),
            tracestateHeader(lane),
            fc.nat(),
          ),
        ),
        ([lane, nearMiss, { others }, position]) => {
          const members = others.map(([key, value]) => `${key}=${value}`);
          members.splice(position % (members.length + 1), 0, `ctx=lane:${nearMiss}`);
          for (const model of ALB_EVALUATION_MODELS) {
            under(
              model,
              albRuleMatches(laneRuleConditions(lane), { tracestate: members.join(', ') }, model),
            ).toBe(false);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('never routes a key that merely ends in ctx', () => {
    fc.assert(
      fc.property(
        ruleLane,
        fc.oneof(
          simpleKey,
          multiTenantKey.map((key) => `${key.split('@')[0]}@`),
        ),
        (lane, prefix) => {
          const header = `${prefix}ctx=lane:${lane}`;
          expect(readLane(header)).toBeUndefined();
          for (const model of ALB_EVALUATION_MODELS) {
            under(model, albRuleMatches(laneRuleConditions(lane), { tracestate: header }, model)).toBe(false);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('every lane', () => {
  it('has a rule regex the ALB accepts, of at most 128 characters', () => {
    fc.assert(
      fc.property(ruleLane, (lane) => {
        const regex = laneMatchRegex(lane);
        expect(regex.length).toBeLessThanOrEqual(ALB_LIMITS.maxValueLength);
        expect(checkAlbRegex(regex)).toEqual([]);
        expect(checkAlbRule(laneRuleConditions(lane))).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('withLane', () => {
  /** Any header: generated from the grammar, or arbitrary text. */
  const anyHeader = fc.oneof(
    laneAndHeader.map(({ header }) => header),
    fc.string({ maxLength: 80 }),
    fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
  );

  it('then readLane round-trips, for a lane and for no lane', () => {
    fc.assert(
      fc.property(anyHeader, fc.option(ruleLane, { nil: undefined }), (header, lane) => {
        expect(readLane(withLane(header, lane))).toBe(lane);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('puts one ctx member at the front and keeps every other member in order', () => {
    fc.assert(
      fc.property(anyHeader, ruleLane, (header, lane) => {
        const before = TraceState.parse(header);
        const after = TraceState.parse(withLane(header, lane));
        const others = before.keys().filter((key) => key !== 'ctx');
        expect(after.keys()).toEqual(['ctx', ...others]);
        expect(after.get('ctx')).toBe(`lane:${lane}`);
        for (const key of others) expect(after.get(key)).toBe(before.get(key));
        expect(withLane(header, lane).match(/(^|,)ctx=/gi)).toHaveLength(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('with no lane removes only a lane entry and keeps every other member in order', () => {
    fc.assert(
      fc.property(anyHeader, (header) => {
        const before = TraceState.parse(header);
        const after = TraceState.parse(withLane(header, undefined));
        const ctx = before.get('ctx');
        const removed = ctx?.toLowerCase().startsWith('lane:') === true;
        expect(after.keys()).toEqual(removed ? before.keys().filter((key) => key !== 'ctx') : before.keys());
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('parsing never throws', () => {
  it('for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 })),
        (header) => {
          const state = TraceState.parse(header);
          expect(TraceState.parse(state.serialize()).serialize()).toBe(state.serialize());
          expect(state.size).toBeLessThanOrEqual(32);
          readLane(header);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
