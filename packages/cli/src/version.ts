/**
 * The CLI's own version, from its package.json (the same path from `src/` and from `dist/`).
 */
import { readFileSync } from 'node:fs';

/** This CLI's version, as published. */
export const CLI_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
