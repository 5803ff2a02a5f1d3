/**
 * `lanes demo [--keep]`: the local target's main job in one command (see `@ecs-lanes/local` demo.ts): App repos,
 * the baseline of web, orders and inventory, a gray lane of orders, and real requests showing the route.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type Io, progressPrinter } from '../output.js';
import { loadProject } from '../project.js';

/** Options of `lanes demo`. */
export interface DemoCommandOptions {
  readonly config?: string;
  readonly keep?: boolean;
  readonly basePort?: string;
}

/**
 * The example project the CLI ships (`demo/` beside `dist/`, copied from the repository's `examples/` at
 * build time), used when no `--config` is given, so that `npx lanes demo` works from an installed CLI.
 */
export const BUILT_IN_DEMO = fileURLToPath(new URL('../../demo/lanes.yaml', import.meta.url));

/** Runs `lanes demo`; returns the exit code (1 when a route was not the expected one). */
export async function demo(io: Io, options: DemoCommandOptions): Promise<number> {
  const builtIn = options.config === undefined;
  const { config, root } = await loadProject(io.cwd, options.config ?? BUILT_IN_DEMO);
  const { runDemo } = await import('@ecs-lanes/local');
  const result = await runDemo({
    config,
    root,
    // The built-in example lives inside the installed package: its demo project goes to the working directory.
    ...(builtIn ? { dir: path.join(io.cwd, '.lanes', 'demo') } : {}),
    keep: options.keep ?? false,
    ...(options.basePort ? { basePort: Number(options.basePort) } : {}),
    out: io.out,
    progress: progressPrinter(io),
  });
  return result.ok ? 0 : 1;
}

/** Registers `lanes demo`. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description(
      'Show lanes on this machine: start web -> orders -> inventory, deploy lane gray of orders, send requests',
    )
    .option('-c, --config <file>', 'an example lanes.yaml (default: the example shop this CLI ships)')
    .option('--keep', 'leave the environment running and print what to try')
    .option('--base-port <port>', "first port (default: the config's local basePort)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ lanes demo\n  $ lanes demo --keep\n  $ lanes demo -c examples/lanes.yaml --base-port 7300',
    )
    .action(async (opts: DemoCommandOptions) => {
      program.setOptionValue('exitCode', await demo(io, opts));
    });
}
