/**
 * CLI start-up and synth time (issue 11, item 5).
 *
 * Method: each command runs as a whole, in a fresh process, from the built CLI (`packages/cli/bin/lanes.js`,
 * what users install), timed by hyperfine after one warm-up. Baseline, same run: `node -e 0`, the runtime's own
 * start-up; every row also gives its ratio to it. `lanes synth` runs on generated configs with 1, 10 and 50
 * services in two AWS environments: the templates are prebuilt into the CLI, so only parameter files grow with
 * the config. `lanes synth --resynth` shows the cost of a fresh CDK synthesis (validation and cdk-nag), what
 * every synth paid before the templates were prebuilt.
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

const ratio = (t: Timing, base: Timing) => `${(t.mean / base.mean).toFixed(1)}×`;
const cell = (t: Timing) => `${(t.mean * 1000).toFixed(0)} ± ${(t.stddev * 1000).toFixed(0)}`;

export const synthBenchmark: Benchmark = {
  title: 'CLI start-up and lanes synth, against node -e 0 in the same run',
  run: async ({ quick, log }) => {
    if (!existsSync(HYPERFINE))
      throw new Error('hyperfine not found: apt-get update && apt-get install -y hyperfine');
    const runs = quick ? 2 : 10;
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-cli-'));
    const example = path.resolve(import.meta.dirname, '../examples/lanes.yaml');
    log(`start-up: node -e 0, lanes --help, lanes validate, lanes ls --env local (${runs} runs each)`);
    const start = hyperfine(
      {
        'node -e 0 (baseline)': 'node -e 0',
        'lanes --help': `node ${LANES} --help`,
        'lanes validate': `node ${LANES} validate -c ${example}`,
        'lanes ls --env local': `node ${LANES} ls --env local -c ${example}`,
      },
      runs,
    );
    const base = start['node -e 0 (baseline)']!;
    const rows: string[][] = Object.entries(start).map(([name, t]) => [name, cell(t), ratio(t, base)]);
    for (const size of quick ? [1, 10] : [1, 10, 50]) {
      const d = mkdtempSync(path.join(dir, `synth-${size}-`));
      writeFileSync(path.join(d, 'lanes.yaml'), generatedConfig(size));
      log(`lanes synth: ${size} services × 2 environments`);
      const t = hyperfine({ synth: `node ${LANES} synth -c ${d}/lanes.yaml --out ${d}/out` }, quick ? 1 : 5);
      const files = spawnSync('find', [`${d}/out`, '-type', 'f'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n');
      rows.push([
        `lanes synth, ${size} services × 2 envs (${files.length} files)`,
        cell(t.synth!),
        ratio(t.synth!, base),
      ]);
    }
    const d = mkdtempSync(path.join(dir, 'resynth-'));
    writeFileSync(path.join(d, 'lanes.yaml'), generatedConfig(1));
    log('lanes synth --resynth (a fresh CDK synthesis, what every synth cost before)');
    const re = hyperfine(
      { resynth: `node ${LANES} synth --resynth -c ${d}/lanes.yaml --out ${d}/out` },
      quick ? 1 : 3,
    );
    rows.push([
      'lanes synth --resynth, 1 service (fresh CDK synthesis)',
      cell(re.resynth!),
      ratio(re.resynth!, base),
    ]);
    return {
      markdown: markdownTable(
        ['command (fresh process each run)', 'wall time, ms (mean ± σ)', '× node -e 0'],
        rows,
      ),
    };
  },
};
