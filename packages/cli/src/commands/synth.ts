/**
 * `lanes synth [--out DIR] [-c lanes.yaml] [--json]`: writes the Infra repo (templates, the unified
 * buildspec, pipelines, stack policies, parameter files, README) for the config. Nothing is deployed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type Io, printJson } from '../output.js';
import { loadProject } from '../project.js';

/** Options of `lanes synth`. */
export interface SynthCommandOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Output directory, relative to the working directory. @default templates */
  readonly out?: string;
  /** Print the written files as JSON. @default false */
  readonly json?: boolean;
}

/** Runs `lanes synth`; returns the exit code. */
export async function synth(io: Io, options: SynthCommandOptions): Promise<number> {
  const { config, configPath } = await loadProject(io.cwd, options.config);
  const configText = await readFile(configPath, 'utf8');
  const out = path.resolve(io.cwd, options.out ?? 'templates');
  io.err(
    `synthesizing the Infra repo of "${config.project}" (CloudFormation validation and cdk-nag included)...`,
  );
  // Loaded here, not at the top: aws-cdk-lib takes seconds to load, and every other command would pay for it.
  const { synthInfraRepo } = await import('@ecs-lanes/cdk');
  const files = synthInfraRepo(config, { configText });
  for (const [relative, content] of files) {
    const target = path.join(out, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  if (options.json) {
    printJson(io, { out, files: [...files.keys()] });
  } else {
    for (const relative of files.keys()) io.out(path.join(options.out ?? 'templates', relative));
    io.err(
      `${files.size} files written to ${out}; deploy order and commands: ${path.join(out, 'README.md')}`,
    );
  }
  return 0;
}

/** Registers `lanes synth` on the program. */
export function registerSynth(program: Command, io: Io): void {
  program
    .command('synth')
    .description(
      'Write the Infra repo: generic CloudFormation templates, pipelines, buildspec, parameter files',
    )
    .option('-c, --config <file>', 'config file', 'lanes.yaml')
    .option('-o, --out <dir>', 'output directory', 'templates')
    .option('--json', 'print the written files as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes synth -c examples/lanes.yaml --out templates\n  $ lanes synth --out . --json',
    )
    .action(async (opts: SynthCommandOptions) => {
      program.setOptionValue('exitCode', await synth(io, opts));
    });
}
