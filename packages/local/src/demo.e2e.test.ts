import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRoute, runDemo } from './demo.js';
import { cleanup, e2ePort, exampleConfig, projectDir } from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';

const exec = promisify(execFile);
const dir = projectDir('demo');
let environment: LocalEnvironment | undefined;
afterAll(() => cleanup(environment, dir));

describe('lanes demo', () => {
  it('routes a gray request web(base) -> orders(gray, with its FEATURE_FLAG override) -> inventory(base), and one without a lane on the baseline', async () => {
    const { config, root } = await exampleConfig();
    const lines: string[] = [];
    const result = await runDemo({
      config,
      root,
      dir,
      basePort: e2ePort(0),
      keep: true,
      out: (l) => lines.push(l),
    });
    environment = result.environment;
    expect(formatRoute(result.withLane)).toBe(
      'web(base 1.0.0) -> orders(gray 1.0.0-gray FEATURE_FLAG=on) -> inventory(base 1.0.0)',
    );
    expect(formatRoute(result.withoutLane)).toBe(
      'web(base 1.0.0) -> orders(base 1.0.0 FEATURE_FLAG=off) -> inventory(base 1.0.0)',
    );
    expect(result.ok).toBe(true);
    // It ends by printing a trace of the request in the lane, hop by hop.
    const text = lines.join('\n');
    expect(text).toContain('== 6. lanes trace web --env local --lane gray');
    expect(text).toContain(
      '   └─ [FALLBACK] web — the lane is not deployed for it; served by base (gateway)',
    );
    expect(text).toContain('      └─ [OK] orders — lane gray (sdk)');
    expect(text).toContain('   1 OK, 2 FALLBACK, 0 NG: lane gray holds on the way');
    expect(lines.join('\n')).toContain(
      `curl -s http://127.0.0.1:${e2ePort(2)}/ -H 'tracestate: ctx=lane:gray'`,
    );
    // --keep left it running: the gateway still answers.
    expect((await fetch(`http://127.0.0.1:${e2ePort(2)}/healthz`)).status).toBe(200);

    // The user works in the demo's App repo, as --keep invites them to ...
    const repo = path.join(dir, 'repos', 'orders');
    await exec('git', ['checkout', '-q', '-b', 'my-work'], { cwd: repo });
    await writeFile(path.join(repo, 'NOTES.md'), 'mine\n');
    await exec('git', ['add', 'NOTES.md'], { cwd: repo });
    await exec('git', ['-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-qm', 'my work'], {
      cwd: repo,
    });
    const mine = (await exec('git', ['rev-parse', 'my-work'], { cwd: repo })).stdout.trim();
    // ... then runs the demo again: their branch and commit are still there, and the kept demo still runs.
    const again = await runDemo({ config, root, dir, out: (l) => lines.push(l) });
    expect(again.ok).toBe(true);
    expect((await exec('git', ['rev-parse', 'my-work'], { cwd: repo })).stdout.trim()).toBe(mine);
    expect(lines.join('\n')).toContain(`Reusing the demo at ${dir}`);
    expect((await fetch(`http://127.0.0.1:${e2ePort(2)}/healthz`)).status).toBe(200);
    // Another base port for an existing demo is refused before anything changes.
    await expect(runDemo({ config, root, dir, basePort: e2ePort(50), out: () => {} })).rejects.toThrow(
      `the demo at ${dir} uses base port ${e2ePort(0)}`,
    );
    expect((await exec('git', ['rev-parse', 'my-work'], { cwd: repo })).stdout.trim()).toBe(mine);

    await environment.down();
    await expect(fetch(`http://127.0.0.1:${e2ePort(2)}/healthz`)).rejects.toThrow();
  });
});
