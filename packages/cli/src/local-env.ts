/**
 * The local environment a local-only command (`up`, `down`, `logs`, `demo`) acts on: `--env`, or the only local
 * environment of lanes.yaml.
 */
import { findEnvironment, type LocalEnvironmentConfig, UserError } from '@ecs-lanes/core';
import type { LocalEnvironment } from '@ecs-lanes/local';
import type { Io } from './output.js';
import { loadProject } from './project.js';

/** Options shared by the local-only commands. */
export interface LocalEnvOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Environment name. @default the only environment with target: local */
  readonly env?: string;
}

/** Loads the project and picks its local environment. */
export async function loadLocalEnvironment(io: Io, options: LocalEnvOptions): Promise<LocalEnvironment> {
  const { config, root, configPath } = await loadProject(io.cwd, options.config);
  let env: LocalEnvironmentConfig;
  if (options.env !== undefined) {
    const found = findEnvironment(config, options.env);
    if (found.target !== 'local') {
      throw new UserError(
        `environment "${found.name}" has target ${found.target}; this command needs a local one`,
      );
    }
    env = found;
  } else {
    const locals = config.environments.filter((e): e is LocalEnvironmentConfig => e.target === 'local');
    if (locals.length !== 1) {
      throw new UserError(
        locals.length === 0
          ? 'lanes.yaml declares no environment with target: local'
          : `lanes.yaml declares several local environments (${locals.map((e) => e.name).join(', ')}); choose one with --env`,
      );
    }
    env = locals[0]!;
  }
  return (await import('@ecs-lanes/local')).createLocalEnvironment({
    config,
    env,
    root,
    configFile: configPath,
  });
}
