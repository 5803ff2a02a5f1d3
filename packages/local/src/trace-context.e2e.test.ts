/**
 * `lanes verify` on the local target sends valid W3C Trace Context: every request it makes in a lane reaches the
 * lane's instance with a fresh valid `traceparent` beside `tracestate: ctx=lane:<lane>`, since every
 * spec-compliant hop discards a `tracestate` that comes without one
 * (https://www.w3.org/TR/trace-context/#tracestate-header, §3.3). Proved on the headers the lane's real process
 * received through the real gateway: its branch records them in a file.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseTraceParent, readLane } from '@ecs-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoEnvironment, e2ePort, projectDir } from './e2e-helpers.js';
import type { LocalEnvironment } from './environment.js';

const exec = promisify(execFile);
const dir = projectDir('trace-context');
const recorded = path.join(dir, 'received.jsonl');
const ref = { service: 'orders', lane: 'echo', env: 'local' };
let env: LocalEnvironment;

/** Branch `echo` of orders' App repo: the demo service, recording the trace headers of every request. */
async function recordingBranch(repo: string): Promise<void> {
  const git = (...args: string[]) =>
    exec('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', ...args], { cwd: repo });
  await git('checkout', '-q', '-b', 'echo');
  const server = path.join(repo, 'server.mjs');
  const code = await readFile(server, 'utf8');
  const record = `appendFileSync(${JSON.stringify(recorded)}, \`\${JSON.stringify({ traceparent: request.headers.traceparent, tracestate: request.headers.tracestate })}\\n\`);`;
  const changed = `import { appendFileSync } from 'node:fs';\n${code.replace(
    'lanes.handler(async (request, response) => {',
    `lanes.handler(async (request, response) => {\n    ${record}`,
  )}`;
  expect(changed).toContain('appendFileSync(');
  await writeFile(server, changed);
  await git('commit', '-q', '-am', 'orders: record the trace headers');
  await git('checkout', '-q', 'main');
}

beforeAll(async () => {
  env = await demoEnvironment(dir, e2ePort(120));
  await recordingBranch(path.join(dir, 'repos', 'orders'));
  await writeFile(recorded, '');
  await env.up();
  await env.deploy({ ...ref, branch: 'echo' });
});
afterAll(() => cleanup(env, dir));

describe('the requests lanes verify sends in a lane', () => {
  it('reach the lane with its tracestate and a fresh valid traceparent each', async () => {
    await writeFile(recorded, '');
    await env.verify(ref);
    const received = (await readFile(recorded, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { traceparent?: string; tracestate?: string })
      .filter((h) => h.tracestate !== undefined);
    // The health path, the lane check and the traced request of the propagation gate.
    expect(received.length).toBeGreaterThanOrEqual(2);
    for (const headers of received) {
      expect(readLane(headers.tracestate)).toBe('echo');
      expect(parseTraceParent(headers.traceparent)).toBeDefined();
    }
    expect(new Set(received.map((h) => h.traceparent)).size).toBe(received.length);
  });
});
