/**
 * Finding and loading the project's `lanes.yaml`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type LanesConfig, parseConfig } from '@ecs-lanes/core';

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'lanes.yaml';

/** A loaded project: its config and where it lives. */
export interface Project {
  /** The validated configuration. */
  readonly config: LanesConfig;
  /** Absolute path of the config file. */
  readonly configPath: string;
  /** Directory of the config file: relative paths in the config are resolved against it. */
  readonly root: string;
  /** The config file's content, as read. */
  readonly text: string;
}

/**
 * Reads and validates the config file.
 * @param configPath path given with `-c`, relative to `cwd` @default `lanes.yaml`
 * @throws ConfigError with every problem found; Error with a fix when the file cannot be read
 */
export async function loadProject(cwd: string, configPath = DEFAULT_CONFIG_FILE): Promise<Project> {
  const absolute = path.resolve(cwd, configPath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError([
      {
        file: configPath,
        path: '',
        message:
          code === 'ENOENT'
            ? 'no such file; create it (see examples/lanes.yaml) or pass its path with -c'
            : `cannot be read (${code ?? String(cause)})`,
      },
    ]);
  }
  const result = parseConfig(text, configPath);
  if (!result.ok) throw new ConfigError(result.issues);
  return { config: result.config, configPath: absolute, root: path.dirname(absolute), text };
}
