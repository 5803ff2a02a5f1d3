import { describe, expect, it } from 'vitest';
import type { HopReport } from './hop-report.js';
import { brokenHops, judgeTrace, renderTrace, type TraceExpectations } from './trace.js';

/** web -> orders -> inventory, as lanes.yaml declares it. */
const DEPENDS: Record<string, string[]> = { web: ['orders'], orders: ['inventory'], inventory: [] };

function expectations(deployed: Record<string, string[]>, lane = 'gray'): TraceExpectations {
  return {
    lane,
    baseline: 'base',
    path: '/',
    deployed: (service) => new Set(['base', ...(deployed[service] ?? [])]),
    dependsOn: (service) => DEPENDS[service] ?? [],
  };
}

function hop(service: string, asked: string | undefined, served: string, calls: HopReport[] = []): HopReport {
  const reason = asked === undefined ? 'no-lane' : asked === served ? 'lane' : 'not-deployed';
  return { service, ...(asked ? { asked } : {}), served, reason, by: 'sdk', reported: true, calls };
}

function trace(report: HopReport | undefined, x: TraceExpectations) {
  return judgeTrace({ service: 'web', env: 'local', entry: 'http://127.0.0.1:7100', status: 200, report }, x);
}

function marks(report: HopReport, x: TraceExpectations): string[] {
  const out: string[] = [];
  const visit = (n: NonNullable<ReturnType<typeof trace>['root']>) => {
    out.push(`${n.service}:${n.mark}`);
    n.calls.forEach(visit);
  };
  visit(trace(report, x).root!);
  return out;
}

describe('judging a trace', () => {
  it('marks [OK] every hop that stays in the lane', () => {
    const x = expectations({ web: ['gray'], orders: ['gray'], inventory: ['gray'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'gray', 'gray', [hop('inventory', 'gray', 'gray')]),
    ]);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:OK', 'inventory:OK']);
    expect(trace(report, x).ok).toBe(true);
  });

  it('marks [FALLBACK] with the reason a hop where the lane is not deployed, and keeps following the lane', () => {
    const x = expectations({ web: ['gray'], inventory: ['gray'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'gray', 'base', [hop('inventory', 'gray', 'gray')]),
    ]);
    const t = trace(report, x);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:FALLBACK', 'inventory:OK']);
    expect(t.root!.calls[0]!.detail).toBe('the lane is not deployed for it; served by base');
    expect(t.ok).toBe(true);
  });

  it('marks [FALLBACK] a lane that is deployed but has no healthy instance', () => {
    const x = expectations({ web: ['gray'], orders: ['gray'] });
    const unhealthy: HopReport = {
      ...hop('orders', 'gray', 'base', [hop('inventory', 'gray', 'base')]),
      reason: 'unhealthy',
    };
    const t = trace(hop('web', 'gray', 'gray', [unhealthy]), x);
    expect(t.root!.calls[0]!).toMatchObject({
      mark: 'FALLBACK',
      detail: 'the lane has no healthy instance; served by base',
    });
  });

  it('marks [NG] a hop whose service has the lane deployed when the request did not reach it', () => {
    const x = expectations({ web: ['gray'], orders: ['gray'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'gray', 'base', [hop('inventory', 'gray', 'base')]),
    ]);
    const t = trace(report, x);
    expect(t.root!.calls[0]!).toMatchObject({ service: 'orders', mark: 'NG' });
    expect(t.root!.calls[0]!.detail).toContain(
      'lane gray is deployed for orders but the request did not reach it',
    );
    expect(t.ok).toBe(false);
    expect(brokenHops(t)).toEqual(['orders']);
  });

  it('marks [NG] the hop after which the lane was lost (a call without the lane), and names it', () => {
    const x = expectations({ web: ['gray'], orders: ['gray'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'gray', 'gray', [hop('inventory', undefined, 'base')]),
    ]);
    const t = trace(report, x);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:NG', 'inventory:FALLBACK']);
    expect(t.root!.calls[0]!.detail).toContain('lost the lane: called inventory without it');
    expect(t.root!.calls[0]!.calls[0]!.detail).toBe('no lane asked (lost upstream); served by base');
  });

  it('marks [NG] a hop that arrives without the lane where the lane is deployed', () => {
    const x = expectations({ web: ['gray'], orders: ['gray'], inventory: ['gray'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'gray', 'gray', [hop('inventory', undefined, 'base')]),
    ]);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:NG', 'inventory:NG']);
  });

  it('marks [NG] a hop that reported but whose expected call (dependsOn) never came back with the trace', () => {
    const x = expectations({ web: ['gray'], inventory: ['gray'] });
    const report = hop('web', 'gray', 'gray', [hop('orders', 'gray', 'base')]);
    const t = trace(report, x);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:NG', 'inventory:NG']);
    const orders = t.root!.calls[0]!;
    expect(orders.detail).toContain(
      'lost the lane: no call to inventory (dependsOn) came back with the trace',
    );
    expect(orders.calls[0]).toMatchObject({ service: 'inventory', reached: false });
    expect(orders.calls[0]!.detail).toContain(
      'lane gray is deployed for inventory but the request did not reach it',
    );
  });

  it('marks [NG] a hop with dependencies that did not report at all (no SDK tracing there)', () => {
    const x = expectations({ web: ['gray'] });
    const silent: HopReport = { ...hop('web', 'gray', 'gray'), reported: false };
    const t = trace(silent, x);
    expect(t.root).toMatchObject({ mark: 'NG' });
    expect(t.root!.detail).toContain('did not report its calls');
  });

  it('a leaf that did not report stays as routed, and says so', () => {
    const x = expectations({});
    const report = hop('web', 'gray', 'base', [
      hop('orders', 'gray', 'base', [{ ...hop('inventory', 'gray', 'base'), reported: false }]),
    ]);
    const t = trace(report, x);
    expect(t.ok).toBe(true);
    expect(t.root!.calls[0]!.calls[0]!.detail).toContain('(the instance did not report)');
  });

  it('tracing the baseline: every hop served by the baseline is [OK], and missing calls are not charged', () => {
    const x = expectations({ web: ['gray'] }, 'base');
    const report = hop('web', undefined, 'base', [hop('orders', undefined, 'base')]);
    expect(marks(report, x)).toEqual(['web:OK', 'orders:OK']);
  });

  it('a lane changed on the way is [NG]', () => {
    const x = expectations({ web: ['gray'], orders: ['gray', 'blue'] });
    const report = hop('web', 'gray', 'gray', [
      hop('orders', 'blue', 'blue', [hop('inventory', 'blue', 'base')]),
    ]);
    expect(marks(report, x)[1]).toBe('orders:NG');
  });

  it('an entry without a report fails, saying why', () => {
    const t = trace(undefined, expectations({}));
    expect(t.ok).toBe(false);
    expect(t.error).toContain('without a trace report');
  });
});

describe('rendering a trace', () => {
  it('prints the tree with its marks and one closing line naming where the lane breaks', () => {
    const x = expectations({ web: ['gray'], inventory: ['gray'] });
    const report = hop('web', 'gray', 'gray', [hop('orders', 'gray', 'base')]);
    const lines = renderTrace(trace(report, x));
    expect(lines[0]).toBe('trace web lane gray in local: GET / via http://127.0.0.1:7100');
    expect(lines[1]).toBe('└─ [OK] web — lane gray (sdk)');
    expect(lines[2]).toMatch(
      /^ {3}└─ \[NG\] orders — the lane is not deployed for it; served by base; lost the lane/,
    );
    expect(lines[3]).toMatch(/^ {6}└─ \[NG\] inventory — not reached/);
    expect(lines.at(-1)).toBe('1 OK, 0 FALLBACK, 2 NG: lane gray breaks at orders, inventory');
  });
});
