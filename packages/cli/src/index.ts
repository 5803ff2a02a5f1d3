/**
 * `@ecs-lanes/cli`: the `lanes` command. The command itself is `bin/lanes.js`; this entry lets a program run it
 * in-process (`main(argv, io)`) or build its parser (`createProgram`).
 */
export { createProgram, main, reportError } from './main.js';
export type { Io } from './output.js';
export { processIo } from './output.js';
