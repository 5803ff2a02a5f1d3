/**
 * A lane's configuration on AWS (issue 18), in SSM Parameter Store under core's `configNames`:
 * `/{project}/{env}/{service}/{KEY}` for every lane, `/{project}/{env}/{service}/lanes/{lane}/{KEY}` for one
 * lane's override. `lanes config` reads and writes them; `lanes ci deploy` (and `lanes rollback`) resolves the
 * lane's set at deploy time and writes it into the task definition of the lane stack:
 * - a String becomes a plain `Environment` entry with the value of the version resolved;
 * - a SecureString becomes a `Secrets` entry whose `ValueFrom` is the parameter's ARN: ECS reads it with the task
 *   execution role when the task starts, so its value is never in the template, the stack or a log ("Pass Systems
 *   Manager parameters through Amazon ECS environment variables",
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html).
 * The versions used are recorded in the lane stack's template metadata (`EcsLanes::Config`, newest first, one
 * record per image tag), so a rollback to an image tag restores the String values it ran with. ECS cannot pin a
 * Parameter Store version in `ValueFrom` (aws/containers-roadmap#636): a rolled-back SecureString reads its
 * current value, and the rollback says so when the version differs.
 */
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  type Parameter,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  type ConfigChange,
  type ConfigChangeResult,
  type ConfigEntry,
  type ConfigTarget,
  configKeyProblem,
  configNames,
  configValueProblem,
  type EffectiveConfigEntry,
  effectiveConfig,
  type LaneConfigStore,
  laneConfigPath,
  UserError,
} from '@ecs-lanes/core';
import { parse } from 'yaml';
import { type AwsContext, checkLane, serviceOf } from './context.js';
import { withThrottleRetry } from './retry.js';

/** Page size of GetParametersByPath (its maximum). */
export const SSM_PAGE_SIZE = 10;
/** Names per GetParameters call (its maximum). */
export const SSM_NAMES_PER_CALL = 10;
/** Template metadata key holding the config records of a lane stack. */
export const CONFIG_METADATA_KEY = 'EcsLanes::Config';
/** Config records kept per lane stack (one per image tag). */
export const CONFIG_HISTORY_LENGTH = 10;

/** One variable of a deploy: which parameter and version it came from. */
export interface ConfigRecordEntry {
  readonly key: string;
  readonly parameter: string;
  readonly version: number;
  readonly secure: boolean;
}

/** What one deploy of a lane used. */
export interface ConfigRecord {
  /** The image tag deployed with it. */
  readonly imageTag: string;
  readonly entries: readonly ConfigRecordEntry[];
}

/** The set a deploy writes into the task definition. */
export interface ResolvedConfig {
  /** The variables, by key, with their plain values (String) or parameter ARN (SecureString). */
  readonly entries: readonly (ConfigRecordEntry & { readonly value?: string; readonly arn: string })[];
  /** Notes for the deploy's output (restored versions, secure values that could not be pinned). */
  readonly notes: readonly string[];
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The paths of `target`, checked. */
function pathsOf(ctx: AwsContext, target: ConfigTarget) {
  const service = serviceOf(ctx, target.service);
  const names = configNames(ctx.config.project, ctx.env.name, service.name);
  const lane = target.lane === undefined ? undefined : checkLane(target.lane);
  return {
    names,
    path:
      lane === undefined
        ? names.servicePath
        : laneConfigPath(ctx.config.project, ctx.env.name, service.name, lane),
  };
}

/** Every parameter directly under `path` (GetParametersByPath, not recursive, paged; values not decrypted). */
async function parametersUnder(ctx: AwsContext, path: string): Promise<Parameter[]> {
  const out: Parameter[] = [];
  let NextToken: string | undefined;
  do {
    const page = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.ssm.send(
        new GetParametersByPathCommand({
          Path: path,
          Recursive: false,
          WithDecryption: false,
          MaxResults: SSM_PAGE_SIZE,
          ...(NextToken ? { NextToken } : {}),
        }),
      ),
    );
    out.push(...(page.Parameters ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

function entryOf(p: Parameter, path: string, scope: ConfigEntry['scope']): ConfigEntry {
  const secure = p.Type === 'SecureString';
  return {
    key: (p.Name ?? '').slice(path.length),
    scope,
    ...(secure ? {} : { value: p.Value ?? '' }),
    secure,
    version: p.Version ?? 0,
    source: p.Name ?? '',
  };
}

/** Lists entries of `target` (service-wide, or a lane's overrides). */
async function listEntries(ctx: AwsContext, target: ConfigTarget): Promise<ConfigEntry[]> {
  const { path } = pathsOf(ctx, target);
  const scope = target.lane === undefined ? 'service' : 'lane';
  return (await parametersUnder(ctx, path))
    .map((p) => entryOf(p, path, scope))
    .filter((e) => configKeyProblem(e.key) === undefined)
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The configuration store of `lanes config` on AWS. */
export function createSsmConfigStore(ctx: AwsContext): LaneConfigStore {
  return {
    list: (target) => listEntries(ctx, target),
    effective: async (ref) =>
      effectiveConfig(
        await listEntries(ctx, { service: ref.service, env: ref.env }),
        await listEntries(ctx, ref),
      ),
    change: (target, change, dryRun) => changeParameter(ctx, target, change, dryRun),
  };
}

async function changeParameter(
  ctx: AwsContext,
  target: ConfigTarget,
  change: ConfigChange,
  dryRun: boolean,
): Promise<ConfigChangeResult> {
  const problem = configKeyProblem(change.key);
  if (problem) throw new UserError(problem);
  if (change.kind === 'set') {
    const valueProblem = configValueProblem(change.key, change.value);
    if (valueProblem) throw new UserError(valueProblem);
  }
  const { path } = pathsOf(ctx, target);
  const name = `${path}${change.key}`;
  const found = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.ssm.send(new GetParametersCommand({ Names: [name], WithDecryption: false })),
  );
  const current = found.Parameters?.[0];
  const scope = target.lane === undefined ? 'service' : 'lane';
  if (change.kind === 'unset') {
    if (!current) {
      throw new UserError(
        `${change.key} is not set ${target.lane === undefined ? `for ${target.service}` : `in lane ${target.lane} of ${target.service}`} (${name}); see: lanes config ls ${target.service} --env ${ctx.env.name}${target.lane ? ` --lane ${target.lane}` : ''}`,
      );
    }
    const action = `delete parameter ${name} (version ${current.Version})`;
    if (dryRun) return { dryRun: true, actions: [action] };
    await withThrottleRetry(ctx.clock, () =>
      ctx.clients.ssm.send(new DeleteParameterCommand({ Name: name })),
    );
    return { dryRun: false, actions: [action] };
  }
  const type = change.secure ? 'SecureString' : 'String';
  if (current && (current.Type === 'SecureString') !== change.secure) {
    throw new UserError(
      `${name} is a ${current.Type}; ${change.secure ? 'to make it secure' : 'to store it in plain text'}, unset it first: lanes config unset ${target.service} ${change.key} --env ${ctx.env.name}${target.lane ? ` --lane ${target.lane}` : ''}`,
    );
  }
  const shown = change.secure ? '(secure value hidden)' : `= ${change.value}`;
  const action = current
    ? `update parameter ${name} ${type} ${shown} (version ${current.Version} -> ${(current.Version ?? 0) + 1})`
    : `create parameter ${name} ${type} ${shown} (version 1)`;
  if (dryRun) return { dryRun: true, actions: [action] };
  const put = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: change.value,
        Type: type,
        Overwrite: current !== undefined,
        // Without KeyId a SecureString uses the account's AWS managed key alias/aws/ssm.
      }),
    ),
  );
  return {
    dryRun: false,
    actions: [action],
    entry: {
      key: change.key,
      scope,
      ...(change.secure ? {} : { value: change.value }),
      secure: change.secure,
      version: put.Version ?? 0,
      source: name,
    },
  };
}

/** The ARN of parameter `name` in the context's account and region. */
function parameterArn(ctx: AwsContext, account: string, name: string): string {
  return `arn:${partitionOf(ctx.env.region)}:ssm:${ctx.env.region}:${account}:parameter${name}`;
}

/**
 * The set lane `lane` of `service` deploys with: today's effective set, or (`pinned`) the versions a previous
 * deploy recorded. Values of plain parameters are read at the version used; secure ones are referenced by ARN.
 */
export async function resolveLaneConfig(
  ctx: AwsContext,
  service: string,
  lane: string,
  account: string,
  pinned?: ConfigRecord,
): Promise<ResolvedConfig> {
  const notes: string[] = [];
  let wanted: ConfigRecordEntry[];
  let current: EffectiveConfigEntry[] | undefined;
  if (pinned) {
    wanted = [...pinned.entries];
    current = await createSsmConfigStore(ctx).effective({ service, env: ctx.env.name, lane });
  } else {
    const effective = await createSsmConfigStore(ctx).effective({ service, env: ctx.env.name, lane });
    wanted = effective.map((e) => ({
      key: e.key,
      parameter: e.source,
      version: e.version,
      secure: e.secure,
    }));
  }
  const values = new Map<string, string>();
  const plain = wanted.filter((e) => !e.secure);
  for (let i = 0; i < plain.length; i += SSM_NAMES_PER_CALL) {
    const batch = plain.slice(i, i + SSM_NAMES_PER_CALL);
    const out = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.ssm.send(
        new GetParametersCommand({
          Names: batch.map((e) => `${e.parameter}:${e.version}`),
          WithDecryption: false,
        }),
      ),
    );
    for (const p of out.Parameters ?? []) values.set(`${p.Name}:${p.Version}`, p.Value ?? '');
    const missing = out.InvalidParameters ?? [];
    if (missing.length > 0) {
      throw new UserError(
        `configuration of lane ${lane} of ${service} refers to parameter versions that no longer exist (${missing.join(', ')}); Parameter Store keeps the last 100 versions of a parameter`,
      );
    }
  }
  const entries = wanted.map((e) => ({
    ...e,
    arn: parameterArn(ctx, account, e.parameter),
    ...(e.secure ? {} : { value: values.get(`${e.parameter}:${e.version}`) ?? '' }),
  }));
  if (pinned && current) {
    const now = new Map(current.map((c) => [c.key, c]));
    for (const e of pinned.entries) {
      const c = now.get(e.key);
      if (!e.secure && (c?.source !== e.parameter || c.version !== e.version)) {
        notes.push(
          `config ${e.key}: restored ${e.parameter} version ${e.version}${c ? ` (today: ${c.source} version ${c.version})` : ' (unset today)'}`,
        );
      }
      if (e.secure && c && (c.source !== e.parameter || c.version !== e.version)) {
        notes.push(
          `config ${e.key}: secure value is read by ECS at task start, so it is today's ${c.source} version ${c.version}, not version ${e.version} (ECS cannot pin a Parameter Store version)`,
        );
      }
    }
    for (const c of current) {
      if (!pinned.entries.some((e) => e.key === c.key))
        notes.push(`config ${c.key}: not set in the rolled-back deploy; left out`);
    }
  }
  return { entries, notes };
}

/** The config records in a lane stack template's metadata, newest first ([] when none). */
export function configHistoryOf(templateBody: string | undefined): ConfigRecord[] {
  if (!templateBody) return [];
  try {
    const doc = parse(templateBody) as { Metadata?: Record<string, unknown> } | null;
    const history = (doc?.Metadata?.[CONFIG_METADATA_KEY] as { history?: ConfigRecord[] } | undefined)
      ?.history;
    return Array.isArray(history) ? history : [];
  } catch {
    return [];
  }
}

/**
 * The lane stack template with the resolved configuration in its task definition's first container (plain values
 * in `Environment`, secure ones in `Secrets`) and `record` first in the metadata history. Returned as JSON.
 * @throws Error when the template has no task definition (not a lane stack template)
 */
export function withLaneConfig(
  templateBody: string,
  resolved: ResolvedConfig,
  record: ConfigRecord,
  previous: readonly ConfigRecord[],
): string {
  const doc = parse(templateBody) as {
    Metadata?: Record<string, unknown>;
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const td = Object.values(doc.Resources ?? {}).find((r) => r.Type === 'AWS::ECS::TaskDefinition');
  const container = (td?.Properties?.ContainerDefinitions as Record<string, unknown>[] | undefined)?.[0];
  if (!container) throw new Error('the lane stack template has no AWS::ECS::TaskDefinition with a container');
  const environment = [...((container.Environment as unknown[]) ?? [])];
  const secrets = [...((container.Secrets as unknown[]) ?? [])];
  for (const e of resolved.entries) {
    if (e.secure) secrets.push({ Name: e.key, ValueFrom: e.arn });
    else environment.push({ Name: e.key, Value: e.value ?? '' });
  }
  container.Environment = environment;
  if (secrets.length > 0) container.Secrets = secrets;
  const history = [record, ...previous.filter((r) => r.imageTag !== record.imageTag)].slice(
    0,
    CONFIG_HISTORY_LENGTH,
  );
  doc.Metadata = { ...(doc.Metadata ?? {}), [CONFIG_METADATA_KEY]: { history } };
  return JSON.stringify(doc);
}

/** The lane stack template to deploy, with the lane's configuration, and what was resolved. */
export interface ConfiguredTemplate {
  readonly templateBody: string;
  readonly resolved: ResolvedConfig;
  readonly record: ConfigRecord;
  /** The lane stack's template as it runs (`GetTemplate`, stage `Original`). @default none (a new stack) */
  readonly currentTemplateBody?: string;
}

/**
 * Resolves the configuration of a lane deploy and writes it into `templateBody`: today's effective set, or with
 * `restoreConfigOf` the set recorded for that image tag in the lane stack's current template (a rollback).
 */
export async function configureLaneTemplate(
  ctx: AwsContext,
  request: {
    readonly service: string;
    readonly lane: string;
    readonly imageTag: string;
    readonly restoreConfigOf?: string;
  },
  stackName: string,
  templateBody: string,
): Promise<ConfiguredTemplate> {
  const stack = await ctx.stacks.describe(stackName);
  let history: ConfigRecord[] = [];
  let currentTemplateBody: string | undefined;
  if (stack) {
    const current = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.cloudformation.send(
        new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
      ),
    );
    currentTemplateBody = current.TemplateBody;
    history = configHistoryOf(currentTemplateBody);
  }
  const pinned =
    request.restoreConfigOf === undefined
      ? undefined
      : history.find((r) => r.imageTag === request.restoreConfigOf);
  const identity = await withThrottleRetry(ctx.clock, () =>
    ctx.clients.sts.send(new GetCallerIdentityCommand({})),
  );
  const resolved = await resolveLaneConfig(
    ctx,
    request.service,
    request.lane,
    identity.Account ?? '',
    pinned,
  );
  const notes =
    request.restoreConfigOf !== undefined && !pinned
      ? [
          `config: no record of the configuration image ${request.restoreConfigOf} ran with; deploying today's`,
          ...resolved.notes,
        ]
      : resolved.notes;
  const record: ConfigRecord = {
    imageTag: request.imageTag,
    entries: resolved.entries.map(({ key, parameter, version, secure }) => ({
      key,
      parameter,
      version,
      secure,
    })),
  };
  return {
    templateBody: withLaneConfig(templateBody, resolved, record, history),
    resolved: { entries: resolved.entries, notes },
    record,
    ...(currentTemplateBody !== undefined ? { currentTemplateBody } : {}),
  };
}

/** One line per variable of a deploy, for progress and results: never a value. */
export function describeResolvedConfig(resolved: ResolvedConfig): string[] {
  return resolved.entries.map(
    (e) =>
      `${e.key} <- ${e.parameter} version ${e.version}${e.secure ? ' (SecureString, as an ECS secret)' : ''}`,
  );
}
