/**
 * `lanes synth [--out DIR] [-c lanes.yaml] [--json]`: writes the Infra repo (templates, the unified
 * buildspec, pipelines, stack policies, parameter files, README) for the config. Nothing is deployed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type Io, printJson } from '../output.js';
import { loadProject } from '../project.js';
import { CLI_VERSION } from '../version.js';

/** Options of `lanes synth`. */
export interface SynthCommandOptions {
  /** Config file. @default lanes.yaml */
  readonly config?: string;
  /** Output directory, relative to the working directory. @default templates */
  readonly out?: string;
  /** Print the written files as JSON. @default false */
  readonly json?: boolean;
  /** Synthesize the templates now with aws-cdk-lib instead of using the ones prebuilt into the CLI. @default false */
  readonly resynth?: boolean;
}

/** Runs `lanes synth`; returns the exit code. */
export async function synth(io: Io, options: SynthCommandOptions): Promise<number> {
  const { config, text: configText } = await loadProject(io.cwd, options.config);
  const out = path.resolve(io.cwd, options.out ?? 'templates');
  if (options.resynth)
    io.err(
      `synthesizing the templates of "${config.project}" (CloudFormation validation and cdk-nag included)...`,
    );
  // The light entry of @ecs-lanes/cdk: prebuilt templates, no aws-cdk-lib unless --resynth.
  const { infraRepo } = await import('@ecs-lanes/cdk/infra-repo');
  const { files, templates } = await infraRepo(config, {
    configText,
    cliVersion: CLI_VERSION,
    resynth: options.resynth ?? false,
  });
  await writeFiles(out, files);
  if (options.json) {
    printJson(io, { out, templates, files: [...files.keys()] });
  } else {
    for (const relative of files.keys()) io.out(path.join(options.out ?? 'templates', relative));
    io.err(
      `${files.size} files written to ${out} (templates ${templates === 'prebuilt' ? 'prebuilt into this CLI, validated and cdk-nag-checked at its build; --resynth synthesizes them now' : 'synthesized now'}); deploy order and commands: ${path.join(out, 'README.md')}`,
    );
  }
  return 0;
}

/** Files written at once by {@link writeFiles}: enough to keep libuv's 4 file-system threads busy. */
const WRITES_IN_FLIGHT = 16;

/**
 * Writes `files` (relative path → content) under `out`: each directory made once, then the files written
 * {@link WRITES_IN_FLIGHT} at a time (one after the other, 626 files of 50 services wait ~0.5 s on the file system).
 */
async function writeFiles(out: string, files: ReadonlyMap<string, string>): Promise<void> {
  const targets = [...files].map(([relative, content]) => [path.join(out, relative), content] as const);
  for (const dir of new Set(targets.map(([target]) => path.dirname(target))))
    await mkdir(dir, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const [target, content] = targets[next++]!;
      await writeFile(target, content);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, targets.length) }, worker));
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
    .option(
      '--resynth',
      'synthesize the templates now with aws-cdk-lib (seconds) instead of using the prebuilt ones',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes synth -c examples/lanes.yaml --out templates\n  $ lanes synth --out . --json\n  $ lanes synth --resynth',
    )
    .action(async (opts: SynthCommandOptions) => {
      program.setOptionValue('exitCode', await synth(io, opts));
    });
}
