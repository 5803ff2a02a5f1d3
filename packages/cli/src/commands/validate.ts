/**
 * `lanes validate [-c lanes.yaml] [--json]`: loads and checks a config, prints what it found or every error.
 * Besides the schema, it checks that each service's `appRepo.localPath` is a directory when the config declares a
 * local environment.
 */

import { ConfigError, environmentNames, serviceNames } from '@ecs-lanes/core';
import type { Command } from 'commander';
import { appRepoPathIssues } from '../app-repo-check.js';
import { type Io, printJson, table } from '../output.js';
import { loadProject } from '../project.js';

/** Options of `lanes validate`. */
export interface ValidateOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Print JSON instead of text. @default false */
  readonly json?: boolean;
}

/** Runs `lanes validate`; returns the exit code. */
export async function validate(io: Io, options: ValidateOptions): Promise<number> {
  try {
    const project = await loadProject(io.cwd, options.config);
    const { config, configPath } = project;
    const pathIssues = await appRepoPathIssues(project, options.config ?? 'lanes.yaml');
    if (pathIssues.length > 0) throw new ConfigError(pathIssues);
    if (options.json) {
      printJson(io, { ok: true, file: configPath, config });
      return 0;
    }
    io.out(`${options.config ?? 'lanes.yaml'}: OK — project "${config.project}"`);
    io.out('');
    io.out(
      table(
        ['ENVIRONMENT', 'TARGET', 'WHERE', 'BASELINE', 'PIPELINE'],
        config.environments.map((e) => [
          e.name,
          e.target,
          e.target === 'aws' ? `${e.account}/${e.region}` : `127.0.0.1:${e.basePort}+`,
          e.baselineLane,
          e.target === 'aws' ? environmentNames(e.name).pipeline : '-',
        ]),
      ),
    );
    io.out('');
    io.out(
      table(
        ['SERVICE', 'PORT', 'HEALTH', 'CPU/MEM', 'DESIRED', 'BLUE/GREEN', 'CALLS', 'APP REPO'],
        config.services.map((s) => [
          s.name,
          String(s.port),
          s.healthPath,
          `${s.cpu}/${s.memory}`,
          String(s.desiredCount),
          s.blueGreen.enabled ? `yes (bake ${s.blueGreen.bakeTimeMinutes}m)` : 'no',
          s.dependsOn.join(',') || '-',
          `${s.appRepo.repository}@${s.appRepo.branch}`,
        ]),
      ),
    );
    const firstAws = config.environments.find((e) => e.target === 'aws');
    if (firstAws) {
      io.out('');
      io.out(
        `App pipelines in ${firstAws.name}: ${config.services.map((s) => serviceNames(s.name, firstAws.name).appPipeline).join(', ')}`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      if (options.json) printJson(io, { ok: false, issues: error.issues });
      else {
        for (const line of error.message.split('\n')) io.err(line);
        io.err(
          `${error.issues.length} problem${error.issues.length === 1 ? '' : 's'} found; nothing was changed.`,
        );
      }
      return 1;
    }
    throw error;
  }
}

/** Registers `lanes validate` on the program. */
export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description(
      'Load and check a lanes.yaml; print what it declares, or every problem with its line and path',
    )
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ lanes validate\n  $ lanes validate -c examples/lanes.yaml --json')
    .action(async (opts: ValidateOptions) => {
      program.setOptionValue('exitCode', await validate(io, opts));
    });
}
