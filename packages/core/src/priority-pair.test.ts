/**
 * The two rules of a blue/green lane are allocated together: the test rule always has the lower priority,
 * so that the ALB (lowest priority first) routes the validation hook's request, which carries both the
 * test header and the lane's tracestate, to the test rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocatePriorityPair, type ExistingRule, laneRuleKey, NoFreePriorityError } from './priority.js';

const prod = (lane: string) => laneRuleKey('web', 'dev', lane);
const test = (lane: string) => laneRuleKey('web', 'dev', lane, 'test');

describe('blue/green priority pairs', () => {
  it('puts the test rule below the production rule for every lane, whatever else is on the listener', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }),
        (lane, taken) => {
          const existing: ExistingRule[] = taken.map((priority) => ({ priority }));
          let pair: { production: number; test: number };
          try {
            pair = allocatePriorityPair(prod(lane), test(lane), existing, { min: 1, max: 40 });
          } catch (error) {
            expect(error).toBeInstanceOf(NoFreePriorityError);
            return;
          }
          expect(pair.test).toBeLessThan(pair.production);
          expect(taken).not.toContain(pair.test);
          expect(taken).not.toContain(pair.production);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps both priorities of a lane that has them in the right order', () => {
    const existing = [
      { priority: 9, laneKey: prod('gray') },
      { priority: 4, laneKey: test('gray') },
      { priority: 5 },
    ];
    expect(allocatePriorityPair(prod('gray'), test('gray'), existing)).toEqual({ production: 9, test: 4 });
  });

  it('moves a test rule that sits above its production rule below it, without using either current slot', () => {
    const existing = [
      { priority: 9, laneKey: prod('gray') },
      { priority: 12, laneKey: test('gray') },
      { priority: 8 },
    ];
    expect(allocatePriorityPair(prod('gray'), test('gray'), existing)).toEqual({ production: 9, test: 7 });
  });

  it('moves the production rule when nothing below it is free', () => {
    const existing = [{ priority: 1, laneKey: prod('gray') }];
    const pair = allocatePriorityPair(prod('gray'), test('gray'), existing, { min: 1, max: 5 });
    expect(pair.test).toBeLessThan(pair.production);
    expect(pair.test).not.toBe(1);
  });

  it('honours avoided slots (lost to a concurrent deploy)', () => {
    const pair = allocatePriorityPair(prod('gray'), test('gray'), [], { min: 1, max: 3, avoid: [2] });
    expect(pair).toEqual({ production: 3, test: 1 });
  });

  it('fails with NoFreePriorityError when no pair fits', () => {
    expect(() =>
      allocatePriorityPair(prod('gray'), test('gray'), [{ priority: 1 }], { min: 1, max: 2 }),
    ).toThrow(NoFreePriorityError);
  });
});
