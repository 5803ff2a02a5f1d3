/**
 * Runs wrk (Debian's) against a URL with a fixed connection count and parses throughput and latency.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Path of the wrk binary. */
export const WRK = process.env.WRK_BIN ?? '/usr/bin/wrk';

/** True when wrk is installed. */
export function hasWrk(): boolean {
  return existsSync(WRK);
}

/** A wrk run's numbers. */
export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

/**
 * Runs wrk. `headerSets` are rotated per request (a Lua script), so one run mixes baseline and lane traffic.
 */
export async function runWrk(options: {
  url: string;
  connections: number;
  seconds: number;
  threads?: number;
  headerSets: readonly Readonly<Record<string, string>>[];
}): Promise<WrkResult> {
  if (!hasWrk()) throw new Error('wrk not found: apt-get update && apt-get install -y wrk');
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-wrk-'));
  const script = path.join(dir, 'rotate.lua');
  const luaSets = options.headerSets
    .map(
      (h) =>
        `{${Object.entries(h)
          .map(([k, v]) => `[${JSON.stringify(k)}]=${JSON.stringify(v)}`)
          .join(',')}}`,
    )
    .join(',');
  writeFileSync(
    script,
    `local sets = {${luaSets}}
local reqs = {}
for i, h in ipairs(sets) do reqs[i] = wrk.format("GET", nil, h) end
local n = 0
request = function()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end
`,
  );
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '-s',
    script,
    options.url,
  ];
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`wrk failed (${code}): ${out}`)),
    );
  });
  return parseWrk(text);
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 's') return v * 1000;
  if (unit === 'm') return v * 60_000;
  return v;
}

/** Parses wrk's `--latency` output. */
export function parseWrk(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (!rps || !p50 || !p99) throw new Error(`cannot parse wrk output:\n${text}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50ms: toMs(p50[1]!, p50[2]!),
    p99ms: toMs(p99[1]!, p99[2]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}
