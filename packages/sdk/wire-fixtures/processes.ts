/**
 * Starts the fixture services of `src/wire.e2e.test.ts` as real processes on 127.0.0.1 (port 0: the process
 * prints the port it got), and stops them. The fixtures live outside `src` so that they are neither built nor
 * published; they run on the TypeScript sources (tsx and the `@ecs-lanes/source` export condition), so a test never
 * runs a stale build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One running service. */
export interface RunningService {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

const TSX = import.meta.resolve('tsx');

/** Starts `script` (a file of this folder; `.ts` runs through tsx) with `env`, resolved when it listens. */
export function startService(
  script: string,
  name: string,
  env: Record<string, string>,
): Promise<RunningService> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const args = script.endsWith('.ts')
    ? ['--conditions=@ecs-lanes/source', '--import', TSX, file]
    : ['--conditions=@ecs-lanes/source', file];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SERVICE: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${output}`)), 60_000);
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /LISTENING (\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
}
