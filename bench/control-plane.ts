/**
 * Control plane at scale against the in-memory AWS fake (issue 7, item 5).
 *
 * Method: a fresh fake world per row (the fake of `@ecs-lanes/aws/fake`, with its simulated latencies on a
 * virtual clock, so waits cost no real time), one bootstrapped service, then N lanes deployed through the
 * public `LaneTarget.deploy` (the app pipeline, `lanes ci deploy` and `lanes ci verify` steps included), all at
 * once. Reported: real (wall) time, simulated AWS time, API calls in total and per lane, and the busiest
 * operations. Baseline, same run: the same 10 lanes deployed one after another, which shows what concurrency
 * buys and that calls per lane do not grow with concurrency beyond the priority retries and waiting.
 * No AWS is involved: this measures the control plane's own work and its call pattern, not AWS.
 */
import { createAwsTarget } from '@ecs-lanes/aws';
import { createFakeWorld } from '@ecs-lanes/aws/fake';
import { markdownTable } from './lib/report.js';
import type { Benchmark } from './lib/types.js';

interface Row {
  readonly label: string;
  readonly lanes: number;
  readonly wallMs: number;
  readonly simulatedMin: number;
  readonly calls: number;
  readonly top: string;
}

async function run(lanes: number, concurrent: boolean): Promise<Row> {
  const world = createFakeWorld();
  await world.bootstrap('orders');
  const target = createAwsTarget(world.options);
  const before = world.fake.calls.length;
  const simulatedStart = world.clock.now();
  const start = performance.now();
  const names = Array.from({ length: lanes }, (_, i) => `lane${i}`);
  const deploy = (lane: string) =>
    target.deploy({ service: 'orders', env: 'dev', lane, branch: `feat-${lane}` });
  if (concurrent) await Promise.all(names.map(deploy));
  else for (const lane of names) await deploy(lane);
  const wallMs = performance.now() - start;
  const calls = world.fake.calls.slice(before);
  const byOp = new Map<string, number>();
  for (const op of calls) byOp.set(op, (byOp.get(op) ?? 0) + 1);
  const top = [...byOp]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([op, n]) => `${op} ${(n / lanes).toFixed(1)}`)
    .join(', ');
  return {
    label: `${lanes} lane${lanes === 1 ? '' : 's'} ${concurrent ? 'at once' : 'one after another'}`,
    lanes,
    wallMs,
    simulatedMin: (world.clock.now() - simulatedStart) / 60_000,
    calls: calls.length,
    top,
  };
}

export const controlPlaneBenchmark: Benchmark = {
  title: 'Control plane at scale (in-memory AWS fake)',
  run: async ({ quick, log }) => {
    const plan: [number, boolean][] = quick
      ? [
          [1, true],
          [10, true],
        ]
      : [
          [1, true],
          [10, true],
          [50, true],
          [10, false],
        ];
    const rows: Row[] = [];
    for (const [n, concurrent] of plan) {
      log(`${n} lanes ${concurrent ? 'concurrently' : 'sequentially'}`);
      rows.push(await run(n, concurrent));
    }
    return {
      markdown: markdownTable(
        [
          'deploy',
          'wall time, s',
          'simulated AWS time, min',
          'API calls',
          'calls per lane',
          'busiest calls per lane',
        ],
        rows.map((r) => [
          r.label,
          (r.wallMs / 1000).toFixed(2),
          r.simulatedMin.toFixed(1),
          r.calls,
          (r.calls / r.lanes).toFixed(1),
          r.top,
        ]),
      ),
    };
  },
};
