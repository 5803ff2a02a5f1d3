/**
 * Local lane spin-up and redeploy-to-switch (issue 7, item 3).
 *
 * Method:
 * - A demo project (the three example services as git App repos, `orders` with a `gray` branch) in its own
 *   directory under `.lanes/bench/` of the checkout, on its own ports; the baseline of every service is up
 *   (`up`, in this process) before anything is timed.
 * - Spin-up: `lanes deploy orders --env local --lane gray --branch gray` as a CLI process (`node
 *   packages/cli/bin/lanes.js`, what a user runs), timed from the spawn to the first request that the new lane
 *   answers through the orders gateway (this process polls the gateway every 10 ms with `ctx=lane:gray`; the
 *   answer's `lane` is the instance's own). The lane is removed (`lanes rm -y`) before every repetition, and
 *   `rm` deletes the lane's worktree, so every spin-up includes `git worktree add` of the branch's commit; the
 *   example services have no `local.build` (they run `node server.mjs`, the container's command), so nothing is
 *   built. Then the instance's start-up (Node, the built `@ecs-lanes/sdk` and the service), the first health check
 *   (every 100 ms until the first pass), the route switch, and the CLI's own start-up, which the same run measures alone
 *   (`lanes ls`) and which the in-process API (`LocalEnvironment.deploy`, the rest of the CLI) leaves out.
 * - Redeploy-to-switch: a new commit on `gray` (its `VERSION` changed), deployed with the same command; timed
 *   until the gateway answers from the new version. The command itself returns later: it waits `drainMs`
 *   (2.5 s) and for requests in flight before stopping the old instance; that time is shown too.
 * - Several repetitions; median, min and max. Nothing else is timed in between; the machine is shared with
 *   whatever else runs on it (its load average is shown).
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { withLane } from '@ecs-lanes/core';
import { cleanup, demoEnvironment, REPO } from '../packages/local/src/e2e-helpers.js';
import type { LocalEnvironment } from '../packages/local/src/environment.js';
import { markdownTable } from './lib/report.js';
import type { Benchmark } from './lib/types.js';

const exec = promisify(execFile);
const BASE_PORT = 7640;
const ORDERS = `http://127.0.0.1:${BASE_PORT + 3}/`;
const CLI = path.join(REPO, 'packages/cli/bin/lanes.js');
/** Between two polls of the gateway: often enough to time to ±10 ms, seldom enough not to load the 2 cores measured. */
const POLL_MS = 10;

/** Runs the CLI; resolves with its exit time (ms after `start`). */
function cli(args: readonly string[], config: string, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '-c', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`lanes ${args.join(' ')}: ${err}`)),
    );
  });
}

/** Polls the orders gateway in lane gray until `accept` holds; resolves with the time (ms after `start`). */
async function firstAnswer(
  accept: (answer: { lane: string; version: string }) => boolean,
  start: number,
  timeoutMs = 60_000,
): Promise<number> {
  const headers = { tracestate: withLane('rojo=00f067aa0ba902b7', 'gray') };
  for (;;) {
    try {
      const response = await fetch(ORDERS, { headers, signal: AbortSignal.timeout(2_000) });
      if (response.ok && accept((await response.json()) as { lane: string; version: string })) {
        return performance.now() - start;
      }
    } catch {
      // not yet
    }
    if (performance.now() - start > timeoutMs) throw new Error('the lane did not answer in time');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function stats(values: readonly number[]): [string, string, string] {
  const sorted = [...values].sort((a, b) => a - b);
  const median =
    sorted.length % 2 === 1
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return [median.toFixed(0), sorted[0]!.toFixed(0), sorted[sorted.length - 1]!.toFixed(0)];
}

export const spinupBenchmark: Benchmark = {
  title: 'Local lane spin-up and redeploy-to-switch',
  run: async ({ quick, log }) => {
    const repetitions = quick ? 2 : 7;
    const dir = path.join(REPO, '.lanes', 'bench', `spinup-${process.pid}`);
    const config = path.join(dir, 'lanes.yaml');
    let env: LocalEnvironment | undefined;
    try {
      env = await demoEnvironment(dir, BASE_PORT);
      log('starting the baseline of every service');
      await env.up();
      const load = os.loadavg()[0]!;

      const cliStart: number[] = [];
      const cliSpinup: number[] = [];
      const cliReturn: number[] = [];
      const apiSpinup: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        let start = performance.now();
        cliStart.push(await cli(['ls', '--env', 'local'], config, start));

        start = performance.now();
        const returned = cli(
          ['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--branch', 'gray'],
          config,
          start,
        );
        cliSpinup.push(await firstAnswer((a) => a.lane === 'gray', start));
        cliReturn.push(await returned);
        await cli(['rm', 'orders', '--env', 'local', '--lane', 'gray', '-y'], config, performance.now());

        start = performance.now();
        const deployed = env.deploy({ service: 'orders', lane: 'gray', env: 'local', branch: 'gray' });
        apiSpinup.push(await firstAnswer((a) => a.lane === 'gray', start));
        await deployed;
        await env.remove({ service: 'orders', lane: 'gray', env: 'local' });
        log(
          `spin-up ${r + 1}: CLI ${cliSpinup.at(-1)!.toFixed(0)} ms, API ${apiSpinup.at(-1)!.toFixed(0)} ms`,
        );
      }

      log('redeploy-to-switch');
      await cli(['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--branch', 'gray'], config, 0);
      const repo = path.join(dir, 'repos', 'orders');
      const server = path.join(repo, 'server.mjs');
      const switched: number[] = [];
      const redeployReturn: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        const version = `2.0.${r}`;
        await exec('git', ['checkout', '-q', 'gray'], { cwd: repo });
        await writeFile(
          server,
          (await readFile(server, 'utf8')).replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`),
        );
        await exec(
          'git',
          ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qam', `orders ${version}`],
          {
            cwd: repo,
          },
        );
        await exec('git', ['checkout', '-q', 'main'], { cwd: repo });
        const start = performance.now();
        const returned = cli(
          ['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--branch', 'gray'],
          config,
          start,
        );
        switched.push(await firstAnswer((a) => a.version === version, start));
        redeployReturn.push(await returned);
        log(`redeploy ${r + 1}: switched after ${switched.at(-1)!.toFixed(0)} ms`);
      }

      const header = ['what (ms)', 'median', 'min', 'max'];
      return {
        markdown: [
          `${repetitions} repetitions each; load average (1 min) of the machine at the start: ${load.toFixed(1)}.`,
          markdownTable(header, [
            ['`lanes deploy` of a new lane (CLI process) → first answer from the lane', ...stats(cliSpinup)],
            ['... the same command returned', ...stats(cliReturn)],
            ['`LocalEnvironment.deploy` (in-process API) → first answer from the lane', ...stats(apiSpinup)],
            ['reference: a CLI process alone (`lanes ls`)', ...stats(cliStart)],
            [
              '`lanes deploy` of a new commit to a running lane → first answer from the new version',
              ...stats(switched),
            ],
            ['... the same command returned (drain 2.5 s, old instance stopped)', ...stats(redeployReturn)],
          ]),
        ].join('\n\n'),
      };
    } finally {
      await cleanup(env, dir);
    }
  },
};
