/**
 * Wiring of the AWS control plane for the CLI: the target options of an AWS environment (profile, region,
 * confirmation, and the templates synthesized by `@ecs-lanes/cdk`), shared by the generic lane commands
 * (through `targets.ts`) and the AWS-only commands (`env deploy`, `service bootstrap`, `ci`, `plan`).
 * Tests replace parts of the options (clients wired to the fake, a virtual clock) with {@link overrideAwsOptions}.
 */
import type { AwsContext, AwsTargetOptions, StackTemplate, TemplateSource } from '@ecs-lanes/aws';
import {
  type AwsEnvironmentConfig,
  type EnvironmentConfig,
  environmentNames,
  type LanesConfig,
  serviceNames,
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
    // Set by the app pipeline's buildspec: the role CloudFormation assumes for lane stacks.
    ...(io.env.LANES_CFN_ROLE_ARN ? { laneStackRoleArn: io.env.LANES_CFN_ROLE_ARN } : {}),
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

/** A parameter file of the Infra repo (CodePipeline template-configuration format). */
interface ParameterFile {
  readonly Parameters: Record<string, string>;
  readonly Tags?: Record<string, string>;
  readonly StackPolicy?: unknown;
}

/**
 * Templates and parameter files from `@ecs-lanes/cdk/infra-repo` — the same files `lanes synth` writes to the
 * Infra repo and its pipelines deploy — from the templates prebuilt into the package, loaded on first use.
 * Stack names and the deploy order are the Infra repo README's.
 */
export function cdkTemplates(config: LanesConfig): TemplateSource {
  let synthesized: Promise<{ files: Map<string, string>; paths: Record<string, string> }> | undefined;
  const synth = () => {
    synthesized ??= (async () => {
      const [{ infraRepo }, { TEMPLATE_FILES }] = await Promise.all([
        import('@ecs-lanes/cdk/infra-repo'),
        import('@ecs-lanes/cdk/template-files'),
      ]);
      return { files: (await infraRepo(config)).files, paths: TEMPLATE_FILES as Record<string, string> };
    })();
    return synthesized;
  };
  const file = (files: Map<string, string>, path: string): string => {
    const body = files.get(path);
    if (body === undefined)
      throw new UserError(`@ecs-lanes/cdk produced no ${path}; run lanes validate, then report it`);
    return body;
  };
  const stack = async (
    stackName: string,
    kind: string,
    params: string,
    shared: boolean,
  ): Promise<StackTemplate> => {
    const { files, paths } = await synth();
    const parsed = JSON.parse(file(files, params)) as ParameterFile;
    return {
      stackName,
      templateBody: file(files, paths[kind]!),
      parameters: parsed.Parameters,
      ...(parsed.Tags ? { tags: parsed.Tags } : {}),
      ...(parsed.StackPolicy ? { stackPolicy: JSON.stringify(parsed.StackPolicy) } : {}),
      ...(shared ? { terminationProtection: true } : {}),
    };
  };
  return {
    laneStackTemplate: async () => {
      const { files, paths } = await synth();
      return file(files, paths.lane!);
    },
    environmentStacks: async (_config, env) => {
      const names = environmentNames(env.name);
      const dir = `params/${env.name}`;
      return [
        await stack(names.networkStack, 'network', `${dir}/infra-network.json`, true),
        await stack(names.namespaceStack, 'namespace', `${dir}/infra-namespace.json`, true),
        await stack(`pipeline-${names.pipeline}`, 'pipelineInfra', `${dir}/pipeline-infra.json`, false),
      ];
    },
    serviceStacks: async (_config, service, env) => {
      const names = serviceNames(service.name, env.name);
      const dir = `params/${env.name}/${service.name}`;
      return [
        await stack(names.sdStack, 'sd', `${dir}/boot-sd.json`, true),
        await stack(names.logStack, 'log', `${dir}/boot-log.json`, true),
        await stack(names.ecrStack, 'ecr', `${dir}/boot-ecr.json`, true),
        await stack(names.albStack, 'alb', `${dir}/boot-alb.json`, true),
        await stack(
          `pipeline-${names.bootstrapPipeline}`,
          'pipelineBoot',
          `${dir}/pipeline-boot.json`,
          false,
        ),
        await stack(`pipeline-${names.appPipeline}`, 'pipelineApp', `${dir}/pipeline-app.json`, false),
      ];
    },
  };
}
