/**
 * Synth time (issue 7, item 4).
 *
 * Method: `lanes synth` is run as a whole command in a fresh process (hyperfine, 3 runs each after one warm-up)
 * on generated configs with 1, 10 and 50 services in two AWS environments. The templates are generic, so the
 * work that grows with the config is only the per-environment and per-service parameter files; lanes do not
 * appear in the config at all. Baseline, same run: `lanes validate` on the same configs (process start,
 * TypeScript loading and config parsing, without synthesis).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { markdownTable } from './lib/report.js';
import type { Benchmark } from './lib/types.js';

const LANES = path.resolve(import.meta.dirname, '../packages/cli/bin/lanes.js');
const HYPERFINE = process.env.HYPERFINE_BIN ?? '/usr/bin/hyperfine';

/** A valid config with `services` services and two AWS environments. */
export function generatedConfig(services: number): string {
  const env = (name: string, account: string, n: number) => `  - name: ${name}
    account: "${account}"
    region: us-east-1
    vpcId: vpc-0a1b2c3d4e5f6071${n}
    privateSubnets: [subnet-0a1b2c3d4e5f6000${n}, subnet-0a1b2c3d4e5f6001${n}]
    publicSubnets: [subnet-0a1b2c3d4e5f6010${n}, subnet-0a1b2c3d4e5f6011${n}]
`;
  const svc = (i: number) => `  - name: svc${i}
    appRepo: { repository: acme/svc${i} }
    port: 8080
`;
  return `project: bench
infraRepo: { connectionArn: "arn:aws:codeconnections:us-east-1:111122223333:connection/abc-123", repository: acme/infra }
environments:
${env('dev', '111122223333', 1)}${env('prod', '444455556666', 2)}services:
${Array.from({ length: services }, (_, i) => svc(i)).join('')}`;
}

interface Timing {
  readonly mean: number;
  readonly stddev: number;
}

function hyperfine(commands: Record<string, string>, runs: number): Record<string, Timing> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-hf-'));
  const json = path.join(dir, 'out.json');
  const args = ['--runs', String(runs), '--warmup', '1', '--export-json', json, '--style', 'none'];
  for (const [name, command] of Object.entries(commands)) args.push('--command-name', name, command);
  const run = spawnSync(HYPERFINE, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`hyperfine failed: ${run.stderr}`);
  const results = JSON.parse(readFileSync(json, 'utf8')).results as {
    command: string;
    mean: number;
    stddev: number | null;
  }[];
  return Object.fromEntries(results.map((r) => [r.command, { mean: r.mean, stddev: r.stddev ?? 0 }]));
}

export const synthBenchmark: Benchmark = {
  title: 'Synth time against the size of the config',
  run: async ({ quick, log }) => {
    if (!existsSync(HYPERFINE))
      throw new Error('hyperfine not found: apt-get update && apt-get install -y hyperfine');
    const sizes = quick ? [1, 10] : [1, 10, 50];
    const rows: (string | number)[][] = [];
    for (const size of sizes) {
      const dir = mkdtempSync(path.join(tmpdir(), `lanes-synth-${size}-`));
      writeFileSync(path.join(dir, 'lanes.yaml'), generatedConfig(size));
      log(`${size} services × 2 environments`);
      const t = hyperfine(
        {
          validate: `node ${LANES} validate -c ${dir}/lanes.yaml`,
          synth: `node ${LANES} synth -c ${dir}/lanes.yaml --out ${dir}/out`,
        },
        quick ? 1 : 3,
      );
      const files = spawnSync('find', [`${dir}/out`, '-type', 'f'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n').length;
      rows.push([
        size,
        files,
        `${t.validate!.mean.toFixed(2)} ± ${t.validate!.stddev.toFixed(2)}`,
        `${t.synth!.mean.toFixed(2)} ± ${t.synth!.stddev.toFixed(2)}`,
        (t.synth!.mean - t.validate!.mean).toFixed(2),
      ]);
    }
    return {
      markdown: markdownTable(
        [
          'services (× 2 envs)',
          'files written',
          'lanes validate, s (baseline)',
          'lanes synth, s',
          'synthesis alone, s',
        ],
        rows,
      ),
    };
  },
};
