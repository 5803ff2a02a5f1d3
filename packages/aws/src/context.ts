/**
 * What every operation of the control plane shares for one environment: the configuration, the clients, the
 * clock, templates, HTTP, and the lookups built on them (input checks, exports, the service's ALB).
 */
import { ListExportsCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  type AwsEnvironmentConfig,
  checkLaneName,
  type EXPORT_KEYS,
  environmentNames,
  exportName,
  type LanesConfig,
  type ServiceConfig,
  serviceNames,
  UserError,
} from '@ecs-lanes/core';
import type { AwsClients } from './clients.js';
import type { Clock } from './clock.js';
import { explainAwsError } from './errors.js';
import { withThrottleRetry } from './retry.js';
import { StackOperations } from './stacks.js';
import type { TemplateSource } from './templates.js';

/** The HTTP client used by verification (the global `fetch` by default). */
export type Fetch = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** Everything an operation of the control plane needs. */
export interface AwsContext {
  readonly config: LanesConfig;
  readonly env: AwsEnvironmentConfig;
  readonly clients: AwsClients;
  readonly clock: Clock;
  readonly templates: TemplateSource;
  readonly fetch: Fetch;
  readonly stacks: StackOperations;
  /** The profile in use, for messages. */
  readonly profile?: string;
  /** Listener-rule priorities lanes may take. @default 1..50000 */
  readonly priorityRange?: { readonly min: number; readonly max: number };
  /**
   * Service role CloudFormation assumes for lane stacks. Inside the app pipeline the buildspec gives it in
   * `LANES_CFN_ROLE_ARN`: the build role may only act on `app-{service}-{env}-*` stacks and pass this role.
   * @default the caller's credentials
   */
  readonly laneStackRoleArn?: string;
}

/** Builds a context. */
export function createContext(parts: Omit<AwsContext, 'stacks'>): AwsContext {
  return { ...parts, stacks: new StackOperations(parts.clients.cloudformation, parts.clock) };
}

/** The service named `name`, or a {@link UserError} listing the known ones. */
export function serviceOf(ctx: AwsContext, name: string): ServiceConfig {
  const svc = ctx.config.services.find((s) => s.name === name);
  if (!svc) {
    throw new UserError(
      `unknown service "${name}"; known services: ${ctx.config.services.map((s) => s.name).join(', ')}`,
    );
  }
  return svc;
}

/** Checks a lane name, or throws a {@link UserError} saying why it is invalid. */
export function checkLane(lane: string): string {
  const check = checkLaneName(lane);
  if (!check.ok) throw new UserError(`invalid lane name "${lane}": ${check.reason}`);
  return lane;
}

/** Values of the service layer's exports that lanes use. */
export interface ServiceExports {
  readonly listenerArn: string;
  readonly loadBalancerDnsName: string;
  readonly defaultTargetGroupArn: string;
  readonly cloudMapServiceId?: string;
}

/** Reads every export of the account and region (paged). */
export async function listExports(ctx: AwsContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await withThrottleRetry(ctx.clock, () =>
      ctx.clients.cloudformation.send(new ListExportsCommand({ NextToken: token })),
    );
    for (const e of page.Exports ?? []) if (e.Name) out.set(e.Name, e.Value ?? '');
    token = page.NextToken;
  } while (token);
  return out;
}

/**
 * The service layer's exports for `service` (its ALB, listener, default target group, Cloud Map service).
 * @throws UserError saying to bootstrap the service when they are missing
 */
export async function serviceExports(ctx: AwsContext, service: string): Promise<ServiceExports> {
  const names = serviceNames(service, ctx.env.name);
  const exports = await listExports(ctx);
  const alb = (key: (typeof EXPORT_KEYS.alb)[number]) => exports.get(exportName(names.albStack, key));
  const listenerArn = alb('ListenerArn');
  const dns = alb('LoadBalancerDnsName');
  const defaultTg = alb('DefaultTargetGroupArn');
  if (!listenerArn || !dns || !defaultTg) {
    throw new UserError(
      `service ${service} is not bootstrapped in ${ctx.env.name} (no exports of stack ${names.albStack}); run: lanes service bootstrap ${service} --env ${ctx.env.name}`,
    );
  }
  const sd = exports.get(exportName(names.sdStack, 'CloudMapServiceId'));
  return {
    listenerArn,
    loadBalancerDnsName: dns,
    defaultTargetGroupArn: defaultTg,
    ...(sd ? { cloudMapServiceId: sd } : {}),
  };
}

/**
 * Checks that the credentials work and belong to the environment's account (one STS call).
 * @throws UserError with the fix otherwise
 */
export async function checkAccount(ctx: AwsContext): Promise<void> {
  let account: string | undefined;
  try {
    account = (await ctx.clients.sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw explainAwsError(error, `checking the AWS credentials for environment ${ctx.env.name}`, {
      ...(ctx.profile ? { profile: ctx.profile } : {}),
    });
  }
  if (account && account !== ctx.env.account) {
    throw new UserError(
      `the AWS credentials are for account ${account}, but environment ${ctx.env.name} is in account ${ctx.env.account}; use --profile with a profile of account ${ctx.env.account}`,
    );
  }
}

/** Runs `fn`, turning AWS errors into one-line {@link UserError}s about `doing` with their fix. */
export async function explained<T>(ctx: AwsContext, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw explainAwsError(error, doing, {
      ...(ctx.profile ? { profile: ctx.profile } : {}),
      exportCreator: (name) => exportCreator(ctx, name),
    });
  }
}

/**
 * The `lanes` command that creates the export `name` in this environment: the environment layer's
 * (`lanes env deploy {env}`) or a service layer's (`lanes service bootstrap {service} --env {env}`).
 */
export function exportCreator(ctx: AwsContext, name: string): string | undefined {
  const stack = name.slice(0, name.lastIndexOf(':'));
  const env = environmentNames(ctx.env.name);
  if (stack === env.networkStack || stack === env.namespaceStack) return `lanes env deploy ${ctx.env.name}`;
  for (const service of ctx.config.services) {
    const names = serviceNames(service.name, ctx.env.name);
    if ([names.sdStack, names.logStack, names.albStack, names.ecrStack].includes(stack)) {
      return `lanes service bootstrap ${service.name} --env ${ctx.env.name}`;
    }
  }
  return undefined;
}

/** The image tag of an image URI (`repo:tag` or `repo@sha256:...`). */
export function imageTagOf(imageUri: string): string {
  const at = imageUri.indexOf('@');
  if (at !== -1) return imageUri.slice(at + 1);
  const slash = imageUri.lastIndexOf('/');
  const colon = imageUri.lastIndexOf(':');
  return colon > slash ? imageUri.slice(colon + 1) : 'latest';
}

/** The repository part of an image URI. */
export function imageRepositoryOf(imageUri: string): string {
  const at = imageUri.indexOf('@');
  if (at !== -1) return imageUri.slice(0, at);
  const slash = imageUri.lastIndexOf('/');
  const colon = imageUri.lastIndexOf(':');
  return colon > slash ? imageUri.slice(0, colon) : imageUri;
}
