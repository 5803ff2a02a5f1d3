import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocatePriority,
  laneRuleKey,
  MAX_RULE_PRIORITY,
  MIN_RULE_PRIORITY,
  NoFreePriorityError,
  preferredPriority,
} from './priority.js';

const key = (lane: string) => laneRuleKey('orders', 'dev', lane);

describe('rule priority allocation', () => {
  it('gives a new lane its deterministic preferred slot on an empty listener', () => {
    const p = allocatePriority(key('gray'), []);
    expect(p).toBe(preferredPriority(key('gray')));
    expect(allocatePriority(key('gray'), [])).toBe(p);
    expect(p).toBeGreaterThanOrEqual(MIN_RULE_PRIORITY);
    expect(p).toBeLessThanOrEqual(MAX_RULE_PRIORITY);
  });

  it('keeps the priority a lane already has, even when it is not the preferred slot', () => {
    expect(allocatePriority(key('gray'), [{ priority: 7, laneKey: key('gray') }, { priority: 8 }])).toBe(7);
  });

  it('probes past a taken preferred slot', () => {
    const preferred = preferredPriority(key('gray'));
    const p = allocatePriority(key('gray'), [{ priority: preferred, laneKey: key('blue') }]);
    expect(p).not.toBe(preferred);
    expect(p).toBe(preferred === MAX_RULE_PRIORITY ? MIN_RULE_PRIORITY : preferred + 1);
  });

  it('wraps around at the top of the range', () => {
    // Find a lane whose preferred slot in 4..6 is the top one, then take that slot.
    const lane = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((l) => preferredPriority(key(l), 4, 6) === 6)!;
    expect(allocatePriority(key(lane), [{ priority: 6 }], { min: 4, max: 6 })).toBe(4);
  });

  it('avoids slots lost to a concurrent deploy', () => {
    const first = allocatePriority(key('gray'), []);
    const second = allocatePriority(key('gray'), [], { avoid: [first] });
    expect(second).not.toBe(first);
  });

  it('fails with a fix when the range is full', () => {
    const full = () => allocatePriority(key('gray'), [{ priority: 1 }, { priority: 2 }], { min: 1, max: 2 });
    expect(full).toThrow(NoFreePriorityError);
    expect(full).toThrow(/no free listener-rule priority between 1 and 2; delete unused lanes/);
  });

  it('rejects a range outside 1..50000', () => {
    expect(() => allocatePriority(key('gray'), [], { min: 0 })).toThrow(RangeError);
  });

  it('property: never collides with an existing rule, and a lane that has a slot keeps it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 59 }),
        fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
        (taken, lane) => {
          const existing = taken.map((priority, i) => ({ priority, laneKey: key(`other${i}`) }));
          const p = allocatePriority(key(lane), existing, { min: 1, max: 60 });
          expect(taken).not.toContain(p);
          const again = allocatePriority(key(lane), [...existing, { priority: p, laneKey: key(lane) }], {
            min: 1,
            max: 60,
          });
          expect(again).toBe(p);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: lanes allocated one after another on one listener all get distinct priorities', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { minLength: 1, maxLength: 40 }),
        (lanes) => {
          const rules: { priority: number; laneKey: string }[] = [];
          for (const lane of lanes)
            rules.push({
              priority: allocatePriority(key(lane), rules, { min: 1, max: 50 }),
              laneKey: key(lane),
            });
          expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
