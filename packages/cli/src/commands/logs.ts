/**
 * `lanes logs <service> [--env E] [--lane L] [-n N] [-f] [--since 10m] [--filter TEXT] [--json] [--insights]`:
 * a lane's log on any target, through core's `LaneLogReader` chosen once per target:
 * - local: `.lanes/logs/{env}/{service}/{lane}.log` (builds and every process the lane ran);
 * - aws: CloudWatch Logs group `/ecs/{env}/{service}`, the lane's streams `{lane}/...` merged in time order with
 *   the task id; `-f` follows with Live Tail (polling where it is refused). Permissions: the operator policy of
 *   docs/operations.md.
 * `--insights` prints the Logs Insights query of the lane instead (no AWS call). Ctrl-C stops following cleanly.
 */
import {
  type EnvironmentConfig,
  findService,
  insightsQuery,
  type LaneLogEvent,
  type LaneLogQuery,
  type LaneLogReader,
  type LocalEnvironmentConfig,
  parseSince,
  UserError,
} from '@ecs-lanes/core';
import type { Command } from 'commander';
import { UsageError } from '../exit-codes.js';
import { checkLane, resolveEnvironment } from '../lane-command.js';
import type { Io } from '../output.js';
import { loadProject, type Project } from '../project.js';
import type { TargetOptions } from '../targets.js';

/** Options of `lanes logs`. */
export interface LogsOptions extends TargetOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Environment. @default $LANES_ENV, else the only local environment, else the only environment */
  readonly env?: string;
  /** Lane. @default the baseline lane */
  readonly lane?: string;
  /** Keep printing new lines until Ctrl-C. @default false */
  readonly follow?: boolean;
  /** How many of the last lines to print first (0: all). @default "100" */
  readonly lines?: string;
  /** Only lines since a duration (`10m`) or an ISO time. @default no bound (aws: the last lines, looking back as far as needed) */
  readonly since?: string;
  /** Only lines containing this text (case-sensitive). @default every line */
  readonly filter?: string;
  /** One JSON object per line on stdout. @default false */
  readonly json?: boolean;
  /** Print the CloudWatch Logs Insights query of the lane and exit. @default false */
  readonly insights?: boolean;
  /** Stops following (tests). @default Ctrl-C */
  readonly signal?: AbortSignal;
  /** Clock of `--since`. @default Date.now */
  readonly now?: () => number;
}

/** Opens the log reader of an environment's target. */
type ReaderFactory = (
  project: Project,
  env: EnvironmentConfig,
  io: Io,
  options: TargetOptions,
) => Promise<LaneLogReader>;

const READERS: Record<EnvironmentConfig['target'], ReaderFactory> = {
  aws: async (project, env, io, options) => {
    const [{ createAwsContext, createAwsLogReader }, { awsEnvironment, awsTargetOptions }] =
      await Promise.all([import('@ecs-lanes/aws'), import('../aws.js')]);
    return createAwsLogReader(
      createAwsContext(awsTargetOptions(project, awsEnvironment(env, 'lanes logs'), io, options)),
    );
  },
  local: async (project, env) => {
    const { createLocalEnvironment, createLocalLogReader } = await import('@ecs-lanes/local');
    const environment = createLocalEnvironment({
      config: project.config,
      env: env as LocalEnvironmentConfig,
      root: project.root,
      configFile: project.configPath,
    });
    return createLocalLogReader((service, lane) => environment.logFile(service, lane));
  },
};

/** `--env`, `$LANES_ENV`, or (as before AWS logs existed) the only local environment, or the only one. */
function environmentOf(project: Project, io: Io, name: string | undefined): EnvironmentConfig {
  if (name === undefined && io.env.LANES_ENV === undefined) {
    const locals = project.config.environments.filter((e) => e.target === 'local');
    if (locals.length === 1) return locals[0] as EnvironmentConfig;
  }
  return resolveEnvironment(project, io, name);
}

/** One event as a line of text: time and instance first when the log has times (aws), else the raw line. */
export function formatLogEvent(event: LaneLogEvent): string {
  return event.timestamp === undefined
    ? event.message
    : `${new Date(event.timestamp).toISOString()} ${event.instance} ${event.message}`;
}

/** Runs `lanes logs`; returns the exit code. */
export async function logs(io: Io, service: string, options: LogsOptions): Promise<number> {
  const project = await loadProject(io.cwd, options.config);
  const env = environmentOf(project, io, options.env);
  findService(project.config, service);
  const lane = checkLane(options.lane ?? env.baselineLane);
  const lines = options.lines ?? '100';
  if (!/^\d+$/.test(lines.trim())) {
    throw new UsageError(`-n/--lines must be a whole number of lines (0 for all), not "${lines}"`);
  }
  const limit = Number(lines);
  let since: number | undefined;
  if (options.since !== undefined) {
    try {
      since = parseSince(options.since, (options.now ?? Date.now)());
    } catch (error) {
      throw new UserError((error as Error).message);
    }
  }
  const query: LaneLogQuery = {
    service,
    env: env.name,
    lane,
    limit,
    ...(since !== undefined ? { since } : {}),
    ...(options.filter ? { filter: options.filter } : {}),
  };
  if (options.insights) {
    if (env.target !== 'aws') {
      throw new UserError(
        `--insights prints a CloudWatch Logs Insights query; ${env.name} is a ${env.target} environment`,
      );
    }
    const q = insightsQuery(query);
    if (options.json) io.out(JSON.stringify(q));
    else {
      io.err(`# run in CloudWatch Logs Insights on log group ${q.logGroupName} (region ${env.region}):`);
      io.out(q.queryString);
    }
    return 0;
  }
  const reader = await READERS[env.target](project, env, io, options);
  const print = (event: LaneLogEvent) =>
    io.out(options.json ? JSON.stringify({ service, env: env.name, lane, ...event }) : formatLogEvent(event));
  const first = await reader.read(query);
  if (first.length === 0 && !options.follow) {
    throw new UserError(
      `lane ${lane} of ${service} in ${env.name} has no log lines${options.filter || options.since ? ' matching the filter' : ' yet'}; follow it with: lanes logs ${service} --env ${env.name} --lane ${lane} -f`,
    );
  }
  for (const event of first) print(event);
  if (!options.follow) return 0;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  try {
    await reader.follow(query, print, stop.signal, (note) => io.err(`[logs] ${note}`));
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  return 0;
}

/** Registers `lanes logs`. */
export function registerLogs(program: Command, io: Io): void {
  program
    .command('logs')
    .description(
      "Print a lane's log (local: builds and process output; aws: CloudWatch Logs, the lane's tasks merged in time order); -f follows it",
    )
    .argument('<service>', 'service name')
    .option('-l, --lane <lane>', 'lane (default: the baseline)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C (aws: Live Tail, else polling)')
    .option('-n, --lines <n>', 'how many of the last lines to print first (0: all)', '100')
    .option('--since <when>', 'only lines since a duration (90s, 10m, 2h, 1d) or an ISO time (aws)')
    .option('--filter <text>', 'only lines containing this text (case-sensitive)')
    .option('--insights', 'print the CloudWatch Logs Insights query of the lane and exit (aws)')
    .option('--json', 'one JSON object per line on stdout: service, env, lane, instance, timestamp, message')
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('-e, --env <name>', 'environment (default: $LANES_ENV, else the only local environment)')
    .option('--profile <profile>', 'AWS named profile (aws environments)')
    .option(
      '--region <region>',
      'AWS region (aws environments; default: the environment region in lanes.yaml)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ lanes logs orders --lane gray -f',
        '  $ lanes logs orders --env dev --lane gray --since 10m --filter ERROR',
        '  $ lanes logs orders --env dev --lane gray -f --json | jq .message',
        '  $ lanes logs orders --env dev --lane gray --insights',
        '',
        'On AWS the caller needs the operator policy of docs/operations.md ("Lane logs on AWS").',
      ].join('\n'),
    )
    .action(async (service: string, opts: LogsOptions) => {
      program.setOptionValue('exitCode', await logs(io, service, opts));
    });
}
