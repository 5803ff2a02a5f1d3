/**
 * Entry point of the detached supervisor process: `node supervisor-main.js <spec.json>`.
 * Reports `{ ready: true }` or `{ error }` to the command that started it over IPC, then runs until
 * `POST /v1/shutdown`, SIGTERM or SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { localPaths } from './paths.js';
import { Supervisor, type SupervisorSpec } from './supervisor.js';

const specFile = process.argv[2];
if (!specFile) {
  console.error('usage: supervisor-main.ts <spec.json>');
  process.exit(2);
}
const spec = JSON.parse(await readFile(specFile, 'utf8')) as SupervisorSpec;
const supervisor = new Supervisor(spec, localPaths(spec.root, spec.env, spec.configFile));
const say = (message: unknown) => {
  if (process.send && process.connected) process.send(message);
};
try {
  await supervisor.start();
  console.error(`${new Date().toISOString()} lanes supervisor of "${spec.env}" ready (pid ${process.pid})`);
  say({ ready: true, pid: process.pid });
} catch (error) {
  console.error(`${new Date().toISOString()} lanes supervisor failed to start: ${(error as Error).message}`);
  say({ error: (error as Error).message });
  process.exitCode = 1;
  process.disconnect?.();
  await new Promise((r) => setTimeout(r, 50));
  process.exit(1);
}
if (process.connected) process.disconnect();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void supervisor.shutdown());
}
await supervisor.closed;
console.error(`${new Date().toISOString()} lanes supervisor of "${spec.env}" stopped`);
process.exit(0);
