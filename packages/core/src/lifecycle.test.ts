import { describe, expect, it } from 'vitest';
import {
  describeExpiry,
  expiryFor,
  isExpired,
  LIFECYCLE_TAGS,
  LifecycleError,
  lifecycleFromTags,
  lifecycleTags,
  nextLifecycle,
  parseDuration,
} from './lifecycle.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const policy = { defaultTtl: '3d', maxTtl: '14d' };

describe('durations', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['3d', 3 * 86_400_000],
    ['2w', 14 * 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(['', '3', 'd', '0d', '1.5d', '3 days', '-1h', '3D', '1y'])(
    'refuses %j with the grammar',
    (text) => {
      const result = parseDuration(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/m \(minutes\), h \(hours\), d \(days\) or w \(weeks\)/);
    },
  );
});

describe('expiry', () => {
  it('is now plus --ttl', () => {
    expect(expiryFor({ baseline: false, ttl: '12h', policy, now: NOW })).toBe('2026-12-02T00:00:00.000Z');
  });

  it('is now plus the default TTL without --ttl', () => {
    expect(expiryFor({ baseline: false, policy, now: NOW })).toBe('2026-12-04T12:00:00.000Z');
  });

  it('never comes for the baseline, whatever the ttl', () => {
    expect(expiryFor({ baseline: true, ttl: '1h', policy, now: NOW })).toBeUndefined();
  });

  it('may not exceed the maximum TTL: the error names the rule and the fix', () => {
    expect(() =>
      expiryFor({ baseline: false, ttl: '3w', policy, now: NOW, policyPath: 'environments[0].policy' }),
    ).toThrow(
      /--ttl 3w is longer than the maximum TTL 14d \(environments\[0\]\.policy\.maxTtl\); give --ttl 14d or less, or raise environments\[0\]\.policy\.maxTtl/,
    );
  });

  it('refuses a --ttl that is not a duration', () => {
    expect(() => expiryFor({ baseline: false, ttl: 'soon', policy, now: NOW })).toThrow(LifecycleError);
  });

  it('has passed at and after the expiry, not before, and never without one', () => {
    const lane = { expiresAt: '2026-12-01T12:00:00.000Z' };
    expect(isExpired(lane, NOW - 1)).toBe(false);
    expect(isExpired(lane, NOW)).toBe(true);
    expect(isExpired({}, NOW + 1e12)).toBe(false);
  });

  it('reads as a relative time', () => {
    expect(describeExpiry('2026-12-03T13:00:00.000Z', NOW)).toBe('in 2d');
    expect(describeExpiry('2026-12-01T07:00:00.000Z', NOW)).toBe('expired 5h ago');
    expect(describeExpiry(undefined, NOW)).toBe('never');
  });
});

describe('a deploy records the lifecycle', () => {
  it('keeps the owner and creation time and moves the deploy time and expiry', () => {
    const first = nextLifecycle(undefined, { owner: 'ana', now: NOW, expiresAt: '2026-12-04T12:00:00.000Z' });
    expect(first).toEqual({
      owner: 'ana',
      createdAt: '2026-12-01T12:00:00.000Z',
      deployedAt: '2026-12-01T12:00:00.000Z',
      expiresAt: '2026-12-04T12:00:00.000Z',
    });
    const again = nextLifecycle(first, {
      owner: 'bo',
      now: NOW + 3_600_000,
      expiresAt: '2026-12-05T13:00:00.000Z',
    });
    expect(again).toEqual({
      owner: 'ana',
      createdAt: '2026-12-01T12:00:00.000Z',
      deployedAt: '2026-12-01T13:00:00.000Z',
      expiresAt: '2026-12-05T13:00:00.000Z',
    });
  });

  it('round-trips through stack tags', () => {
    const lifecycle = {
      owner: 'arn:aws:sts::111122223333:assumed-role/dev/ana',
      createdAt: '2026-12-01T12:00:00.000Z',
      deployedAt: '2026-12-01T13:00:00.000Z',
      expiresAt: '2026-12-04T12:00:00.000Z',
    };
    const tags = lifecycleTags(lifecycle);
    expect(tags[LIFECYCLE_TAGS.expiresAt]).toBe('2026-12-04T12:00:00.000Z');
    expect(lifecycleFromTags(tags)).toEqual(lifecycle);
    expect(lifecycleFromTags({})).toEqual({});
  });
});
