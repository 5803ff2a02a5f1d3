/**
 * `lanes config` and `lanes logs` as a user runs them: on AWS against the in-memory fake (Parameter Store,
 * CloudWatch Logs), and `lanes config` on the local target's file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from '@ecs-lanes/aws/fake';
import { afterEach, describe, expect, it } from 'vitest';
import { overrideAwsOptions } from '../aws.js';
import { runLanes } from '../testing.js';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

async function awsProject(): Promise<{ dir: string; world: FakeWorld }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-cfg-aws-'));
  writeFileSync(path.join(dir, 'lanes.yaml'), FIXTURE_CONFIG);
  const world = createFakeWorld();
  await world.bootstrap('orders');
  restore = overrideAwsOptions((base) => ({
    ...base,
    clients: world.clients,
    clock: world.clock,
    templates: world.templates,
  }));
  return { dir, world };
}

const LOCAL_CONFIG = `project: shop
infraRepo:
  connectionArn: arn:aws:codeconnections:us-east-1:111122223333:connection/8a1b2c3d-4e5f-6789-abcd-ef0123456789
  repository: acme/shop-infra
environments:
  - name: local
    target: local
    basePort: 47000
services:
  - name: orders
    appRepo: { repository: acme/shop-orders, localPath: services/orders }
    port: 8080
    local: { run: node server.mjs }
`;

describe('lanes config on AWS', () => {
  it('sets a service-wide value and a lane override; ls --lane shows what the lane runs with', async () => {
    const { dir } = await awsProject();
    expect(
      (
        await runLanes(dir, [
          'config',
          'set',
          'orders',
          'FEATURE_FLAG=off',
          'DOWNSTREAM=http://inventory',
          '--env',
          'dev',
        ])
      ).code,
    ).toBe(0);
    const set = await runLanes(dir, [
      'config',
      'set',
      'orders',
      'FEATURE_FLAG=on',
      '--env',
      'dev',
      '--lane',
      'gray',
    ]);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe(
      'create parameter /shop/dev/orders/lanes/gray/FEATURE_FLAG String = on (version 1)\n',
    );
    expect(set.stderr).toMatch(/takes effect at the next deploy: lanes deploy orders --env dev --lane gray/);

    const ls = await runLanes(dir, ['config', 'ls', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^KEY\s+VALUE\s+FROM\s+VERSION\s+SOURCE$/);
    expect(ls.stdout).toMatch(
      /DOWNSTREAM\s+http:\/\/inventory\s+service\s+1\s+\/shop\/dev\/orders\/DOWNSTREAM/,
    );
    expect(ls.stdout).toMatch(
      /FEATURE_FLAG\s+on\s+lane \(overrides\)\s+1\s+\/shop\/dev\/orders\/lanes\/gray\/FEATURE_FLAG/,
    );

    const json = JSON.parse(
      (await runLanes(dir, ['config', 'ls', 'orders', '--env', 'dev', '--json'])).stdout,
    );
    expect(json.entries.map((e: { key: string; value: string }) => `${e.key}=${e.value}`)).toEqual([
      'DOWNSTREAM=http://inventory',
      'FEATURE_FLAG=off',
    ]);
  });

  it('reads a secure value from stdin and never prints it', async () => {
    const { dir, world } = await awsProject();
    const restoreStdin = Object.getOwnPropertyDescriptor(process, 'stdin');
    const { Readable } = await import('node:stream');
    Object.defineProperty(process, 'stdin', {
      value: Readable.from(['hunter2-secret\n']),
      configurable: true,
    });
    try {
      const set = await runLanes(dir, ['config', 'set', 'orders', 'DB_PASSWORD', '--secure', '--env', 'dev']);
      expect(set.code).toBe(0);
      expect(set.stdout + set.stderr).not.toContain('hunter2-secret');
      expect(set.stdout).toMatch(/SecureString \(secure value hidden\)/);
    } finally {
      if (restoreStdin) Object.defineProperty(process, 'stdin', restoreStdin);
    }
    expect(world.fake.ssm.versions('/shop/dev/orders/DB_PASSWORD').map((v) => [v.type, v.value])).toEqual([
      ['SecureString', 'hunter2-secret'],
    ]);
    const ls = await runLanes(dir, ['config', 'ls', 'orders', '--env', 'dev', '--json']);
    expect(ls.stdout).not.toContain('hunter2-secret');
  });

  it('--dry-run says what it would do and changes nothing; a bad key in the list changes nothing either', async () => {
    const { dir, world } = await awsProject();
    const dry = await runLanes(dir, ['config', 'set', 'orders', 'A=1', '--env', 'dev', '--dry-run']);
    expect(dry.stdout).toBe('would create parameter /shop/dev/orders/A String = 1 (version 1)\n');
    const bad = await runLanes(dir, ['config', 'set', 'orders', 'A=1', 'bad-key=2', '--env', 'dev']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: "bad-key" is not a valid key/);
    expect(world.fake.calls).not.toContain('PutParameter');
  });
});

describe('lanes logs on AWS', () => {
  it("prints the lane's lines with time and task id, --json one object per line, and --insights the query", async () => {
    const { dir, world } = await awsProject();
    const t = world.clock.now() - 5_000;
    world.fake.logs.put('/ecs/dev/orders', 'gray/app/0123abcd', ['GET / 200'], t);
    world.fake.logs.put('/ecs/dev/orders', 'base/app/9999ffff', ['baseline line'], t + 1);
    const text = await runLanes(dir, ['logs', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${new Date(t).toISOString()} 0123abcd GET / 200\n`);

    const json = await runLanes(dir, ['logs', 'orders', '--env', 'dev', '--lane', 'gray', '--json']);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        service: 'orders',
        env: 'dev',
        lane: 'gray',
        timestamp: t,
        instance: '0123abcd',
        message: 'GET / 200',
      },
    ]);

    const insights = await runLanes(dir, [
      'logs',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--insights',
      '--filter',
      'ERROR',
    ]);
    expect(insights.stderr).toMatch(/on log group \/ecs\/dev\/orders \(region us-east-1\)/);
    expect(insights.stdout).toContain('| filter @logStream like /^gray\\//');
    expect(insights.stdout).toContain('| filter @message like "ERROR"');
  });

  it('says so when the lane has no lines, and refuses a bad --since', async () => {
    const { dir } = await awsProject();
    const none = await runLanes(dir, ['logs', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /lane gray of orders in dev has no log lines yet; follow it with: lanes logs orders --env dev --lane gray -f/,
    );
    const since = await runLanes(dir, ['logs', 'orders', '--env', 'dev', '--since', 'yesterday']);
    expect(since.stderr).toMatch(
      /--since "yesterday" is neither a duration \(90s, 10m, 2h, 1d\) nor an ISO 8601 time/,
    );
  });
});

describe('lanes config on the local target', () => {
  it('writes .lanes/config/{env}.yaml with the same layout: service-wide values and lane overrides', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-cfg-local-'));
    writeFileSync(path.join(dir, 'lanes.yaml'), LOCAL_CONFIG);
    expect((await runLanes(dir, ['config', 'set', 'orders', 'FEATURE_FLAG=off'])).code).toBe(0);
    const lane = await runLanes(dir, ['config', 'set', 'orders', 'FEATURE_FLAG=on', '--lane', 'gray']);
    expect(lane.stdout).toMatch(
      /add services\.orders\.lanes\.gray\.FEATURE_FLAG = on to .*local\.yaml \(version 1\)/,
    );
    const file = readFileSync(path.join(dir, '.lanes', 'config', 'local.yaml'), 'utf8');
    expect(file).toMatch(/services:\n {2}orders:\n {4}config:\n {6}FEATURE_FLAG:\n {8}value: "off"/);
    const ls = JSON.parse(
      (await runLanes(dir, ['config', 'ls', 'orders', '--lane', 'gray', '--json'])).stdout,
    );
    expect(
      ls.entries.map((e: { key: string; value: string; scope: string }) => [e.key, e.value, e.scope]),
    ).toEqual([['FEATURE_FLAG', 'on', 'lane']]);
    const unset = await runLanes(dir, ['config', 'unset', 'orders', 'FEATURE_FLAG', '--lane', 'gray']);
    expect(unset.code).toBe(0);
    const after = JSON.parse(
      (await runLanes(dir, ['config', 'ls', 'orders', '--lane', 'gray', '--json'])).stdout,
    );
    expect(after.entries.map((e: { value: string; scope: string }) => [e.value, e.scope])).toEqual([
      ['off', 'service'],
    ]);
  });

  it('keeps the state of two configs of one directory apart: lanes.yaml in .lanes/, another in .lanes/configs/{file}/', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lanes-cfg-two-'));
    writeFileSync(path.join(dir, 'lanes.yaml'), LOCAL_CONFIG);
    writeFileSync(
      path.join(dir, 'lanes.staging.yaml'),
      LOCAL_CONFIG.replace('basePort: 47000', 'basePort: 47100'),
    );
    expect((await runLanes(dir, ['config', 'set', 'orders', 'FEATURE_FLAG=off'])).code).toBe(0);
    const staging = ['-c', 'lanes.staging.yaml'];
    expect((await runLanes(dir, ['config', 'set', 'orders', 'FEATURE_FLAG=on', ...staging])).code).toBe(0);
    const values = async (...args: string[]) =>
      JSON.parse((await runLanes(dir, ['config', 'ls', 'orders', '--json', ...args])).stdout).entries.map(
        (e: { key: string; value: string }) => `${e.key}=${e.value}`,
      );
    expect(await values()).toEqual(['FEATURE_FLAG=off']);
    expect(await values(...staging)).toEqual(['FEATURE_FLAG=on']);
    expect(readFileSync(path.join(dir, '.lanes', 'config', 'local.yaml'), 'utf8')).toMatch(/value: "off"/);
    expect(
      readFileSync(path.join(dir, '.lanes', 'configs', 'lanes.staging.yaml', 'config', 'local.yaml'), 'utf8'),
    ).toMatch(/value: "on"/);
  });
});
