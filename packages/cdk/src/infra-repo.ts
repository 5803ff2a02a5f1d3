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
import type { LanesConfig } from '@ecs-lanes/core';
import { type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlbStack } from './alb-stack.js';
import { EcrStack } from './ecr-stack.js';
import {
  infraRepoFiles,
  POLICY_FILES,
  type SynthesizedTemplates,
  type SynthOptions,
  type TemplateKind,
} from './infra-repo-files.js';
import { LaneServiceStack } from './lane-service-stack.js';
import { LogStack } from './log-stack.js';
import { NamespaceStack } from './namespace-stack.js';
import { NetworkStack } from './network-stack.js';
import { PipelineAppStack } from './pipeline-app-stack.js';
import { PipelineBootStack } from './pipeline-boot-stack.js';
import { PipelineInfraStack } from './pipeline-infra-stack.js';
import { SdStack } from './sd-stack.js';
import { stackPolicy } from './stack-policies.js';
import { newInfraApp } from './template-kit.js';

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

/**
 * Every file of the Infra repo for `config`, from a fresh synthesis (validation and cdk-nag included).
 * Pure apart from a temporary directory used by the first synthesis of the process.
 */
export function synthInfraRepo(config: LanesConfig, options: SynthOptions = {}): Map<string, string> {
  return infraRepoFiles(config, synthTemplates(), options);
}

export {
  INFRA_REPO_PACKAGE,
  infraRepoFiles,
  POLICY_FILES,
  type SynthesizedTemplates,
  type SynthOptions,
  type TemplateKind,
} from './infra-repo-files.js';
