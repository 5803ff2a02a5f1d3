import { describe, expect, it } from 'vitest';
import { assertLaneName, checkLaneName, InvalidLaneNameError, MAX_LANE_LENGTH } from './lane.js';

describe('lane names', () => {
  it.each(['base', 'gray', 'feat-login', 'a', 'v2', 'pr-1234', 'x'.repeat(MAX_LANE_LENGTH)])(
    'accepts %j',
    (name) => {
      expect(checkLaneName(name)).toEqual({ ok: true });
    },
  );

  it.each([
    ['', /empty/],
    ['x'.repeat(MAX_LANE_LENGTH + 1), /at most 16/],
    ['Gray', /lowercase/],
    ['2fast', /starting with a letter/],
    ['feat--x', /single hyphens/],
    ['feat-', /ending with a letter or digit/],
    ['feat_x', /lowercase letters, digits and single hyphens/],
    ['gray,x=1', /not a valid lane name/],
    ['lane:gray', /not a valid lane name/],
  ])('rejects %j with a reason that says how to fix it', (name, reason) => {
    const check = checkLaneName(name);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it.each(['default', 'all', 'none', 'latest'])('rejects the reserved name %j and says why', (name) => {
    const check = checkLaneName(name);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/reserved: .+/);
  });

  it('assertLaneName throws a typed error naming the lane', () => {
    expect(() => assertLaneName('Bad')).toThrow(InvalidLaneNameError);
    expect(assertLaneName('gray')).toBe('gray');
  });
});
