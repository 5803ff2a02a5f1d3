/**
 * `lanes config ls|set|unset <service> --env E [--lane L]`: a service's configuration (environment variables of
 * its tasks) and per-lane overrides, through core's `LaneConfigStore` chosen once per target:
 * - aws: SSM Parameter Store, `/{project}/{env}/{service}/{KEY}` and `.../lanes/{lane}/{KEY}`;
 * - local: `.lanes/config/{env}.yaml`.
 * `ls --lane L` shows what lane L runs with: its overrides and, for every other key, the service-wide value.
 * Changes apply at the lane's next deploy (`lanes deploy` resolves the set then, and records the versions so
 * that `lanes rollback` restores them). A secure value (`--secure`) is never printed; give it on stdin to keep it
 * out of the shell history.
 */
import {
  type ConfigChange,
  type ConfigTarget,
  type EnvironmentConfig,
  findService,
  type LaneConfigStore,
  type LocalEnvironmentConfig,
  UserError,
} from '@ecs-lanes/core';
import type { Command } from 'commander';
import {
  type CommonOptions,
  checkLane,
  resolveEnvironment,
  setExitCode,
  withCommonOptions,
} from '../lane-command.js';
import { type Io, printJson, table } from '../output.js';
import { loadProject, type Project } from '../project.js';
import type { TargetOptions } from '../targets.js';

/** Options of `lanes config`. */
export interface ConfigOptions extends CommonOptions {
  /** The lane whose overrides are meant. @default the service-wide configuration */
  readonly lane?: string;
  /** Walk the same checks and change nothing. @default false */
  readonly dryRun?: boolean;
  /** Store the value as a secure string (SSM SecureString, an ECS secret). @default false */
  readonly secure?: boolean;
  /** Reads a value given as `KEY` alone (stdin). @default the process's stdin */
  readonly readValue?: () => Promise<string>;
}

type StoreFactory = (
  project: Project,
  env: EnvironmentConfig,
  io: Io,
  options: TargetOptions,
) => Promise<LaneConfigStore>;

const STORES: Record<EnvironmentConfig['target'], StoreFactory> = {
  aws: async (project, env, io, options) => {
    const [{ createAwsContext, createSsmConfigStore }, { awsEnvironment, awsTargetOptions }] =
      await Promise.all([import('@ecs-lanes/aws'), import('../aws.js')]);
    return createSsmConfigStore(
      createAwsContext(awsTargetOptions(project, awsEnvironment(env, 'lanes config'), io, options)),
    );
  },
  local: async (project, env) => {
    const { createLocalConfigStore } = await import('@ecs-lanes/local');
    return createLocalConfigStore({
      config: project.config,
      root: project.root,
      env: (env as LocalEnvironmentConfig).name,
      configFile: project.configPath,
    });
  },
};

async function open(io: Io, service: string, options: ConfigOptions) {
  const project = await loadProject(io.cwd, options.config);
  const env = resolveEnvironment(project, io, options.env);
  findService(project.config, service);
  const target: ConfigTarget = {
    service,
    env: env.name,
    ...(options.lane !== undefined ? { lane: checkLane(options.lane) } : {}),
  };
  return { env, target, store: await STORES[env.target](project, env, io, options) };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `lanes config ls`: returns the exit code. */
export async function configLs(io: Io, service: string, options: ConfigOptions): Promise<number> {
  const { env, target, store } = await open(io, service, options);
  const entries =
    target.lane === undefined
      ? (await store.list(target)).map((e) => ({ ...e, overrides: false }))
      : await store.effective({ service, env: env.name, lane: target.lane });
  if (options.json) {
    printJson(io, { service, env: env.name, ...(target.lane ? { lane: target.lane } : {}), entries });
    return 0;
  }
  if (entries.length === 0) {
    io.err(
      `no configuration for ${target.lane ? `lane ${target.lane} of ` : ''}${service} in ${env.name}; add some with: lanes config set ${service} KEY=VALUE --env ${env.name}${target.lane ? ` --lane ${target.lane}` : ''}`,
    );
    return 0;
  }
  io.out(
    table(
      ['KEY', 'VALUE', 'FROM', 'VERSION', 'SOURCE'],
      entries.map((e) => [
        e.key,
        e.secure ? '(secure)' : (e.value ?? ''),
        e.scope === 'lane' ? (e.overrides ? 'lane (overrides)' : 'lane') : 'service',
        String(e.version),
        e.source,
      ]),
    ),
  );
  return 0;
}

/** `lanes config set|unset`: returns the exit code. */
export async function configChange(
  io: Io,
  service: string,
  kind: 'set' | 'unset',
  args: readonly string[],
  options: ConfigOptions,
): Promise<number> {
  if (args.length === 0) {
    throw new UserError(
      kind === 'set'
        ? 'give at least one KEY=VALUE (or KEY alone with --secure to read the value on stdin)'
        : 'give at least one KEY to unset',
    );
  }
  const changes: ConfigChange[] = [];
  for (const arg of args) {
    if (kind === 'unset') {
      changes.push({ kind, key: arg });
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq < 0 && !options.secure) {
      throw new UserError(
        `"${arg}" is not KEY=VALUE; for a secure value read from stdin, pass --secure and KEY alone`,
      );
    }
    if (eq < 0 && args.length > 1) throw new UserError('a value read from stdin is for one KEY at a time');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? await (options.readValue ?? readStdin)() : arg.slice(eq + 1);
    changes.push({ kind, key, value, secure: Boolean(options.secure) });
  }
  const { env, target, store } = await open(io, service, options);
  const dryRun = Boolean(options.dryRun);
  // Every change is checked (dry) first, so that a bad one in the list changes nothing.
  for (const c of changes) await store.change(target, c, true);
  const results = [];
  for (const c of changes) results.push(await store.change(target, c, dryRun));
  if (options.json) {
    printJson(io, { service, env: env.name, ...(target.lane ? { lane: target.lane } : {}), dryRun, results });
    return 0;
  }
  for (const r of results) for (const a of r.actions) io.out(`${dryRun ? 'would ' : ''}${a}`);
  if (!dryRun) {
    io.err(
      `takes effect at the next deploy: lanes deploy ${service} --env ${env.name} --lane ${target.lane ?? env.baselineLane}${target.lane ? '' : ' (and every other lane of the service)'}`,
    );
  }
  return 0;
}

/** Registers `lanes config ls|set|unset`. */
export function registerConfig(program: Command, io: Io): void {
  const config = program
    .command('config')
    .description(
      "A service's configuration (its tasks' environment variables) and per-lane overrides: SSM Parameter Store on AWS, .lanes/config/{env}.yaml locally",
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ lanes config ls orders --env dev --lane gray',
        '  $ lanes config set orders FEATURE_FLAG=off DOWNSTREAM_URL=http://inventory.dev.local --env dev',
        '  $ lanes config set orders FEATURE_FLAG=on --env dev --lane gray --dry-run',
        '  $ printf %s "$DB_PASSWORD" | lanes config set orders DB_PASSWORD --secure --env dev',
        '  $ lanes config unset orders FEATURE_FLAG --env dev --lane gray',
        '',
        'Changes take effect at the next deploy of a lane; see docs/operations.md, "Configuration".',
      ].join('\n'),
    );
  const laneOption = (c: Command) =>
    c.option('-l, --lane <lane>', "the lane's overrides (default: the service-wide values every lane gets)");
  laneOption(
    withCommonOptions(
      config
        .command('ls')
        .argument('<service>', 'service name from lanes.yaml')
        .description(
          'List the values; with --lane, what that lane runs with (its overrides, else the service-wide value)',
        )
        .addHelpText('after', '\nExamples:\n  $ lanes config ls orders --env dev --lane gray --json'),
    ),
  ).action(async (service: string, opts: ConfigOptions, command: Command) => {
    setExitCode(command, await configLs(io, service, opts));
  });
  laneOption(
    withCommonOptions(
      config
        .command('set')
        .argument('<service>', 'service name from lanes.yaml')
        .argument('<assignments...>', 'KEY=VALUE (or KEY alone with --secure: the value is read on stdin)')
        .description('Set values (service-wide, or a lane override with --lane)')
        .option('--secure', 'store as a secure string: an ECS secret on AWS, never printed')
        .option('--dry-run', 'check and say what would change, change nothing')
        .addHelpText(
          'after',
          '\nExamples:\n  $ lanes config set orders FEATURE_FLAG=on --env dev --lane gray\n  $ printf %s "$TOKEN" | lanes config set orders API_TOKEN --secure --env dev',
        ),
    ),
  ).action(async (service: string, assignments: string[], opts: ConfigOptions, command: Command) => {
    setExitCode(command, await configChange(io, service, 'set', assignments, opts));
  });
  laneOption(
    withCommonOptions(
      config
        .command('unset')
        .argument('<service>', 'service name from lanes.yaml')
        .argument('<keys...>', 'keys to remove')
        .description('Remove values (a lane then falls back to the service-wide value)')
        .option('--dry-run', 'check and say what would change, change nothing')
        .addHelpText(
          'after',
          '\nExamples:\n  $ lanes config unset orders FEATURE_FLAG --env dev --lane gray --dry-run',
        ),
    ),
  ).action(async (service: string, keys: string[], opts: ConfigOptions, command: Command) => {
    setExitCode(command, await configChange(io, service, 'unset', keys, opts));
  });
}
