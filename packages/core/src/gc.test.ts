import { describe, expect, it } from 'vitest';
import { collectGarbage, planGc } from './gc.js';
import { assertStillExpired, NotExpiredError } from './not-expired.js';
import type { LaneSummary, LaneTarget, RemoveLaneRequest } from './target.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const PAST = '2026-12-01T11:00:00.000Z';
const FUTURE = '2026-12-02T12:00:00.000Z';

function lane(name: string, over: Partial<LaneSummary> = {}): LaneSummary {
  return {
    service: 'orders',
    env: 'dev',
    lane: name,
    baseline: false,
    state: 'serving',
    running: 1,
    desired: 1,
    healthy: 1,
    ...over,
  };
}

describe('the gc plan', () => {
  it('removes expired lanes and keeps the rest, saying why', () => {
    const plan = planGc(
      [
        lane('base', { baseline: true }),
        lane('old', { expiresAt: PAST, owner: 'ana' }),
        lane('fresh', { expiresAt: FUTURE }),
        lane('legacy'),
      ],
      NOW,
    );
    expect(plan.remove.map((l) => l.lane)).toEqual(['old']);
    expect(plan.keep.map((k) => [k.lane, k.reason])).toEqual([
      ['base', 'the baseline never expires'],
      ['fresh', 'expires in 1d'],
      ['legacy', 'has no expiry'],
    ]);
  });

  it('never removes a baseline, even one with an expiry in the past', () => {
    expect(planGc([lane('base', { baseline: true, expiresAt: PAST })], NOW).remove).toEqual([]);
  });

  it('skips an expired lane that is deploying or that the target cannot remove safely', () => {
    const plan = planGc(
      [
        lane('busy', { expiresAt: PAST, state: 'updating', detail: 'UPDATE_IN_PROGRESS' }),
        lane('stuck', { expiresAt: PAST, state: 'failed', removeBlocked: 'stack is UPDATE_ROLLBACK_FAILED' }),
      ],
      NOW,
    );
    expect(plan.remove).toEqual([]);
    expect(plan.skip.map((s) => s.reason)).toEqual([
      'it is updating (UPDATE_IN_PROGRESS); gc tries again next run',
      'stack is UPDATE_ROLLBACK_FAILED',
    ]);
  });
});

describe('a guarded removal', () => {
  const req: RemoveLaneRequest = {
    service: 'orders',
    env: 'dev',
    lane: 'x',
    ifExpiredBy: new Date(NOW).toISOString(),
  };
  it('goes ahead when the lane is still expired, and refuses when it was extended meanwhile', () => {
    expect(() => assertStillExpired(req, PAST)).not.toThrow();
    expect(() => assertStillExpired(req, FUTURE)).toThrow(NotExpiredError);
    expect(() => assertStillExpired(req, undefined)).toThrow(/not expired any more/);
    expect(() => assertStillExpired({ ...req, ifExpiredBy: undefined }, FUTURE)).not.toThrow();
  });
});

/** A target holding lanes in memory; removal honours the guard like the real targets. */
class MemoryTarget implements Pick<LaneTarget, 'list' | 'remove'> {
  removed: string[] = [];
  constructor(
    public lanes: LaneSummary[],
    private readonly failing = new Set<string>(),
  ) {}
  async list() {
    return this.lanes;
  }
  async remove(ref: RemoveLaneRequest) {
    const found = this.lanes.find((l) => l.lane === ref.lane)!;
    assertStillExpired(ref, found.expiresAt);
    if (this.failing.has(ref.lane)) throw new Error('stack is busy');
    if (!ref.dryRun) {
      this.removed.push(ref.lane);
      this.lanes = this.lanes.filter((l) => l !== found);
    }
    return {
      service: ref.service,
      env: ref.env,
      lane: ref.lane,
      dryRun: Boolean(ref.dryRun),
      actions: [`delete ${ref.lane}`],
    };
  }
}

describe('a gc run', () => {
  it('removes every expired lane, reports failures and goes on, and keeps the rest', async () => {
    const target = new MemoryTarget(
      [
        lane('base', { baseline: true }),
        lane('a', { expiresAt: PAST }),
        lane('b', { expiresAt: PAST }),
        lane('c', { expiresAt: FUTURE }),
      ],
      new Set(['a']),
    );
    const events: string[] = [];
    const result = await collectGarbage(target as unknown as LaneTarget, {
      env: 'dev',
      now: NOW,
      progress: (e) => events.push(e.message),
    });
    expect(target.removed).toEqual(['b']);
    expect(result.removed.map((r) => [r.lane, r.actions])).toEqual([['b', ['delete b']]]);
    expect(result.failed.map((f) => [f.lane, f.reason])).toEqual([['a', 'stack is busy']]);
    expect(result.kept.map((k) => k.lane)).toEqual(['base', 'c']);
    expect(events[0]).toBe('4 lanes in dev: 2 expired to remove, 0 expired but skipped, 2 kept');
  });

  it('changes nothing in a dry run', async () => {
    const target = new MemoryTarget([lane('a', { expiresAt: PAST })]);
    const result = await collectGarbage(target as unknown as LaneTarget, {
      env: 'dev',
      now: NOW,
      dryRun: true,
    });
    expect(result.dryRun).toBe(true);
    expect(result.removed.map((r) => r.lane)).toEqual(['a']);
    expect(target.removed).toEqual([]);
  });

  it('spares a lane extended between the listing and its removal', async () => {
    const target = new MemoryTarget([lane('a', { expiresAt: PAST })]);
    const list = target.list.bind(target);
    target.list = async () => {
      const lanes = [...(await list())];
      target.lanes = [lane('a', { expiresAt: FUTURE })]; // extended right after gc listed it
      return lanes;
    };
    const result = await collectGarbage(target as unknown as LaneTarget, { env: 'dev', now: NOW });
    expect(target.removed).toEqual([]);
    expect(result.skipped.map((s) => s.lane)).toEqual(['a']);
  });
});
