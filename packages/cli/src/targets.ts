/**
 * Chooses the lane target of an environment, once (STYLE.md: no `if (target === ...)` through the flow).
 * Each target's package is imported only when used, so local commands never load the AWS SDK.
 */
import type { EnvironmentConfig, LaneTarget } from '@ecs-lanes/core';
import type { Io } from './output.js';
import type { Project } from './project.js';

/** Options every lane command accepts that some target uses. */
export interface TargetOptions {
  /** AWS named profile (aws target). @default the SDK's default credential chain */
  readonly profile?: string;
  /** AWS region (aws target). @default the environment's region in lanes.yaml */
  readonly region?: string;
}

/** Opens the lane target that serves `env`. */
export type TargetFactory = (
  project: Project,
  env: EnvironmentConfig,
  io: Io,
  options: TargetOptions,
) => Promise<LaneTarget>;

const FACTORIES: Record<EnvironmentConfig['target'], TargetFactory> = {
  aws: async (project, env, io, options) => {
    const [{ createAwsTarget }, { awsEnvironment, awsTargetOptions }] = await Promise.all([
      import('@ecs-lanes/aws'),
      import('./aws.js'),
    ]);
    return createAwsTarget(awsTargetOptions(project, awsEnvironment(env, 'the aws target'), io, options));
  },
  local: async (project, env) => {
    const { createLocalTarget } = await import('@ecs-lanes/local');
    if (env.target !== 'local') throw new Error('unreachable: local factory for a non-local environment');
    return createLocalTarget({
      config: project.config,
      env,
      root: project.root,
      configFile: project.configPath,
    });
  },
};

let override: TargetFactory | undefined;

/** Replaces the factory for every target (tests). Returns a function that restores the default. */
export function overrideTargetFactory(factory: TargetFactory): () => void {
  override = factory;
  return () => {
    override = undefined;
  };
}

/** Opens the lane target of `env`. */
export function openTarget(
  project: Project,
  env: EnvironmentConfig,
  io: Io,
  options: TargetOptions,
): Promise<LaneTarget> {
  return (override ?? FACTORIES[env.target])(project, env, io, options);
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function askYesNo(io: Io, question: string): Promise<boolean> {
  if (!io.interactive) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
