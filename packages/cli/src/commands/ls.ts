/**
 * `lanes ls [--service S]`: every lane of an environment, the same columns on every target.
 */

import type { LaneSummary } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { type CommonOptions, openLaneContext, setExitCode, withCommonOptions } from '../lane-command.js';
import { type Io, printJson, table } from '../output.js';
import { loadProject, type Project } from '../project.js';

/** Options of `lanes ls`. */
export interface LsOptions extends CommonOptions {
  /** Only this service's lanes. @default every service */
  readonly service?: string;
}

/** Formats the age of something created at `iso`, relative to `now`: `45s`, `12m`, `3h`, `2d`. */
export function formatAge(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** The `lanes ls` table. */
export function lanesTable(lanes: readonly LaneSummary[], now: number): string {
  return table(
    ['SERVICE', 'LANE', 'VERSION', 'BRANCH', 'STATE', 'TASKS', 'HEALTHY', 'AGE', 'URL'],
    lanes.map((l) => [
      l.service,
      l.baseline ? `${l.lane} (baseline)` : l.lane,
      l.version ?? '-',
      l.branch ?? '-',
      l.detail ? `${l.state} (${l.detail})` : l.state,
      `${l.running}/${l.desired}`,
      String(l.healthy),
      formatAge(l.createdAt, now),
      l.url ?? '-',
    ]),
  );
}

/**
 * The environment `lanes ls` lists without `--env` and `$LANES_ENV`: the only environment, else the only local
 * one (as `lanes up` picks it), else none (the usual "pass --env" error follows).
 */
export function defaultLsEnvironment(project: Project, io: Io, env: string | undefined): string | undefined {
  if (env !== undefined || io.env.LANES_ENV) return env;
  const envs = project.config.environments;
  if (envs.length === 1) return undefined;
  const locals = envs.filter((e) => e.target === 'local');
  return locals.length === 1 ? locals[0]!.name : undefined;
}

/** Runs `lanes ls`; returns the exit code. */
export async function ls(io: Io, options: LsOptions): Promise<number> {
  const project = await loadProject(io.cwd, options.config);
  const envName = defaultLsEnvironment(project, io, options.env);
  const { target, env } = await openLaneContext(io, { ...options, ...(envName ? { env: envName } : {}) });
  const lanes = await target.list(options.service ? { service: options.service } : {});
  if (options.json) printJson(io, lanes);
  else if (lanes.length === 0)
    io.out(`no lanes in ${env.name}${options.service ? ` for ${options.service}` : ''}`);
  else io.out(lanesTable(lanes, Date.now()));
  return 0;
}

/** Registers `lanes ls`. */
export function registerLs(program: Command, io: Io): void {
  withCommonOptions(
    program
      .command('ls')
      .description('List the lanes of an environment')
      .option('-s, --service <service>', 'only this service'),
  )
    .addHelpText(
      'after',
      '\nWithout --env (and $LANES_ENV): the only environment, else the only local one.\n\nExamples:\n  $ lanes ls --env local\n  $ lanes ls --env dev --service orders --json',
    )
    .action(async (opts: LsOptions, command: Command) => {
      setExitCode(command, await ls(io, opts));
    });
}
