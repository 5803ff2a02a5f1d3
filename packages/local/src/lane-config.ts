/**
 * A lane's configuration on the local target (issue 18), with the layout Parameter Store has on AWS, in one file
 * per environment, `.lanes/config/{env}.yaml`:
 *
 * ```yaml
 * services:
 *   orders:
 *     config:                     # /{project}/{env}/orders/{KEY} on AWS
 *       FEATURE_FLAG: "off"       # a plain string, or { value, version, secure }
 *     lanes:
 *       gray:                     # /{project}/{env}/orders/lanes/gray/{KEY} on AWS
 *         FEATURE_FLAG: { value: "on", version: 2 }
 * ```
 *
 * `lanes config set|unset` rewrite it atomically under a lock (concurrent commands never lose a change); a hand
 * edit works too. A secure value is stored as given (this is a developer machine) but never printed. A deploy
 * resolves the lane's set from it and the supervisor starts the lane's process with those variables.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ConfigChangeResult,
  type ConfigEntry,
  type ConfigTarget,
  configKeyProblem,
  configValueProblem,
  effectiveConfig,
  type LaneConfigStore,
  type LanesConfig,
  UserError,
} from '@ecs-lanes/core';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { localStateDir } from './paths.js';

interface StoredValue {
  value: string;
  version: number;
  secure?: boolean;
}

type Scope = Record<string, string | StoredValue>;

interface ConfigFile {
  services?: Record<string, { config?: Scope; lanes?: Record<string, Scope> }>;
}

/**
 * The configuration file of local environment `env`: `{root}/.lanes/config/{env}.yaml` (under
 * `.lanes/configs/{file name}/` for a config file not named lanes.yaml, see {@link localStateDir}).
 * @param configFile the config file's path or name @default lanes.yaml
 */
export function localConfigFile(root: string, env: string, configFile?: string): string {
  return path.join(localStateDir(root, configFile), 'config', `${env}.yaml`);
}

/** Options of {@link createLocalConfigStore}. */
export interface LocalConfigStoreOptions {
  readonly config: LanesConfig;
  /** Directory of lanes.yaml. */
  readonly root: string;
  /** The local environment's name. */
  readonly env: string;
  /** The config file's path or name; another name than lanes.yaml has its own state. @default lanes.yaml */
  readonly configFile?: string;
}

async function readConfigFile(file: string): Promise<ConfigFile> {
  if (!existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UserError(
      `${file}: expected a mapping with "services" (see docs/operations.md, "Configuration")`,
    );
  }
  return doc as ConfigFile;
}

function entriesOf(
  file: string,
  scope: Scope | undefined,
  kind: ConfigEntry['scope'],
  where: string,
): ConfigEntry[] {
  return Object.entries(scope ?? {})
    .map(([key, raw]): ConfigEntry => {
      const problem = configKeyProblem(key);
      if (problem) throw new UserError(`${file}: ${where}: ${problem}`);
      const stored: StoredValue =
        typeof raw === 'object' && raw !== null ? raw : { value: String(raw), version: 1 };
      const secure = stored.secure === true;
      return {
        key,
        scope: kind,
        ...(secure ? {} : { value: String(stored.value) }),
        secure,
        version: Number(stored.version ?? 1),
        source: `${path.basename(file)}:${where}.${key}`,
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * The plain values of a lane's effective set, to start its process with (secure values included: the process
 * needs them; they never reach a log or an output).
 */
export async function resolveLocalLaneConfig(
  options: LocalConfigStoreOptions,
  service: string,
  lane: string,
): Promise<Record<string, string>> {
  const file = localConfigFile(options.root, options.env, options.configFile);
  const doc = await readConfigFile(file);
  const svc = doc.services?.[service];
  const values: Record<string, string> = {};
  const plainOf = (raw: string | StoredValue) =>
    typeof raw === 'object' && raw !== null ? String(raw.value) : String(raw);
  for (const [k, v] of Object.entries(svc?.config ?? {})) values[k] = plainOf(v);
  for (const [k, v] of Object.entries(svc?.lanes?.[lane] ?? {})) values[k] = plainOf(v);
  for (const k of Object.keys(values)) {
    const problem = configKeyProblem(k);
    if (problem) throw new UserError(`${file}: services.${service}: ${problem}`);
  }
  return values;
}

/** The configuration store of `lanes config` on the local target. */
export function createLocalConfigStore(options: LocalConfigStoreOptions): LaneConfigStore {
  const file = localConfigFile(options.root, options.env, options.configFile);
  const checkService = (service: string) => {
    if (!options.config.services.some((s) => s.name === service)) {
      throw new UserError(
        `unknown service "${service}"; known services: ${options.config.services.map((s) => s.name).join(', ')}`,
      );
    }
  };
  const list = async (target: ConfigTarget): Promise<ConfigEntry[]> => {
    checkService(target.service);
    const svc = (await readConfigFile(file)).services?.[target.service];
    return target.lane === undefined
      ? entriesOf(file, svc?.config, 'service', `services.${target.service}.config`)
      : entriesOf(file, svc?.lanes?.[target.lane], 'lane', `services.${target.service}.lanes.${target.lane}`);
  };
  return {
    list,
    effective: async (ref) =>
      effectiveConfig(await list({ service: ref.service, env: ref.env }), await list(ref)),
    async change(target, change, dryRun): Promise<ConfigChangeResult> {
      checkService(target.service);
      const problem = configKeyProblem(change.key);
      if (problem) throw new UserError(problem);
      if (change.kind === 'set') {
        const valueProblem = configValueProblem(change.key, change.value);
        if (valueProblem) throw new UserError(valueProblem);
      }
      const where =
        target.lane === undefined
          ? `services.${target.service}.config.${change.key}`
          : `services.${target.service}.lanes.${target.lane}.${change.key}`;
      const apply = async (commit: boolean): Promise<ConfigChangeResult> => {
        const doc = await readConfigFile(file);
        doc.services = doc.services ?? {};
        const svc = doc.services[target.service] ?? {};
        doc.services[target.service] = svc;
        let scope: Scope;
        if (target.lane === undefined) {
          svc.config = svc.config ?? {};
          scope = svc.config;
        } else {
          svc.lanes = svc.lanes ?? {};
          scope = svc.lanes[target.lane] ?? {};
          svc.lanes[target.lane] = scope;
        }
        const raw = scope[change.key];
        const current =
          raw === undefined ? undefined : typeof raw === 'object' ? raw : { value: String(raw), version: 1 };
        let action: string;
        let entry: ConfigEntry | undefined;
        if (change.kind === 'unset') {
          if (!current) {
            throw new UserError(
              `${change.key} is not set ${target.lane === undefined ? `for ${target.service}` : `in lane ${target.lane} of ${target.service}`} (${file}: ${where})`,
            );
          }
          action = `remove ${where} from ${file} (version ${current.version})`;
          delete scope[change.key];
        } else {
          const version = (current?.version ?? 0) + 1;
          const shown = change.secure ? '(secure value hidden)' : `= ${change.value}`;
          action = current
            ? `update ${where} ${shown} in ${file} (version ${current.version} -> ${version})`
            : `add ${where} ${shown} to ${file} (version 1)`;
          scope[change.key] = { value: change.value, version, ...(change.secure ? { secure: true } : {}) };
          entry = {
            key: change.key,
            scope: target.lane === undefined ? 'service' : 'lane',
            ...(change.secure ? {} : { value: change.value }),
            secure: change.secure,
            version,
            source: `${path.basename(file)}:${where}`,
          };
        }
        if (commit) {
          const header = '# ecs-lanes local configuration: see docs/operations.md, "Configuration"\n';
          // Values double-quoted: `off`, `no`, `0755` stay strings for every YAML reader (YAML 1.1 ones too).
          await writeFileAtomic(
            file,
            header + stringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }),
          );
        }
        return { dryRun: !commit, actions: [action], ...(entry ? { entry } : {}) };
      };
      if (dryRun) return apply(false);
      return withLock(`${file}.lock`, () => apply(true), { what: `the configuration file ${file}` });
    },
  };
}
