/**
 * Wiring of the AWS control plane for the CLI: the target options of an AWS environment (profile, region,
 * confirmation, and the templates synthesized by `@ecs-lanes/cdk`), shared by the generic lane commands
 * (through `targets.ts`) and the AWS-only commands (`env deploy`, `service bootstrap`, `ci`, `plan`).
 * Tests replace parts of the options (clients wired to the fake, a virtual clock) with {@link overrideAwsOptions}.
 */
import type { AwsContext, AwsTargetOptions, TemplateSource } from '@ecs-lanes/aws';
import {
  type AwsEnvironmentConfig,
  type EnvironmentConfig,
  type LanesConfig,
  UserError,
} from '@ecs-lanes/core';
import type { Io } from './output.js';
import type { Project } from './project.js';
import { askYesNo, type TargetOptions } from './targets.js';

/** Changes the options of every AWS environment opened from now on (tests). */
export type AwsOptionsOverride = (options: AwsTargetOptions) => AwsTargetOptions;

let override: AwsOptionsOverride | undefined;

/** Replaces parts of the AWS options (tests). Returns a function that restores the default. */
export function overrideAwsOptions(fn: AwsOptionsOverride): () => void {
  override = fn;
  return () => {
    override = undefined;
  };
}

/** The environment as an AWS environment, or a UserError saying it is not one. */
export function awsEnvironment(env: EnvironmentConfig, command: string): AwsEnvironmentConfig {
  if (env.target !== 'aws') {
    throw new UserError(`${command} works on AWS environments; ${env.name} is a ${env.target} environment`);
  }
  return env;
}

/** The target options of an AWS environment. */
export function awsTargetOptions(
  project: Project,
  env: AwsEnvironmentConfig,
  io: Io,
  options: TargetOptions,
): AwsTargetOptions {
  const base: AwsTargetOptions = {
    config: project.config,
    env,
    root: project.root,
    templates: cdkTemplates(project.config),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(io.interactive ? { confirm: (q: string) => askYesNo(io, q) } : {}),
  };
  return override ? override(base) : base;
}

/** The control plane's context for an AWS environment (AWS-only commands). */
export async function openAwsContext(
  project: Project,
  env: AwsEnvironmentConfig,
  io: Io,
  options: TargetOptions,
): Promise<AwsContext> {
  const { createAwsContext } = await import('@ecs-lanes/aws');
  return createAwsContext(awsTargetOptions(project, env, io, options));
}

/** The shape of `@ecs-lanes/cdk` this wiring uses (it lands with issue 3). */
interface CdkModule {
  synthInfraRepo?: (config: LanesConfig) => Map<string, string> | Promise<Map<string, string>>;
}

/**
 * Templates from `@ecs-lanes/cdk`'s `synthInfraRepo` (loaded on first use, so commands that need no template
 * never load aws-cdk-lib): the lane stack is `ci/service-stack.yaml`.
 */
export function cdkTemplates(config: LanesConfig): TemplateSource {
  let files: Promise<Map<string, string>> | undefined;
  const synth = () => {
    files ??= (async () => {
      const cdk = (await import('@ecs-lanes/cdk')) as unknown as CdkModule;
      if (typeof cdk.synthInfraRepo !== 'function') {
        throw new UserError(
          'this build of @ecs-lanes/cdk cannot synthesize templates yet (no synthInfraRepo); deploy from the Infra repo pipeline',
        );
      }
      return cdk.synthInfraRepo(config);
    })();
    return files;
  };
  const layerNotWired = (layer: string) =>
    Promise.reject(
      new UserError(
        `the ${layer} templates of @ecs-lanes/cdk are not wired to the CLI yet; deploy the ${layer} through its pipeline in the Infra repo`,
      ),
    );
  return {
    laneStackTemplate: async () => {
      const body = (await synth()).get('ci/service-stack.yaml');
      if (!body) throw new UserError('@ecs-lanes/cdk produced no ci/service-stack.yaml');
      return body;
    },
    environmentStacks: () => layerNotWired('environment'),
    serviceStacks: () => layerNotWired('service'),
  };
}
