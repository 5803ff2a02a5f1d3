#!/usr/bin/env node
// The `lanes` command: the CLI's compiled JavaScript (`npm run build`, run by `npm ci` in this repository).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv);
