/**
 * `lanes demo`: the local target's main job, end to end, with real processes and real HTTP on 127.0.0.1.
 *
 * 1. Prepares its own project under `{root}/.lanes/demo/`: one git App repo per example service (the code of
 *    `examples/services/<name>` committed on `main`), a `gray` branch of orders with another version string, and
 *    a lanes.yaml pointing at them (only the local environment).
 * 2. Starts the baseline of every service, deploys lane `gray` of orders only.
 * 3. Sends real requests through web's gateway and shows the route each took: with `tracestate: ctx=lane:gray`
 *    it must go web(base) → orders(gray) → inventory(base); without it, it stays on the baseline.
 * 4. Ends with `lanes trace` of the entry service in the lane: every hop's routing decision (docs/trace.md).
 * 5. Stops everything (or keeps it running with `keep`).
 *
 * Run again, it reuses the demo project it finds (its App repos keep every branch and commit made in them, and a
 * demo kept running goes on running); nothing the user made is deleted. Options are checked before anything is done.
 *
 * The demo's App repos run on plain Node (`node server.mjs`, what their Dockerfile runs) and find `@ecs-lanes/sdk`
 * through a link in the demo project's `node_modules`, so the demo works from an installed CLI as in the checkout.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type LanesConfig,
  type LocalEnvironmentConfig,
  laneRequestHeaders,
  loadConfigOrThrow,
  type ProgressListener,
  renderTrace,
  UserError,
} from '@ecs-lanes/core';
import { findSupervisor } from './client.js';
import { createLocalEnvironment, type LocalEnvironment, type LocalTargetOptions } from './environment.js';
import { createLocalConfigStore } from './lane-config.js';
import { localPaths } from './paths.js';

const exec = promisify(execFile);

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The example project: its lanes.yaml, already loaded. */
  readonly config: LanesConfig;
  /** Directory of the example lanes.yaml (the services' code is at `appRepo.localPath` below it). */
  readonly root: string;
  /** Where the demo project goes. @default `{root}/.lanes/demo` */
  readonly dir?: string;
  /** Port range start. @default the example's local environment's basePort */
  readonly basePort?: number;
  /** Leave everything running. @default false */
  readonly keep?: boolean;
  /** The service that gets a lane. @default 'orders' */
  readonly service?: string;
  /** The lane. @default 'gray' */
  readonly lane?: string;
  /** Results (stdout). */
  readonly out: (line: string) => void;
  /** Progress (stderr). */
  readonly progress?: ProgressListener;
  /** Supervisor tuning, for tests. */
  readonly supervisor?: LocalTargetOptions['supervisor'];
}

/** One hop of a route, as the services report it. */
export interface DemoHop {
  readonly service: string;
  readonly lane: string;
  readonly version: string;
  /** The `FEATURE_FLAG` the service runs with (its lane's configuration), when it has one. */
  readonly featureFlag?: string;
}

/** What the demo saw. */
export interface DemoResult {
  readonly ok: boolean;
  readonly withLane: readonly DemoHop[];
  readonly withoutLane: readonly DemoHop[];
  readonly environment: LocalEnvironment;
  readonly dir: string;
}

interface Answer {
  service: string;
  lane: string;
  version: string;
  featureFlag?: string;
  calls?: Answer[];
  error?: string;
}

/** The route of an answer: the chain of first calls. */
export function routeOf(answer: Answer): DemoHop[] {
  const hops: DemoHop[] = [];
  let at: Answer | undefined = answer;
  while (at) {
    hops.push({
      service: at.service,
      lane: at.lane ?? '?',
      version: at.version ?? at.error ?? '?',
      ...(at.featureFlag === undefined ? {} : { featureFlag: at.featureFlag }),
    });
    at = at.calls?.[0];
  }
  return hops;
}

/** `web(base 1.0.0) -> orders(gray 1.1.0-gray FEATURE_FLAG=on) -> ...` */
export function formatRoute(hops: readonly DemoHop[]): string {
  return hops
    .map(
      (h) =>
        `${h.service}(${h.lane} ${h.version}${h.featureFlag === undefined ? '' : ` FEATURE_FLAG=${h.featureFlag}`})`,
    )
    .join(' -> ');
}

const GIT_IDENTITY = [
  '-c',
  'user.name=ecs-lanes demo',
  '-c',
  'user.email=demo@ecs-lanes.invalid',
  '-c',
  'commit.gpgsign=false',
];

async function git(cwd: string, ...args: string[]): Promise<void> {
  await exec('git', [...GIT_IDENTITY, ...args], { cwd });
}

/** The first local environment of a config. */
export function firstLocalEnvironment(config: LanesConfig): LocalEnvironmentConfig {
  const env = config.environments.find((e): e is LocalEnvironmentConfig => e.target === 'local');
  if (!env) throw new UserError('the configuration declares no environment with target: local');
  return env;
}

/**
 * Writes the demo project into `dir`: App repos and lanes.yaml. Returns its config.
 */
export async function prepareDemoProject(options: {
  readonly config: LanesConfig;
  readonly root: string;
  readonly dir: string;
  readonly basePort: number;
  readonly service: string;
  readonly lane: string;
}): Promise<LanesConfig> {
  const { config, root, dir } = options;
  const env = firstLocalEnvironment(config);
  await mkdir(path.join(dir, 'repos'), { recursive: true });
  for (const service of config.services) {
    const from = path.resolve(root, service.appRepo.localPath ?? service.name);
    const repo = path.join(dir, 'repos', service.name);
    // An App repo that is already there is the user's (they may have committed in it): kept as it is.
    if (existsSync(path.join(repo, '.git'))) continue;
    await rm(repo, { recursive: true, force: true });
    await cp(from, repo, {
      recursive: true,
      filter: (src) => !/[/\\](node_modules|\.lanes|\.git)([/\\]|$)/.test(src.slice(from.length)),
    });
    await exec('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', `${service.name}: example service`);
    if (service.name === options.service) {
      await git(repo, 'checkout', '-q', '-b', options.lane);
      const server = path.join(repo, 'server.mjs');
      const code = await readFile(server, 'utf8');
      const changed = code.replace(/const VERSION = '([^']*)'/, `const VERSION = '$1-${options.lane}'`);
      if (changed === code)
        throw new Error(`the example ${service.name}/server.mjs has no "const VERSION = '...'"`);
      await writeFile(server, changed);
      await git(repo, 'commit', '-q', '-am', `${service.name}: version for lane ${options.lane}`);
      await git(repo, 'checkout', '-q', 'main');
    }
  }
  const demoConfig = {
    project: config.project,
    infraRepo: config.infraRepo,
    environments: [
      { name: env.name, target: 'local', baselineLane: env.baselineLane, basePort: options.basePort },
    ],
    services: config.services.map((s) => ({
      ...s,
      appRepo: { ...s.appRepo, branch: 'main', localPath: `repos/${s.name}` },
    })),
  };
  await linkSdk(dir);
  // JSON is YAML: the file stays readable by `lanes -c` and needs no YAML writer.
  const text = `# Written by "lanes demo"; the App repos are the git repositories under repos/.\n${JSON.stringify(demoConfig, null, 2)}\n`;
  await writeFile(path.join(dir, 'lanes.yaml'), text);
  return loadConfigOrThrow(text, path.join(dir, 'lanes.yaml'));
}

/**
 * Makes `@ecs-lanes/sdk` resolvable from the demo's App repos, as `npm install` in each would: a link at
 * `{dir}/node_modules/@ecs-lanes/sdk` to the SDK this package depends on, found by Node's lookup through parent
 * directories. Without it the demo would only work inside the ecs-lanes checkout.
 */
async function linkSdk(dir: string): Promise<void> {
  const sdk = path.dirname(createRequire(import.meta.url).resolve('@ecs-lanes/sdk/package.json'));
  const link = path.join(dir, 'node_modules', '@ecs-lanes', 'sdk');
  await mkdir(path.dirname(link), { recursive: true });
  await rm(link, { recursive: true, force: true });
  await symlink(sdk, link, 'dir');
}

async function ask(url: string, lane: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = lane ? { ...laneRequestHeaders(lane, randomBytes) } : {};
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as Answer;
}

/** Checks a base port: a whole number from 1024 to 65535 minus the ports the demo needs. @throws UserError */
export function checkBasePort(port: number): number {
  if (!Number.isInteger(port) || port < 1024 || port > 65_000) {
    throw new UserError(`--base-port must be a whole number from 1024 to 65000, not "${String(port)}"`, {
      exitCode: 2,
    });
  }
  return port;
}

/** Runs the demo; see the module doc. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { out } = options;
  const service = options.service ?? 'orders';
  const lane = options.lane ?? 'gray';
  const env = firstLocalEnvironment(options.config);
  const dir = options.dir ?? path.join(options.root, '.lanes', 'demo');
  const basePort = checkBasePort(options.basePort ?? env.basePort);
  // A demo project already there (kept running or not) is reused as it is, on the ports it has.
  const previousConfig = await readFile(path.join(dir, 'lanes.yaml'), 'utf8')
    .then((text) => loadConfigOrThrow(text))
    .catch(() => undefined);
  const previousPort = previousConfig ? firstLocalEnvironment(previousConfig).basePort : undefined;
  if (previousPort !== undefined && options.basePort !== undefined && previousPort !== basePort) {
    throw new UserError(
      `the demo at ${dir} uses base port ${previousPort}; run it without --base-port, or stop it (lanes down -c ${path.join(dir, 'lanes.yaml')}) and move or remove ${dir} to start a new one`,
    );
  }
  // A demo kept running (--keep) goes on running after this one.
  const keep =
    (options.keep ?? false) ||
    (previousConfig !== undefined &&
      (await findSupervisor(localPaths(dir, firstLocalEnvironment(previousConfig).name), env.name)) !==
        undefined);
  if (previousConfig) {
    out(`Reusing the demo at ${dir}: its App repos keep your branches and commits.`);
  }

  out(
    `== 1. App repos: one git repository per service, and a "${lane}" branch of ${service} with another version`,
  );
  const config = await prepareDemoProject({
    config: options.config,
    root: options.root,
    dir,
    basePort: previousPort ?? basePort,
    service,
    lane,
  });
  for (const s of config.services) out(`   ${s.name.padEnd(10)} ${path.join(dir, 'repos', s.name)}`);
  const localEnv = firstLocalEnvironment(config);
  // The lane's configuration, as SSM Parameter Store holds it on AWS: a service-wide value and a lane override.
  const store = createLocalConfigStore({ config, root: dir, env: localEnv.name });
  out('');
  out(
    `   lanes config set ${service} FEATURE_FLAG=off --env ${localEnv.name}            (every lane of ${service})`,
  );
  await store.change(
    { service, env: localEnv.name },
    { kind: 'set', key: 'FEATURE_FLAG', value: 'off', secure: false },
    false,
  );
  out(
    `   lanes config set ${service} FEATURE_FLAG=on --env ${localEnv.name} --lane ${lane}  (lane ${lane} only)`,
  );
  await store.change(
    { service, env: localEnv.name, lane },
    { kind: 'set', key: 'FEATURE_FLAG', value: 'on', secure: false },
    false,
  );
  const environment = createLocalEnvironment({
    config,
    env: localEnv,
    root: dir,
    ...(options.supervisor ? { supervisor: options.supervisor } : {}),
  });
  const ok = await (async () => {
    out('');
    out(`== 2. lanes up: the baseline lane "${localEnv.baselineLane}" of every service`);
    await environment.up(options.progress);
    out('');
    out(`== 3. lanes deploy ${service} --env ${localEnv.name} --lane ${lane} --branch ${lane}`);
    const deployed = await environment.deploy(
      { service, env: localEnv.name, lane, branch: lane },
      options.progress,
    );
    out(`   ${service}/${lane} serves ${deployed.version}`);
    out('');
    out('   SERVICE    LANE   VERSION       STATE    URL');
    for (const l of await environment.list()) {
      out(
        `   ${l.service.padEnd(10)} ${l.lane.padEnd(6)} ${(l.version ?? '').padEnd(13)} ${l.state.padEnd(8)} ${l.url ?? ''}`,
      );
    }
    const entry = config.services[0]!.name;
    const url = `${environment.gatewayUrl(entry)}/`;
    out('');
    out(`== 4. A request with "tracestate: ctx=lane:${lane}" to ${entry}'s gateway (${url})`);
    const inLane = routeOf(await ask(url, lane));
    out(`   ${formatRoute(inLane)}`);
    out('');
    out(`== 5. The same request without the header`);
    const base = routeOf(await ask(url, undefined));
    out(`   ${formatRoute(base)}`);
    const flagOf = (hops: readonly DemoHop[]) => hops.find((h) => h.service === service)?.featureFlag;
    const expectedInLane =
      inLane.every((h) => h.lane === (h.service === service ? lane : localEnv.baselineLane)) &&
      flagOf(inLane) === 'on';
    const expectedBase = base.every((h) => h.lane === localEnv.baselineLane) && flagOf(base) === 'off';
    out('');
    out(`== 6. lanes trace ${entry} --env ${localEnv.name} --lane ${lane}: every hop's routing decision`);
    const traced = await environment.trace({ service: entry, env: localEnv.name, lane }, options.progress);
    for (const line of renderTrace(traced)) out(`   ${line}`);
    const allOk = expectedInLane && expectedBase && traced.ok;
    out('');
    out(
      allOk
        ? `== OK: lane ${lane} reached ${service}'s ${lane} instance (with its own FEATURE_FLAG=on) and fell back to ${localEnv.baselineLane} at every other hop; no header stayed on ${localEnv.baselineLane} (FEATURE_FLAG=off).`
        : `== NOT OK: the routes above are not the expected ones.`,
    );
    return { ok: allOk, inLane, base };
  })().catch(async (error) => {
    if (!keep) await environment.down().catch(() => {});
    throw error;
  });

  if (keep) {
    const entry = config.services[0]!.name;
    out('');
    out('The local environment keeps running. Try:');
    out(`   curl -s ${environment.gatewayUrl(entry)}/ -H 'tracestate: ctx=lane:${lane}'`);
    out(`   curl -s ${environment.gatewayUrl(entry)}/`);
    for (const s of config.services) out(`   ${s.name} gateway: ${environment.gatewayUrl(s.name)}`);
    out(
      `   registry: ${environment.registryUrl}/v1/discover?namespace=${localEnv.name}.local&service=${service}`,
    );
    const c = path.relative(process.cwd(), path.join(dir, 'lanes.yaml')) || 'lanes.yaml';
    out(`   npx lanes ls -c ${c} --env ${localEnv.name}`);
    out(`   npx lanes logs ${service} --lane ${lane} -c ${c} --env ${localEnv.name}`);
    out(`   npx lanes down -c ${c} --env ${localEnv.name}      # stops it`);
  } else {
    await environment.down(options.progress);
    out('');
    out('Stopped every process (run with --keep to leave them running).');
  }
  return { ok: ok.ok, withLane: ok.inLane, withoutLane: ok.base, environment, dir };
}
