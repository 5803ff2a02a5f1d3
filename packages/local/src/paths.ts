/**
 * Where the local target keeps things, all under `{root}/.lanes/` (root: the directory of lanes.yaml), and the
 * ports it uses, all derived from the environment's `basePort`. A config file of another name in the same
 * directory (`lanes -c lanes.staging.yaml`) keeps its own state under `.lanes/configs/{file name}/`, so two
 * configs of one directory never share state files, locks or worktrees.
 */
import path from 'node:path';
import type { LanesConfig, LocalEnvironmentConfig } from '@ecs-lanes/core';

/** The files of one local environment. */
export interface LocalPaths {
  readonly root: string;
  readonly dir: string;
  /** Desired lanes and their running instances: `.lanes/state/{env}.json`. */
  readonly stateFile: string;
  /** Lock of the state file. */
  readonly stateLock: string;
  /** The running supervisor: pid and control port. `.lanes/run/{env}.daemon.json`. */
  readonly daemonFile: string;
  /** Held while a command checks for / starts the supervisor. */
  readonly daemonStartLock: string;
  /** The supervisor's own log. */
  readonly daemonLog: string;
  /** Per-lane logs: `.lanes/logs/{env}/{service}/{lane}.log`. */
  readonly logsDir: string;
  /** Per-lane deploy locks. */
  readonly locksDir: string;
  /** Git worktrees of App repos, one per (service, lane, commit). */
  readonly worktreesDir: string;
}

/** The config file whose state lives directly in `{root}/.lanes/`. */
export const DEFAULT_CONFIG_FILE_NAME = 'lanes.yaml';

/**
 * The directory of the local state of the config file `configFile` in `root`: `{root}/.lanes/` for lanes.yaml,
 * `{root}/.lanes/configs/{file name}/` for any other name.
 * @param configFile the config file's path or name @default lanes.yaml
 */
export function localStateDir(root: string, configFile: string = DEFAULT_CONFIG_FILE_NAME): string {
  const name = path.basename(configFile);
  return name === DEFAULT_CONFIG_FILE_NAME
    ? path.join(root, '.lanes')
    : path.join(root, '.lanes', 'configs', name);
}

/**
 * Paths of environment `env` of the project at `root`.
 * @param configFile the config file's path or name (see {@link localStateDir}) @default lanes.yaml
 */
export function localPaths(root: string, env: string, configFile?: string): LocalPaths {
  const dir = localStateDir(root, configFile);
  return {
    root,
    dir,
    stateFile: path.join(dir, 'state', `${env}.json`),
    stateLock: path.join(dir, 'locks', `${env}.state.lock`),
    daemonFile: path.join(dir, 'run', `${env}.daemon.json`),
    daemonStartLock: path.join(dir, 'locks', `${env}.daemon.lock`),
    daemonLog: path.join(dir, 'logs', env, 'supervisor.log'),
    logsDir: path.join(dir, 'logs', env),
    locksDir: path.join(dir, 'locks'),
    worktreesDir: path.join(dir, 'worktrees', env),
  };
}

/** The log file of one lane. */
export function laneLogFile(paths: LocalPaths, service: string, lane: string): string {
  return path.join(paths.logsDir, service, `${lane}.log`);
}

/** The deploy lock of one lane. */
export function laneLockFile(paths: LocalPaths, service: string, lane: string): string {
  return path.join(paths.locksDir, `${path.basename(paths.worktreesDir)}.${service}.${lane}.lock`);
}

/**
 * The ports of a local environment: `basePort` is the supervisor's control API, `basePort + 1` the registry,
 * `basePort + 2 + i` the gateway of the i-th service of lanes.yaml. Lane instances get free ports from the OS.
 */
export interface LocalPorts {
  readonly control: number;
  readonly registry: number;
  readonly gateways: ReadonlyMap<string, number>;
}

/** The ports of `env` for the services of `config`. */
export function localPorts(config: LanesConfig, env: LocalEnvironmentConfig): LocalPorts {
  return {
    control: env.basePort,
    registry: env.basePort + 1,
    gateways: new Map(config.services.map((s, i) => [s.name, env.basePort + 2 + i])),
  };
}

/** The key of a lane in the state file and in maps: `{service}/{lane}`. */
export function laneKey(service: string, lane: string): string {
  return `${service}/${lane}`;
}
