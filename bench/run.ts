/**
 * `npm run bench -- <name> [--quick]`: runs one benchmark (or `all`), prints its table, and records the
 * result in docs/benchmarks.md between `<!-- bench:<name> -->` markers.
 *
 * Benchmarks target 127.0.0.1 only and stop by themselves. External tools (nginx, wrk) come from Debian:
 * `apt-get update && apt-get install -y nginx wrk hyperfine`.
 */

import { recordResult } from './lib/report.js';
import { BENCHMARKS } from './registry.js';

// The AWS SDK's notice that its 2027 releases need Node 22 is true but not a benchmark result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// This machine sets NODE_EXTRA_CA_CERTS (for its HTTPS proxy), which makes every Node process read and parse a CA
// bundle at start (about 160 ms here). Nothing benchmarked uses TLS: it is unset for every process a benchmark
// starts, as on a machine without it; `node -e 0`, the baseline of the start-up rows, runs without it too.
delete process.env.NODE_EXTRA_CA_CERTS;

const [name = '', ...rest] = process.argv.slice(2);
const quick = rest.includes('--quick') || process.env.BENCH_QUICK === '1';
const names = name === 'all' ? Object.keys(BENCHMARKS) : [name];

if (!names.every((n) => n in BENCHMARKS)) {
  process.stderr.write(
    `usage: npm run bench -- <name|all> [--quick]\nbenchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}

for (const n of names) {
  const bench = BENCHMARKS[n]!;
  process.stderr.write(`== ${n}: ${bench.title}\n`);
  const result = await bench.run({ quick, log: (m) => process.stderr.write(`   ${m}\n`) });
  process.stdout.write(`\n${result.markdown}\n`);
  if (!quick) await recordResult(n, bench.title, result.markdown);
}
