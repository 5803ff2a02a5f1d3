/**
 * What the lane commands share: the common options, resolving the environment and the lane, and opening the
 * environment's target. Bad input is rejected here, before any target is touched.
 */

import {
  checkLaneName,
  type EnvironmentConfig,
  findEnvironment,
  findService,
  type LaneRef,
  type LaneTarget,
  UserError,
} from '@ecs-lanes/core';
import type { Command } from 'commander';
import type { Io } from './output.js';
import { loadProject, type Project } from './project.js';
import { openTarget, type TargetOptions } from './targets.js';

/** Options common to every lane command. */
export interface CommonOptions extends TargetOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Environment name. @default $LANES_ENV, else the only environment of the config */
  readonly env?: string;
  /** Print JSON on stdout instead of text. @default false */
  readonly json?: boolean;
}

/** Adds the common options to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('-e, --env <env>', 'environment (default: $LANES_ENV, or the only environment in the config)')
    .option('--profile <profile>', 'AWS named profile (aws environments)')
    .option(
      '--region <region>',
      'AWS region (aws environments; default: the environment region in lanes.yaml)',
    )
    .option('--json', 'print JSON on stdout');
}

/** A resolved lane command: its project, environment and target. */
export interface LaneContext {
  readonly project: Project;
  readonly env: EnvironmentConfig;
  readonly target: LaneTarget;
}

/** Picks the environment from `--env`, `$LANES_ENV`, or the config's only environment. */
export function resolveEnvironment(project: Project, io: Io, name: string | undefined): EnvironmentConfig {
  const wanted = name ?? io.env.LANES_ENV;
  if (wanted) return findEnvironment(project.config, wanted);
  const envs = project.config.environments;
  if (envs.length === 1) return envs[0]!;
  throw new UserError(`pass --env (one of ${envs.map((e) => e.name).join(', ')}) or set LANES_ENV`);
}

/** Checks a lane name, or throws a UserError with the grammar's reason. */
export function checkLane(lane: string): string {
  const check = checkLaneName(lane);
  if (!check.ok) throw new UserError(`invalid lane: ${check.reason}`);
  return lane;
}

/** Loads the project, resolves the environment and opens its target. */
export async function openLaneContext(io: Io, options: CommonOptions): Promise<LaneContext> {
  const project = await loadProject(io.cwd, options.config);
  const env = resolveEnvironment(project, io, options.env);
  const target = await openTarget(project, env, io, options);
  return { project, env, target };
}

/**
 * Validates a (service, lane) pair against the config and the lane grammar, then opens the target.
 * `lane` defaults to the environment's baseline lane.
 */
export async function openLane(
  io: Io,
  options: CommonOptions,
  service: string,
  lane: string | undefined,
): Promise<LaneContext & { readonly ref: LaneRef }> {
  const project = await loadProject(io.cwd, options.config);
  const env = resolveEnvironment(project, io, options.env);
  findService(project.config, service);
  const ref = { service, env: env.name, lane: checkLane(lane ?? env.baselineLane) };
  const target = await openTarget(project, env, io, options);
  return { project, env, target, ref };
}

/** Sets the command's exit code (read by `main`). */
export function setExitCode(command: Command, code: number): void {
  let root: Command = command;
  while (root.parent) root = root.parent;
  root.setOptionValue('exitCode', code);
}
