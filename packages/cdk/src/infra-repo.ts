/**
 * `synthInfraRepo(config)`: every file of the Infra repo, as a map from relative path to content.
 * The templates are generic (the same for every service, environment and lane) and synthesized once per
 * process; the parameter files, the README's commands, `lanes.yaml` and `package.json` come from the config.
 *
 * Synthesis runs aws-cdk-lib's built-in CloudFormation validation in strict mode and cdk-nag's
 * AwsSolutionsChecks: any unacknowledged finding fails it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  albStackParameters,
  appPipelineParameters,
  awsEnvironments,
  bootPipelineParameters,
  ecrStackParameters,
  infraPipelineParameters,
  type LanesConfig,
  logStackParameters,
  namespaceStackParameters,
  networkStackParameters,
  sdStackParameters,
} from '@ecs-lanes/core';
import { type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlbStack } from './alb-stack.js';
import { buildspecYaml } from './buildspec.js';
import { EcrStack } from './ecr-stack.js';
import { LaneServiceStack } from './lane-service-stack.js';
import { LogStack } from './log-stack.js';
import { NamespaceStack } from './namespace-stack.js';
import { NetworkStack } from './network-stack.js';
import { PipelineAppStack } from './pipeline-app-stack.js';
import { PipelineBootStack } from './pipeline-boot-stack.js';
import { PipelineInfraStack } from './pipeline-infra-stack.js';
import { TEMPLATE_FILES } from './pipeline-kit.js';
import { infraRepoReadme } from './readme.js';
import { SdStack } from './sd-stack.js';
import { type StackPolicy, stackPolicy } from './stack-policies.js';
import { newInfraApp } from './template-kit.js';
import { toYaml } from './yaml-emit.js';

/** The npm package the Infra repo's CodeBuild jobs run as `npx lanes`. */
export const INFRA_REPO_PACKAGE = '@ecs-lanes/cli';

/** The kinds of template, by their file in the Infra repo. */
export type TemplateKind = keyof typeof TEMPLATE_FILES;

/** The shared stacks that carry a stack policy, and the policy file of each. */
export const POLICY_FILES = {
  network: 'policies/network-stack-policy.json',
  namespace: 'policies/namespace-stack-policy.json',
  sd: 'policies/sd-stack-policy.json',
  log: 'policies/log-stack-policy.json',
  alb: 'policies/alb-stack-policy.json',
  ecr: 'policies/ecr-stack-policy.json',
} as const;

/** What synthesis of the generic templates produces. */
export interface SynthesizedTemplates {
  /** Each template as CloudFormation JSON. */
  readonly templates: Readonly<Record<TemplateKind, Record<string, unknown>>>;
  /** The stack policy of each shared stack. */
  readonly policies: Readonly<Record<keyof typeof POLICY_FILES, StackPolicy>>;
}

let cached: SynthesizedTemplates | undefined;

/** The stacks of every template, in one app checked by cdk-nag. Exposed for the assertion tests. */
export function buildInfraApp(outdir?: string) {
  const app = newInfraApp(outdir);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stacks = {
    network: new NetworkStack(app, 'NetworkStack'),
    namespace: new NamespaceStack(app, 'NamespaceStack'),
    sd: new SdStack(app, 'SdStack'),
    log: new LogStack(app, 'LogStack'),
    alb: new AlbStack(app, 'AlbStack'),
    ecr: new EcrStack(app, 'EcrStack'),
    lane: new LaneServiceStack(app, 'LaneServiceStack'),
    pipelineInfra: new PipelineInfraStack(app, 'PipelineInfraStack'),
    pipelineBoot: new PipelineBootStack(app, 'PipelineBootStack'),
    pipelineApp: new PipelineAppStack(app, 'PipelineAppStack'),
  } satisfies Record<TemplateKind, Stack>;
  const policies = {
    network: stackPolicy([stacks.network.sharedSecurityGroupLogicalId]),
    namespace: stackPolicy(stacks.namespace.sharedLogicalIds),
    sd: stackPolicy(stacks.sd.sharedLogicalIds),
    log: stackPolicy(stacks.log.sharedLogicalIds),
    alb: stackPolicy(stacks.alb.sharedLogicalIds, [stacks.alb.listenerLogicalId]),
    ecr: stackPolicy(stacks.ecr.sharedLogicalIds),
  };
  return { app, stacks, policies };
}

/** Synthesizes the generic templates (once per process) and returns them with the stack policies. */
export function synthTemplates(): SynthesizedTemplates {
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), 'ecs-lanes-synth-'));
  try {
    const { app, stacks, policies } = buildInfraApp(outdir);
    const assembly = app.synth();
    const templates = {} as Record<TemplateKind, Record<string, unknown>>;
    for (const [kind, stack] of Object.entries(stacks) as [TemplateKind, Stack][]) {
      templates[kind] = assembly.getStackByName(stack.stackName).template as Record<string, unknown>;
    }
    cached = { templates, policies };
    return cached;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Options of {@link synthInfraRepo}. */
export interface SynthOptions {
  /** The text of `lanes.yaml`, copied verbatim. @default the config as JSON (valid YAML) */
  readonly configText?: string;
  /** Version of `@ecs-lanes/cli` pinned in the Infra repo's package.json. @default '0.1.0' */
  readonly cliVersion?: string;
}

/** A parameter file in the CodePipeline template-configuration format. */
function parameterFile(
  parameters: Record<string, string>,
  tags: Record<string, string>,
  policy?: StackPolicy,
): string {
  return `${JSON.stringify({ Parameters: parameters, Tags: tags, ...(policy ? { StackPolicy: policy } : {}) }, null, 2)}\n`;
}

/**
 * Every file of the Infra repo for `config`: templates, buildspec, stack policies, parameter files,
 * README, `lanes.yaml` and `package.json`. Pure apart from a temporary directory used by the first synthesis.
 */
export function synthInfraRepo(config: LanesConfig, options: SynthOptions = {}): Map<string, string> {
  const { templates, policies } = synthTemplates();
  const files = new Map<string, string>();
  files.set('README.md', infraRepoReadme(config));
  files.set('lanes.yaml', options.configText ?? `${JSON.stringify(config, null, 2)}\n`);
  files.set(
    'package.json',
    `${JSON.stringify(
      {
        name: `${config.project}-infra`,
        private: true,
        description: `Infra repo of ${config.project}: templates, pipelines and the unified buildspec (generated by lanes synth)`,
        engines: { node: '>=20.19.0' },
        dependencies: { [INFRA_REPO_PACKAGE]: options.cliVersion ?? '0.1.0' },
      },
      null,
      2,
    )}\n`,
  );
  files.set('ci/buildspec.yaml', buildspecYaml());
  for (const [kind, path] of Object.entries(TEMPLATE_FILES) as [TemplateKind, string][]) {
    files.set(path, toYaml(templates[kind]));
  }
  for (const [kind, path] of Object.entries(POLICY_FILES) as [keyof typeof POLICY_FILES, string][]) {
    files.set(path, `${JSON.stringify(policies[kind], null, 2)}\n`);
  }

  for (const env of awsEnvironments(config)) {
    const tags = { 'ecs-lanes:project': config.project, 'ecs-lanes:env': env.name };
    const dir = `params/${env.name}`;
    files.set(
      `${dir}/infra-network.json`,
      parameterFile(networkStackParameters(env), tags, policies.network),
    );
    files.set(
      `${dir}/infra-namespace.json`,
      parameterFile(namespaceStackParameters(config, env), tags, policies.namespace),
    );
    files.set(`${dir}/pipeline-infra.json`, parameterFile(infraPipelineParameters(config, env), tags));
    for (const service of config.services) {
      const sTags = { ...tags, 'ecs-lanes:service': service.name };
      const sDir = `${dir}/${service.name}`;
      files.set(`${sDir}/boot-sd.json`, parameterFile(sdStackParameters(env, service), sTags, policies.sd));
      files.set(
        `${sDir}/boot-log.json`,
        parameterFile(logStackParameters(env, service), sTags, policies.log),
      );
      files.set(
        `${sDir}/boot-alb.json`,
        parameterFile(albStackParameters(env, service), sTags, policies.alb),
      );
      files.set(
        `${sDir}/boot-ecr.json`,
        parameterFile(ecrStackParameters(env, service), sTags, policies.ecr),
      );
      files.set(
        `${sDir}/pipeline-boot.json`,
        parameterFile(bootPipelineParameters(config, env, service), sTags),
      );
      files.set(
        `${sDir}/pipeline-app.json`,
        parameterFile(appPipelineParameters(config, env, service), sTags),
      );
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
