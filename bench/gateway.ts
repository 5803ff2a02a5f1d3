/**
 * The local gateway against nginx 1.22 with the same routing (issue 7, items 1 and 3).
 *
 * Method:
 * - Upstreams: one nginx (1 worker) serving three tiny fixed answers (the lane's name, with `x-lanes-lane`) on
 *   three ports, one per lane (`base`, `gray`, `feat-x`), so that the proxy in front is the bottleneck.
 * - Proxies, each routing `tracestate` to those three upstreams over keep-alive connections:
 *   - nginx 1.22, 1 worker: a `map` on `$http_tracestate` whose regexes are core's `laneMatchRegex` (the very
 *     regex of the ALB rule), `proxy_pass` to `upstream` blocks with `keepalive`, and the gateway's two response
 *     headers added with `add_header`;
 *   - the local gateway as it is now (`packages/local/src/gateway.ts`), in its own Node process;
 *   - the local gateway as it was before this work (`bench/gateway/gateway-v0.ts`), in its own Node process;
 *   - a bare Node proxy (`bench/gateway/bare-proxy.ts`): the gateway's own `http` server and keep-alive client
 *     settings and no routing at all, the runtime's limit; the last column is each proxy's CPU per request above
 *     it (issue 11 asks the gateway to stay within 15 %).
 * - Routing is checked first: every header set must reach its lane's upstream through every proxy (the body is
 *   the upstream's lane; the gateways' `x-lanes-gateway-lane` too), else the benchmark fails.
 * - Header sets, rotated per request: realistic `traceparent` and `tracestate` with other vendors' entries, with
 *   and without spaces after commas: baseline (no lane member), `gray`, `feat-x`, and `gray2` (no such lane:
 *   baseline).
 * - Throughput: wrk, 1 thread, a fixed connection count, alternating the proxies in rounds; the round with the
 *   median requests per second of each proxy is reported with its p50/p99. Each proxy gets a warm-up first.
 * - Added latency: an open-loop client in this process sends at a fixed rate (requests scheduled on a clock,
 *   latency counted from the scheduled time, so a stall is not hidden by sending less), to each proxy and to
 *   the upstream directly (same header sets, the upstream of the expected lane); added = proxy − direct.
 * - CPU sharing on 2 cores, pinned with `taskset`: the proxy under test (the nginx worker or the Node process)
 *   has CPU 1 to itself; wrk, the upstream nginx and this process (the open-loop client) share CPU 0. So each
 *   proxy gets one core, which is all a single Node process can use; wrk and the upstreams are on the other.
 * - Profile: each gateway once more under the same wrk load with `node --cpu-prof`; the top frames by self time.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { laneMatchRegex } from '@ecs-lanes/core';
import { startNginx } from './lib/nginx.js';
import { markdownTable, percentile } from './lib/report.js';
import type { Benchmark } from './lib/types.js';
import { runWrk, type WrkResult } from './lib/wrk.js';

const LANES = ['base', 'gray', 'feat-x'] as const;
/** The runtime's limit: `bench/gateway/bare-proxy.ts`. */
const BARE_PROXY = 'bare Node proxy, no routing (runtime limit)';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
/** Header sets and the lane each must reach. */
const HEADER_SETS: readonly { headers: Record<string, string>; lane: string }[] = [
  {
    headers: { traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' },
    lane: 'base',
  },
  {
    headers: {
      traceparent: TRACEPARENT,
      tracestate: 'rojo=00f067aa0ba902b7,ctx=lane:gray,congo=t61rcWkgMzE',
    },
    lane: 'gray',
  },
  {
    headers: {
      traceparent: TRACEPARENT,
      tracestate: 'rojo=00f067aa0ba902b7, ctx=lane:feat-x, congo=t61rcWkgMzE',
    },
    lane: 'feat-x',
  },
  {
    headers: {
      traceparent: TRACEPARENT,
      tracestate: 'rojo=00f067aa0ba902b7, ctx=lane:gray2, congo=t61rcWkgMzE',
    },
    lane: 'base',
  },
];
const ROOT = path.resolve(import.meta.dirname, '..');
const PROXY_CPU = '1';
const LOAD_CPU = '0';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

function upstreamConfig(ports: Record<string, number>): string {
  return LANES.map(
    (lane) => `  server {
    listen 127.0.0.1:${ports[lane]};
    location / { default_type text/plain; add_header x-lanes-lane ${lane}; return 200 "${lane}"; }
  }`,
  ).join('\n');
}

/** nginx with the gateway's routing: core's lane regexes in a `map`, keep-alive upstream blocks. */
function proxyConfig(port: number, ports: Record<string, number>): string {
  const rules = LANES.filter((l) => l !== 'base')
    .map((lane) => `    "~${laneMatchRegex(lane)}" ${lane};`)
    .join('\n');
  const upstreams = LANES.map(
    (lane) => `  upstream up_${lane} { server 127.0.0.1:${ports[lane]}; keepalive 64; }`,
  ).join('\n');
  return `  map $http_tracestate $lane {
    default base;
${rules}
  }
${upstreams}
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://up_$lane;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      add_header x-lanes-service orders;
      add_header x-lanes-gateway-lane $lane;
    }
  }`;
}

/** A gateway variant in its own Node process pinned to the proxy CPU. */
async function startGateway(
  variant: 'current' | 'v0' | 'bare',
  ports: Record<string, number>,
  profileFile?: string,
): Promise<{ port: number; pid: number; startProfile: () => void; stop: () => Promise<void> }> {
  const routes = {
    baseline: 'base',
    lanes: Object.fromEntries(LANES.map((lane) => [lane, [{ id: `${lane}-1`, port: ports[lane] }]])),
  };
  const node = [
    '--import',
    'tsx',
    path.join(ROOT, 'bench/gateway/serve.ts'),
    variant,
    JSON.stringify(routes),
    ...(profileFile ? [profileFile] : []),
  ];
  const child: ChildProcess = spawn('taskset', ['-c', PROXY_CPU, process.execPath, ...node], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway ${variant} exited (${code})`)));
  });
  return {
    port,
    pid: child.pid!,
    startProfile: () => child.kill('SIGUSR2'),
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function get(
  port: number,
  headers: Record<string, string>,
  agent: http.Agent,
): Promise<{ lane: string; routed: string | undefined; status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({
          lane: body,
          routed: res.headers['x-lanes-gateway-lane'] as string | undefined,
          status: res.statusCode ?? 0,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Fails loudly unless every header set reaches its lane's upstream through `port`. */
async function verifyRouting(name: string, port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  try {
    for (const set of HEADER_SETS) {
      for (let i = 0; i < 3; i++) {
        const answer = await get(port, set.headers, agent);
        if (answer.status !== 200 || answer.lane !== set.lane || answer.routed !== set.lane) {
          throw new Error(
            `${name} routed tracestate ${JSON.stringify(set.headers.tracestate)} to ${JSON.stringify(answer)}; expected lane ${set.lane}`,
          );
        }
      }
    }
  } finally {
    agent.destroy();
  }
}

/** Open-loop fixed-rate client: latencies (ms) from each request's scheduled time to the end of its answer. */
async function openLoop(
  portOf: (lane: string) => number,
  rate: number,
  seconds: number,
  routes = true,
): Promise<{ latencies: number[]; errors: number; sent: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const interval = 1000 / rate;
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const scheduled = start + sent * interval;
      const set = HEADER_SETS[sent % HEADER_SETS.length]!;
      sent++;
      pending.push(
        get(portOf(set.lane), set.headers, agent).then(
          (a) => {
            if (a.status === 200 && (!routes || a.lane === set.lane))
              latencies.push(performance.now() - scheduled);
            else errors++;
          },
          () => {
            errors++;
          },
        ),
      );
    }
    await sleep(1);
  }
  await Promise.all(pending);
  agent.destroy();
  return { latencies, errors, sent };
}

interface ProfileFrame {
  readonly frame: string;
  readonly percent: number;
}

/** CPU time (user + system, in clock ticks of 10 ms) used so far by these processes. */
function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  }
  return ticks;
}

/** Top frames by self time of a `.cpuprofile`. */
function topFrames(file: string, count: number): ProfileFrame[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[];
  };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? ` ${url
          .replace(/^file:\/\//, '')
          .replace(`${ROOT}/`, '')
          .replace(/^node:/, '')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + node.hitCount);
    total += node.hitCount;
  }
  const idle = self.get('(idle)') ?? 0;
  return [...self.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, hits]) => ({ frame, percent: (100 * hits) / (total - idle) }));
}

export const gatewayBenchmark: Benchmark = {
  title: 'Local gateway vs nginx 1.22 with the same lane routing',
  run: async ({ quick, log }) => {
    // This process (the open-loop client) shares CPU 0 with wrk and the upstreams.
    spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
    const seconds = quick ? 2 : 8;
    const rounds = quick ? 1 : 5;
    const connections = 50;
    const rate = 500;
    const ports: Record<string, number> = {};
    for (const lane of LANES) ports[lane] = await freePort();
    const proxyPort = await freePort();
    const stops: (() => Promise<void>)[] = [];
    try {
      const upstream = await startNginx(upstreamConfig(ports), 1, LOAD_CPU);
      stops.push(upstream.stop);
      const nginx = await startNginx(proxyConfig(proxyPort, ports), 1, PROXY_CPU);
      stops.push(nginx.stop);
      const v0 = await startGateway('v0', ports);
      stops.push(v0.stop);
      const current = await startGateway('current', ports);
      stops.push(current.stop);
      const bare = await startGateway('bare', ports);
      stops.push(bare.stop);
      const proxies: Record<string, { port: number; pids: () => number[] }> = {
        'nginx 1.22 (1 worker)': { port: proxyPort, pids: nginx.workers },
        [BARE_PROXY]: { port: bare.port, pids: () => [bare.pid] },
        'gateway before (v0)': { port: v0.port, pids: () => [v0.pid] },
        'gateway now': { port: current.port, pids: () => [current.pid] },
      };
      // The bare proxy does not route (everything goes to the baseline): it is checked to answer, not to route.
      for (const [name, { port }] of Object.entries(proxies))
        if (name !== BARE_PROXY) await verifyRouting(name, port);
      log('routing verified: every header set reaches its lane through every routing proxy');
      const loadBefore = os.loadavg()[0]!;

      const headerSets = HEADER_SETS.map((s) => s.headers);
      const wrk = (port: number, secs: number) =>
        runWrk({ url: `http://127.0.0.1:${port}/`, connections, seconds: secs, headerSets, cpus: LOAD_CPU });
      const direct = await wrk(ports.base!, seconds);
      log(`direct to the upstream: ${direct.requestsPerSecond.toFixed(0)} req/s`);
      for (const [name, { port }] of Object.entries(proxies)) {
        log(`warm-up ${name}`);
        await wrk(port, quick ? 1 : 3);
      }
      type Sample = WrkResult & { cpuUsPerRequest: number };
      const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(proxies).map((k) => [k, []]));
      for (let r = 0; r < rounds; r++) {
        for (const [name, { port, pids }] of Object.entries(proxies)) {
          const before = cpuTicks(pids());
          const result = await wrk(port, seconds);
          const ticks = cpuTicks(pids()) - before;
          if (result.non2xx > 0 || result.errors > 0) {
            throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} socket errors`);
          }
          const cpuUsPerRequest = (ticks * 10_000) / (result.requestsPerSecond * seconds);
          log(
            `round ${r + 1} ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, ${cpuUsPerRequest.toFixed(0)} µs CPU per request`,
          );
          samples[name]!.push({ ...result, cpuUsPerRequest });
        }
      }
      const median = (list: Sample[]) =>
        [...list].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(list.length / 2)]!;
      const medianCpu = (list: Sample[]) =>
        list.map((x) => x.cpuUsPerRequest).sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
      const best = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
      const nginxRps = best['nginx 1.22 (1 worker)']!.requestsPerSecond;
      const nginxCpu = medianCpu(samples['nginx 1.22 (1 worker)']!);
      const bareCpu = medianCpu(samples[BARE_PROXY]!);
      const throughput = markdownTable(
        [
          'proxy',
          'requests/s (median round)',
          'p50 ms',
          'p99 ms',
          'rounds (req/s)',
          'vs nginx (req/s)',
          'proxy CPU µs per request (median)',
          'vs nginx (CPU)',
          'vs bare Node proxy (CPU)',
        ],
        [
          [
            'none: wrk → upstream directly (reference)',
            direct.requestsPerSecond.toFixed(0),
            direct.p50ms.toFixed(2),
            direct.p99ms.toFixed(2),
            '-',
            '-',
            '-',
            '-',
            '-',
          ],
          ...Object.entries(best).map(([name, r]) => [
            name,
            r.requestsPerSecond.toFixed(0),
            r.p50ms.toFixed(2),
            r.p99ms.toFixed(2),
            samples[name]!.map((x) => x.requestsPerSecond.toFixed(0)).join(', '),
            `${((100 * r.requestsPerSecond) / nginxRps).toFixed(0)} %`,
            medianCpu(samples[name]!).toFixed(0),
            `${(medianCpu(samples[name]!) / nginxCpu).toFixed(1)} ×`,
            `${((100 * medianCpu(samples[name]!)) / bareCpu - 100).toFixed(0)} %`,
          ]),
        ],
      );

      log(`added latency at ${rate} req/s`);
      const openSeconds = quick ? 2 : 10;
      const openRounds = quick ? 1 : 5;
      // An answer counts when it is a 200 from the lane asked for; the bare proxy does not route, so from it any 200 counts.
      const targets: [string, (lane: string) => number, boolean][] = [
        ['none: upstream directly', (lane) => ports[lane]!, true],
        ...Object.entries(proxies).map(([name, { port }]): [string, (lane: string) => number, boolean] => [
          name,
          () => port,
          name !== BARE_PROXY,
        ]),
      ];
      const pooled = targets.map(() => ({ latencies: [] as number[], errors: 0, sent: 0 }));
      for (const [, portOf, routes] of targets) await openLoop(portOf, rate, 1, routes); // warm-up
      for (let r = 0; r < openRounds; r++) {
        for (const [i, [, portOf, routes]] of targets.entries()) {
          const run = await openLoop(portOf, rate, openSeconds / openRounds, routes);
          pooled[i]!.latencies.push(...run.latencies);
          pooled[i]!.errors += run.errors;
          pooled[i]!.sent += run.sent;
        }
      }
      const latency = targets.map(
        ([name], i): [string, { p50: number; p99: number; errors: number; sent: number }] => {
          const sorted = pooled[i]!.latencies.sort((a, b) => a - b);
          return [
            name,
            {
              p50: percentile(sorted, 50),
              p99: percentile(sorted, 99),
              errors: pooled[i]!.errors,
              sent: pooled[i]!.sent,
            },
          ];
        },
      );
      const directLatency = latency[0]![1];
      const added = markdownTable(
        ['target', 'requests', 'errors', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms'],
        latency.map(([name, l], i) => [
          name,
          l.sent,
          l.errors,
          l.p50.toFixed(3),
          l.p99.toFixed(3),
          i === 0 ? '-' : (l.p50 - directLatency.p50).toFixed(3),
          i === 0 ? '-' : (l.p99 - directLatency.p99).toFixed(3),
        ]),
      );
      const loadAfter = os.loadavg()[0]!;

      log('profiles under wrk load');
      const profiles: string[] = [];
      for (const variant of ['v0', 'current'] as const) {
        const file = path.join(
          mkdtempSync(path.join(tmpdir(), `lanes-prof-${variant}-`)),
          'gateway.cpuprofile',
        );
        const g = await startGateway(variant, ports, file);
        await wrk(g.port, quick ? 1 : 3); // warm-up, not profiled
        g.startProfile();
        await wrk(g.port, quick ? 2 : 5);
        await g.stop();
        const frames = topFrames(file, 15);
        profiles.push(
          `Gateway ${variant === 'v0' ? 'before (v0)' : 'now'}, top frames by self time (% of non-idle samples):\n\n${markdownTable(
            ['frame', 'self %'],
            frames.map((f) => [`\`${f.frame}\``, f.percent.toFixed(1)]),
          )}`,
        );
      }

      return {
        markdown: [
          `Throughput: wrk, 1 thread, ${connections} connections, ${seconds} s per round, ${rounds} alternating rounds; header sets rotated per request. Load average (1 min) of the machine: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.`,
          throughput,
          `Added latency: open loop at ${rate} req/s, ${openSeconds} s per target in ${openRounds} alternating rounds (latency from the scheduled send time).`,
          added,
          ...profiles,
        ].join('\n\n'),
      };
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    }
  },
};
