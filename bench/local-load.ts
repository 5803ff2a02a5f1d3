/**
 * The local target under load while it deploys (issue 13): throughput and failures through a service's gateway
 * with 200 requests in flight, while the baseline and then a lane are redeployed.
 *
 * Method:
 * - A demo project (the three example services as git App repos, `orders` with a `gray` lane) in its own directory
 *   and ports; the baseline of every service up and lane `gray` of orders deployed before anything is measured.
 * - Load: this process keeps 200 requests in flight against the orders gateway on 127.0.0.1 over keep-alive
 *   connections (200 sockets), half without a lane (the baseline) and half with `ctx=lane:gray` in `tracestate` (with a
 *   `traceparent`), for a fixed window of 10 s per scenario (bounded: it stops by itself).
 * - Scenarios, one after the other: steady (no deploy: the baseline of this benchmark, same run), a redeploy of the
 *   baseline (a new commit on `main`), a redeploy of the lane (a new commit on `gray`); each deploy starts 1 s into its
 *   window through the in-process API (`LocalEnvironment.deploy`, what `lanes deploy` calls), and the window lasts at
 *   least until 1 s after the deploy returned.
 * - Counted per scenario: requests answered, requests/s, p50/p99 latency, failed requests (a socket error or any status
 *   but 200) and requests answered by the wrong lane (the answer names the instance's lane). Zero-downtime means both
 *   counts are 0; the e2e tests prove that; this benchmark records the throughput it holds at.
 * - The load generator, the supervisor, the gateways and the instances share the machine's 2 cores.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { withLane } from '@ecs-lanes/core';
import { cleanup, demoEnvironment, REPO } from '../packages/local/src/e2e-helpers.js';
import type { LocalEnvironment } from '../packages/local/src/environment.js';
import { markdownTable } from './lib/report.js';
import type { Benchmark } from './lib/types.js';

const exec = promisify(execFile);
const BASE_PORT = 7680;
const ORDERS_PORT = BASE_PORT + 3;
const IN_FLIGHT = 200;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface Window {
  ok: number;
  failed: number;
  wrongLane: number;
  latencies: number[];
  seconds: number;
}

/** Sends one request; resolves with the lane that answered, or undefined for a failure. */
function send(agent: http.Agent, lane: string | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = lane
      ? { traceparent: TRACEPARENT, tracestate: withLane('rojo=00f067aa0ba902b7', lane) }
      : {};
    const request = http.get(
      { host: '127.0.0.1', port: ORDERS_PORT, path: '/', agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          if (response.statusCode !== 200) return resolve(undefined);
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { lane: string }).lane);
          } catch {
            resolve(undefined);
          }
        });
        response.on('error', () => resolve(undefined));
      },
    );
    request.on('error', () => resolve(undefined));
  });
}

/** Keeps {@link IN_FLIGHT} requests going until `until` resolves and `minMs` passed. */
async function load(until: Promise<unknown>, minMs: number): Promise<Window> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const window: Window = { ok: 0, failed: 0, wrongLane: 0, latencies: [], seconds: 0 };
  let done = false;
  const start = performance.now();
  void Promise.all([until.catch(() => {}), new Promise((r) => setTimeout(r, minMs))]).then(() => {
    done = true;
  });
  let n = 0;
  const worker = async () => {
    while (!done) {
      const lane = n++ % 2 === 0 ? undefined : 'gray';
      const sent = performance.now();
      const answered = await send(agent, lane);
      if (answered === undefined) window.failed++;
      else if (answered !== (lane ?? 'base')) window.wrongLane++;
      else {
        window.ok++;
        window.latencies.push(performance.now() - sent);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  window.seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return window;
}

/** A new commit of orders on `branch` whose answers carry `version`. */
async function commit(repo: string, branch: string, version: string): Promise<void> {
  await exec('git', ['checkout', '-q', branch], { cwd: repo });
  const server = path.join(repo, 'server.mjs');
  await writeFile(
    server,
    (await readFile(server, 'utf8')).replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`),
  );
  await exec('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', `orders ${version}`], {
    cwd: repo,
  });
  await exec('git', ['checkout', '-q', 'main'], { cwd: repo });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const localLoadBenchmark: Benchmark = {
  title: 'The local target under load while it deploys (200 requests in flight)',
  run: async ({ quick, log }) => {
    const windowMs = quick ? 3_000 : 10_000;
    const dir = path.join(REPO, '.lanes', 'bench', `local-load-${process.pid}`);
    let env: LocalEnvironment | undefined;
    try {
      env = await demoEnvironment(dir, BASE_PORT);
      log('starting the baseline of every service and lane gray of orders');
      await env.up();
      await env.deploy({ service: 'orders', lane: 'gray', env: 'local', branch: 'gray' });
      const repo = path.join(dir, 'repos', 'orders');
      const loadBefore = os.loadavg()[0]!;
      await load(Promise.resolve(), 1_000); // warm-up
      const deployLater = (lane: string, branch: string) =>
        new Promise((r) => setTimeout(r, 1_000)).then(() =>
          env!.deploy({ service: 'orders', lane, env: 'local', branch }),
        );
      const rows: [string, Window][] = [];
      log('steady: no deploy');
      rows.push([
        'steady (no deploy): the baseline of this benchmark',
        await load(Promise.resolve(), windowMs),
      ]);
      log('redeploy of the baseline');
      await commit(repo, 'main', '1.1.0');
      rows.push([
        'the baseline redeployed (a new commit on main)',
        await load(deployLater('base', 'main'), windowMs),
      ]);
      log('redeploy of lane gray');
      await commit(repo, 'gray', '2.1.0');
      rows.push([
        'lane gray redeployed (a new commit on gray)',
        await load(deployLater('gray', 'gray'), windowMs),
      ]);
      const loadAfter = os.loadavg()[0]!;
      return {
        markdown: [
          `${IN_FLIGHT} requests in flight through the orders gateway, half to the baseline and half to lane gray; ` +
            `${windowMs / 1000} s per scenario at least. Load average (1 min) of the machine: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after.`,
          markdownTable(
            ['scenario', 'answered', 'requests/s', 'p50 ms', 'p99 ms', 'failed', 'wrong lane'],
            rows.map(([name, w]) => {
              const sorted = [...w.latencies].sort((a, b) => a - b);
              return [
                name,
                String(w.ok),
                ((w.ok + w.failed + w.wrongLane) / w.seconds).toFixed(0),
                percentile(sorted, 50).toFixed(1),
                percentile(sorted, 99).toFixed(1),
                String(w.failed),
                String(w.wrongLane),
              ];
            }),
          ),
        ].join('\n\n'),
      };
    } finally {
      await cleanup(env, dir);
    }
  },
};
