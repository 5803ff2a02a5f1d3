/**
 * The `lanes.yaml` configuration: its schema, its defaults, and errors precise enough to fix without
 * reading this file (file, line, path in the document, what was wrong, how to fix it; all errors at once).
 *
 * Pure: the caller reads the file and passes its text.
 */

import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { MAX_BAKE_TIME_MINUTES } from './app-pipeline.js';
import { pricesSchema } from './cost.js';
import { checkLaneName, DEFAULT_BASELINE_LANE } from './lane.js';
import { lanePolicySchema } from './policy.js';

/** Maximum length of a service name: the longest name that still reads well inside 32-character ALB names. */
export const MAX_SERVICE_NAME_LENGTH = 32;
/** Maximum length of an environment name (it is part of every resource name and of `{env}.local`). */
export const MAX_ENV_NAME_LENGTH = 10;

/**
 * First words a service name may not start with: they would make its pipeline or stack names read like
 * (and possibly equal) the names of the shared layers (`infra-{env}`, `bootstrap-{service}-{env}`, ...),
 * or break the ALB rule that names must not begin with `internal-`.
 */
export const RESERVED_SERVICE_PREFIXES = [
  'infra',
  'bootstrap',
  'boot',
  'app',
  'pipeline',
  'internal',
] as const;

/** The grammar of a service name (also the `AllowedPattern` of template parameters carrying one). */
export const SERVICE_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;
/** The grammar of an environment name (also the `AllowedPattern` of template parameters carrying one). */
export const ENV_PATTERN = /^[a-z][a-z0-9]*$/;

/**
 * Fargate task sizes: CPU units and the memory values (MiB) allowed with each.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = Object.freeze({
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
});

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const serviceName = z.string().superRefine((name, ctx) => {
  const reason = checkServiceName(name);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

const envName = z.string().superRefine((name, ctx) => {
  const reason = checkEnvironmentName(name);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

const laneName = z.string().superRefine((name, ctx) => {
  const check = checkLaneName(name);
  if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
});

const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'expected an AWS region such as "us-east-1"');
const awsAccount = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(
    z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id, quoted (for example "123456789012")'),
  );
const subnetId = z
  .string()
  .regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id such as "subnet-0abc1234"');
const connectionArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/,
    'expected a CodeConnections connection ARN such as "arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234"',
  );
const repository = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected a repository as "owner/name"');
const branch = z
  .string()
  .min(1)
  .regex(
    /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock$|.*[\s~^:?*[\\]).+(?<![/.])$/,
    'expected a git branch name (no spaces, "..", "~", "^", ":", "?", "*", "[" or "\\")',
  );

/** The Infra repository: the templates, the shared buildspec and the pipelines live there. */
const infraRepoSchema = z.strictObject({
  connectionArn,
  repository,
  branch: branch.default('main'),
});

/** An existing load balancer a service adopts when its environment has `initAlb: false`. */
const existingAlbSchema = z.strictObject({
  loadBalancerArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
      'expected an Application Load Balancer ARN (…:loadbalancer/app/{name}/{id})',
    ),
  dnsName: z.string().regex(/^[A-Za-z0-9.-]+\.elb\.amazonaws\.com(\.cn)?$/, 'expected the ALB DNS name'),
  listenerArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+\/[0-9a-f]+$/,
      'expected the ARN of the ALB listener the lane rules go on (…:listener/app/{name}/{id}/{id})',
    ),
  defaultTargetGroupArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
      'expected the ARN of the target group the baseline lane serves from (…:targetgroup/{name}/{id})',
    ),
  /** A security group of the adopted load balancer; the service's tasks admit it on the container port. */
  securityGroupId: z
    .string()
    .regex(
      /^sg-[0-9a-f]{8,17}$/,
      'expected the id of a security group of the existing load balancer (sg-...); its tasks admit traffic from it',
    ),
});

const awsEnvironmentSchema = z.strictObject({
  name: envName,
  target: z.literal('aws').default('aws'),
  account: awsAccount,
  region: awsRegion,
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id such as "vpc-0abc1234"'),
  privateSubnets: z
    .array(subnetId)
    .min(2, 'list at least two private subnets, in different Availability Zones'),
  publicSubnets: z
    .array(subnetId)
    .min(2, 'list at least two public subnets (an ALB needs two Availability Zones)'),
  clusterName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected up to 255 letters, digits, hyphens and underscores')
    .optional(),
  initCloudMap: z.boolean().default(true),
  initAlb: z.boolean().default(true),
  initLog: z.boolean().default(true),
  baselineLane: laneName.default(DEFAULT_BASELINE_LANE),
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'expected an SNS topic ARN')
    .optional(),
  /** With `initCloudMap: false`: the id of the existing private DNS namespace `{env}.local`. */
  existingNamespaceId: z
    .string()
    .regex(/^ns-[a-z0-9]{16}$/, 'expected a Cloud Map namespace id such as "ns-abcdef0123456789"')
    .optional(),
  /** With `initAlb: false`: each service's existing load balancer, by service name. */
  existingAlbs: z.record(z.string(), existingAlbSchema).optional(),
  /** Lane lifecycle, quotas and the ALB's rule budget (policy.ts). @default every default of the policy */
  policy: lanePolicySchema.prefault({}),
  /** Prices for cost estimates, overriding the dated table (cost.ts). @default the table's prices of `region` */
  prices: pricesSchema.optional(),
});

const localEnvironmentSchema = z.strictObject({
  name: envName,
  target: z.literal('local'),
  baselineLane: laneName.default(DEFAULT_BASELINE_LANE),
  /** First port of the range the local target gives gateways, lanes and the registry. */
  basePort: z.number().int().min(1024).max(60000).default(7100),
  /** Lane lifecycle, quotas and the rule budget, as on AWS (policy.ts). @default every default of the policy */
  policy: lanePolicySchema.prefault({}),
  /** The AWS environment this one mirrors: `lanes ls` shows what its lanes would cost there. @default none */
  mirrors: envName.optional(),
});

const environmentSchema = z.preprocess(
  // `target` may be left out: it defaults to "aws".
  (v) => (v !== null && typeof v === 'object' && !('target' in v) ? { ...v, target: 'aws' } : v),
  z.discriminatedUnion('target', [
    awsEnvironmentSchema.extend({ target: z.literal('aws') }),
    localEnvironmentSchema,
  ]),
);

const appRepoSchema = z.strictObject({
  repository,
  branch: branch.default('main'),
  connectionArn: connectionArn.optional(),
  /** A local directory (a git repository) used as the App repo by the local target. */
  localPath: z.string().min(1).optional(),
});

const blueGreenSchema = z.strictObject({
  enabled: z.boolean().default(false),
  // At most MAX_BAKE_TIME_MINUTES, so that a blue/green deploy fits in the app pipeline's Deploy job.
  bakeTimeMinutes: z.number().int().min(0).max(MAX_BAKE_TIME_MINUTES).default(5),
  testHeaderName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,40}$/, 'expected an HTTP header name of at most 40 characters')
    .default('x-lanes-test'),
});

const localRunSchema = z.strictObject({
  /** Command that starts one instance; it gets PORT, ENV, LANE and LANES_REGISTRY_URL in its environment. */
  run: z.string().min(1, 'give the command that starts the service, for example "node server.js"'),
  /** Command run once in a fresh checkout before `run` (for example `npm ci`). @default none */
  build: z.string().min(1).optional(),
});

/**
 * The propagation gate: after a lane's own checks, `lanes verify` and the Verify stage trace one request in the
 * lane along `dependsOn` and fail when a hop is `[NG]` (docs/trace.md).
 */
const traceSchema = z.strictObject({
  /** Run the gate for this service's lanes. @default true */
  gate: z.boolean().default(true),
  /** The path of the traced request; choose one that calls every service in dependsOn. @default '/' */
  path: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/, 'expected an absolute path such as "/" or "/api/orders"')
    .default('/'),
});

const serviceSchema = z.strictObject({
  name: serviceName,
  appRepo: appRepoSchema,
  modulePath: z.string().min(1).default('.'),
  port: z.number().int().min(1).max(65535),
  healthPath: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/, 'expected an absolute path such as "/healthz"')
    .default('/healthz'),
  cpu: z
    .number()
    .int()
    .refine((cpu) => FARGATE_TASK_SIZES[cpu] !== undefined, {
      message: `is not a Fargate CPU size; use one of ${Object.keys(FARGATE_TASK_SIZES).join(', ')}`,
    })
    .default(256),
  memory: z.number().int().default(512),
  desiredCount: z.number().int().min(0).max(100).default(1),
  blueGreen: blueGreenSchema.default({ enabled: false, bakeTimeMinutes: 5, testHeaderName: 'x-lanes-test' }),
  serviceConnect: z.boolean().default(false),
  /** Services this one calls: documentation for people, and the start order of the local target. */
  dependsOn: z.array(z.string()).default([]),
  local: localRunSchema.optional(),
  /** The propagation gate of `lanes verify` and the Verify stage (docs/trace.md). */
  trace: traceSchema.default({ gate: true, path: '/' }),
});

const configSchema = z
  .strictObject({
    project: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,29}$/,
        'expected lowercase letters, digits and hyphens, at most 30, starting with a letter',
      ),
    infraRepo: infraRepoSchema,
    environments: z.array(environmentSchema).min(1, 'declare at least one environment'),
    services: z.array(serviceSchema).min(1, 'declare at least one service'),
  })
  .superRefine((cfg, ctx) => {
    for (const i of duplicates(cfg.environments.map((e) => e.name))) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'name'],
        message: `environment "${cfg.environments[i]!.name}" is declared twice; give each environment a unique name`,
      });
    }
    for (const i of duplicates(cfg.services.map((s) => s.name))) {
      ctx.addIssue({
        code: 'custom',
        path: ['services', i, 'name'],
        message: `service "${cfg.services[i]!.name}" is declared twice; give each service a unique name`,
      });
    }
    const names = new Set(cfg.services.map((s) => s.name));
    const hasLocal = cfg.environments.some((e) => e.target === 'local');
    cfg.services.forEach((svc, i) => {
      svc.dependsOn.forEach((dep, j) => {
        if (!names.has(dep) || dep === svc.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'dependsOn', j],
            message:
              dep === svc.name
                ? 'a service cannot depend on itself; remove it from dependsOn'
                : `unknown service "${dep}"; declare it under services or remove it (known: ${[...names].join(', ')})`,
          });
        }
      });
      const memories = FARGATE_TASK_SIZES[svc.cpu];
      if (memories && !memories.includes(svc.memory)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'memory'],
          message: `${svc.memory} MiB is not allowed with cpu ${svc.cpu}; use one of ${memories.join(', ')}`,
        });
      }
      if (hasLocal && !svc.local) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'local'],
          message:
            'a local environment is declared, so each service needs local.run (the command that starts it)',
        });
      }
      if (hasLocal && !svc.appRepo.localPath) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'appRepo', 'localPath'],
          message:
            'a local environment is declared, so each service needs appRepo.localPath (a directory holding its code)',
        });
      }
    });
    cfg.environments.forEach((env, i) => {
      if (env.target === 'local' && env.mirrors !== undefined) {
        const aws = cfg.environments.filter((e) => e.target === 'aws').map((e) => e.name);
        if (!aws.includes(env.mirrors)) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', i, 'mirrors'],
            message: `mirrors names no aws environment of this file; use one of: ${aws.join(', ') || '(none declared)'}, or remove mirrors`,
          });
        }
      }
      if (env.target !== 'aws') return;
      if (!env.initCloudMap && !env.existingNamespaceId) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', i, 'existingNamespaceId'],
          message: `initCloudMap is false, so give the id of the existing namespace ${env.name}.local here (or set initCloudMap: true)`,
        });
      }
      const albs = env.existingAlbs ?? {};
      for (const name of Object.keys(albs)) {
        if (!names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', i, 'existingAlbs', name],
            message: `unknown service "${name}"; existingAlbs is keyed by service name (known: ${[...names].join(', ')})`,
          });
        }
      }
      if (!env.initAlb) {
        for (const svc of cfg.services) {
          if (albs[svc.name] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['environments', i, 'existingAlbs'],
              message: `initAlb is false, so give service "${svc.name}" its existing load balancer under existingAlbs.${svc.name} (loadBalancerArn, dnsName, listenerArn, defaultTargetGroupArn, securityGroupId), or set initAlb: true`,
            });
          }
        }
      }
    });
    // The app pipeline of (service, env) may change ECS services, alarms and target groups named
    // `{service}-{env}-*` (IAM prefixes; lane stacks are unambiguous: `app-{service}--{env}-*`). No other
    // service's lane resources in an environment of this config may fall under that prefix.
    const awsEnvs = cfg.environments.filter((e) => e.target === 'aws').map((e) => e.name);
    cfg.services.forEach((other, i) => {
      const clash = cfg.services
        .filter((svc) => svc !== other)
        .flatMap((svc) => awsEnvs.flatMap((e1) => awsEnvs.map((e2) => ({ svc, e1, e2 }))))
        .find(({ svc, e1, e2 }) => `${other.name}-${e2}-`.startsWith(`${svc.name}-${e1}-`));
      if (clash) {
        const { svc, e1, e2 } = clash;
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'name'],
          message: `lane resources of "${other.name}" in ${e2} (${other.name}-${e2}-*) fall under the ECS services, alarms and target groups that the app pipeline of "${svc.name}" in ${e1} may change (${svc.name}-${e1}-*); rename one of the services`,
        });
      }
    });
    const cycle = findCycle(cfg.services);
    if (cycle) {
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message: `dependsOn has a cycle (${cycle.join(' -> ')}); services must call each other without loops`,
      });
    }
  });

function duplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}

function findCycle(
  services: readonly { name: string; dependsOn: readonly string[] }[],
): string[] | undefined {
  const deps = new Map(services.map((s) => [s.name, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      const found = deps.has(dep) ? visit(dep) : undefined;
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const s of services) {
    const found = visit(s.name);
    if (found) return found;
  }
  return undefined;
}

/** A validated `lanes.yaml`, with every default applied. */
export type LanesConfig = z.output<typeof configSchema>;
/** One environment of a {@link LanesConfig}. */
export type EnvironmentConfig = LanesConfig['environments'][number];
/** An environment deployed to AWS. */
export type AwsEnvironmentConfig = Extract<EnvironmentConfig, { target: 'aws' }>;
/** An environment run by the local target. */
export type LocalEnvironmentConfig = Extract<EnvironmentConfig, { target: 'local' }>;
/** One service of a {@link LanesConfig}. */
export type ServiceConfig = LanesConfig['services'][number];

/** One problem found in a configuration file. */
export interface ConfigIssue {
  /** The file the problem is in, as given to {@link parseConfig}. */
  readonly file: string;
  /** Path in the document, for example `services[2].port`; empty for the whole document. */
  readonly path: string;
  /** 1-based line of the offending node, when known. */
  readonly line?: number;
  /** 1-based column of the offending node, when known. */
  readonly column?: number;
  /** What was wrong and how to fix it. */
  readonly message: string;
}

/** The outcome of {@link parseConfig}: a configuration, or every problem found. */
export type ConfigResult =
  | { readonly ok: true; readonly config: LanesConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Thrown by {@link loadConfigOrThrow}; carries every issue. */
export class ConfigError extends Error {
  /** Every problem found, in document order. */
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Formats a path array as `services[2].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Formats an issue as `file:line:col services[2].port: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** The most alias expansions a config may make (the yaml library's default, stated here): more is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates the text of a `lanes.yaml`.
 * Never throws for bad input: every YAML and schema problem is returned, with its line when known.
 * @param text the file's content
 * @param file the file name used in messages @default 'lanes.yaml'
 */
export function parseConfig(text: string, file = 'lanes.yaml'): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    // Only the first: the parser's later errors are almost always caused by it (one line indented a space too
    // little gives eight).
    const pos = lineCounter.linePos(first.pos[0]);
    const more = doc.errors.length - 1;
    return {
      ok: false,
      issues: [
        {
          file,
          path: '',
          line: pos.line,
          column: pos.col,
          message:
            `${first.message.split('\n')[0]}; fix the YAML syntax` +
            (more > 0
              ? ` (${more} more YAML error${more === 1 ? '' : 's'} after it, most likely caused by it)`
              : ''),
        },
      ],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library refuses a document whose aliases expand too far (a "billion laughs" alias bomb).
    const excessive = error instanceof ReferenceError && /alias count/i.test(error.message);
    return {
      ok: false,
      issues: [
        {
          file,
          path: '',
          message: excessive
            ? `its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} nodes, which a config never needs (an alias bomb?); write the values out instead of nesting aliases`
            : `${(error as Error).message}; fix the YAML`,
        },
      ],
    };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      issues: [
        { file, path: '', message: 'expected a mapping with project, infraRepo, environments and services' },
      ],
    };
  }
  const parsed = configSchema.safeParse(data);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issues = parsed.error.issues.map((issue): ConfigIssue => {
    const at = locate(doc, issue.path, lineCounter);
    return { file, path: formatPath(issue.path), ...at, message: describeIssue(issue, data) };
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.path.localeCompare(b.path));
  return { ok: false, issues };
}

/**
 * An issue found outside the schema (the file system, say) at `path` of the config document `text`, with the
 * line and column of that path when the document has it (else of its nearest parent).
 * @param text the config file's content
 * @param file the file name used in messages
 * @param path where in the document, for example `['services', 0, 'appRepo', 'localPath']`
 * @param message what is wrong and how to fix it
 */
export function configIssueAt(
  text: string,
  file: string,
  path: readonly PropertyKey[],
  message: string,
): ConfigIssue {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return { file, path: formatPath(path), ...locate(doc, path, lineCounter), message };
}

/** Like {@link parseConfig}, but returns the configuration or throws a {@link ConfigError}. */
export function loadConfigOrThrow(text: string, file = 'lanes.yaml'): LanesConfig {
  const result = parseConfig(text, file);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

function locate(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
  lineCounter: LineCounter,
): { line?: number; column?: number } {
  // Walk down as far as the document goes: a missing key points at its parent.
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    const r = (node as { range?: [number, number, number] } | undefined)?.range;
    if (r && (isMap(node) || isSeq(node) || node !== undefined)) {
      const pos = lineCounter.linePos(r[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const got = valueAt(data, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `is required (expected ${issue.expected}); add it`;
      return `expected ${issue.expected}, got ${describe(got)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_union':
      return `target must be "aws" or "local", got ${describe(valueAt(data, issue.path.at(-1) === 'target' ? issue.path : [...issue.path, 'target']))}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message}${got !== undefined && typeof got !== 'object' ? `, got ${describe(got)}` : ''}`;
    case 'custom':
      return typeof got === 'number' && issue.message.startsWith('is not')
        ? `${got} ${issue.message}`
        : issue.message;
    case 'invalid_format':
    case 'invalid_value':
      return `${issue.message}${got !== undefined ? `, got ${describe(got)}` : ''}`;
    default:
      return issue.message;
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Why `name` is not a valid service name, or undefined when it is. */
export function checkServiceName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_SERVICE_NAME_LENGTH || !SERVICE_PATTERN.test(name)) {
    return `"${name}" is not a valid service name: use 1 to ${MAX_SERVICE_NAME_LENGTH} lowercase letters, digits and single hyphens, starting with a letter and ending with a letter or digit`;
  }
  const first = name.split('-')[0]!;
  if ((RESERVED_SERVICE_PREFIXES as readonly string[]).includes(first) && name.includes('-')) {
    return `"${name}" starts with "${first}-", which is reserved for the shared layers' stacks and pipelines; choose another name`;
  }
  if ((RESERVED_SERVICE_PREFIXES as readonly string[]).includes(name)) {
    return `"${name}" is reserved for the shared layers' stacks and pipelines; choose another name`;
  }
  return undefined;
}

/** Why `name` is not a valid environment name, or undefined when it is. */
export function checkEnvironmentName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_ENV_NAME_LENGTH || !ENV_PATTERN.test(name)) {
    return `"${name}" is not a valid environment name: use 1 to ${MAX_ENV_NAME_LENGTH} lowercase letters and digits, starting with a letter (no hyphens: the environment separates service and lane in resource names)`;
  }
  return undefined;
}

/** Finds a service by name, or throws an error that lists the known services. */
export function findService(config: LanesConfig, name: string): ServiceConfig {
  const svc = config.services.find((s) => s.name === name);
  if (!svc) {
    throw new UnknownNameError(
      `unknown service "${name}"; known services: ${config.services.map((s) => s.name).join(', ')}`,
    );
  }
  return svc;
}

/** Finds an environment by name, or throws an error that lists the known environments. */
export function findEnvironment(config: LanesConfig, name: string): EnvironmentConfig {
  const env = config.environments.find((e) => e.name === name);
  if (!env) {
    throw new UnknownNameError(
      `unknown environment "${name}"; known environments: ${config.environments.map((e) => e.name).join(', ')}`,
    );
  }
  return env;
}

/** A service or environment name that the configuration does not declare. */
export class UnknownNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownNameError';
  }
}

/** The ECS cluster name of an AWS environment. @default `{project}-{env}` */
export function clusterNameOf(config: LanesConfig, env: AwsEnvironmentConfig): string {
  return env.clusterName ?? `${config.project}-${env.name}`;
}

/** Services in start order: every service after the services it depends on. */
export function servicesInStartOrder(config: LanesConfig): ServiceConfig[] {
  const byName = new Map(config.services.map((s) => [s.name, s]));
  const out: ServiceConfig[] = [];
  const seen = new Set<string>();
  const visit = (s: ServiceConfig) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    for (const d of s.dependsOn) {
      const dep = byName.get(d);
      if (dep) visit(dep);
    }
    out.push(s);
  };
  config.services.forEach(visit);
  return out;
}
