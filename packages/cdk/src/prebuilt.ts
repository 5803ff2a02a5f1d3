/**
 * `@ecs-lanes/cdk/infra-repo`: the Infra repo's files without loading aws-cdk-lib. The generic templates are
 * synthesized, validated (aws-cdk-lib's CloudFormation validator, strict) and checked by cdk-nag when this
 * package is built, and shipped as `dist/templates.json`; a drift test keeps that file equal to a fresh
 * synthesis. Only what depends on the config is computed here. `resynth` forces a fresh synthesis.
 */
import { readFileSync } from 'node:fs';
import type { LanesConfig } from '@ecs-lanes/core';
import { infraRepoFiles, type SynthesizedTemplates, type SynthOptions } from './infra-repo-files.js';

/** Where the build writes the prebuilt templates (the same path from `src/` and from `dist/`). */
export const PREBUILT_TEMPLATES = new URL('../dist/templates.json', import.meta.url);

/** The templates prebuilt into this package, or undefined when the package was not built with them. */
export function prebuiltTemplates(): SynthesizedTemplates | undefined {
  try {
    return JSON.parse(readFileSync(PREBUILT_TEMPLATES, 'utf8')) as SynthesizedTemplates;
  } catch {
    return undefined;
  }
}

/** Options of {@link infraRepo}. */
export interface InfraRepoOptions extends SynthOptions {
  /** Synthesize the templates now (seconds: loads aws-cdk-lib) instead of using the prebuilt ones. @default false */
  readonly resynth?: boolean;
}

/** What {@link infraRepo} wrote, and whether the templates were synthesized now or prebuilt. */
export interface InfraRepo {
  /** Every file, by its path relative to the repo's root, sorted. */
  readonly files: Map<string, string>;
  /** `prebuilt`: the templates built into this package; `synthesized`: a fresh CDK synthesis. */
  readonly templates: 'prebuilt' | 'synthesized';
}

/** Every file of the Infra repo for `config`, from the prebuilt templates unless `resynth` is set. */
export async function infraRepo(config: LanesConfig, options: InfraRepoOptions = {}): Promise<InfraRepo> {
  const prebuilt = options.resynth ? undefined : prebuiltTemplates();
  if (prebuilt) return { files: infraRepoFiles(config, prebuilt, options), templates: 'prebuilt' };
  const { synthTemplates } = await import('./infra-repo.js');
  return { files: infraRepoFiles(config, synthTemplates(), options), templates: 'synthesized' };
}
