/**
 * The installed `lanes` process (bin/lanes.js on the built CLI) against an AWS endpoint nothing listens on: the
 * network failure is a user error with its fix (exit 1), and the AWS SDK's Node-version notice is not printed.
 * Slow-ish end-to-end test: a real process and a real refused connection.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../bin/lanes.js');
const config = path.resolve(import.meta.dirname, '../../../examples/lanes.yaml');

/** A port of 127.0.0.1 that was free a moment ago, so a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('lanes on an AWS environment it cannot reach', () => {
  it('exits 1 with "could not connect" and the fix, without the AWS SDK Node-version warning', async () => {
    const port = await closedPort();
    const run = await exec(process.execPath, [bin, 'ls', '--env', 'dev', '-c', config], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'not-a-secret',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        AWS_MAX_ATTEMPTS: '1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(run.stderr.trim()).toBe(
      `error: could not connect to 127.0.0.1:${port} (ECONNREFUSED); this is the network, not ecs-lanes: check the connection and any proxy (HTTPS_PROXY); for an AWS environment, its region in lanes.yaml and AWS_ENDPOINT_URL if it is set; for a local one, that it is up (lanes up)`,
    );
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(run.code).toBe(1);
  });
});
