import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DeployLaneRequest, LaneRef, LaneSummary, LaneTarget, VerifyCheck } from '@ecs-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { overrideTargetFactory } from './targets.js';
import { runLanes } from './testing.js';

const examples = path.resolve(import.meta.dirname, '../../../examples');
const exampleConfig = readFileSync(path.join(examples, 'lanes.yaml'), 'utf8');

function project(text = exampleConfig): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-cli-'));
  writeFileSync(path.join(dir, 'lanes.yaml'), text);
  return dir;
}

/** A recording target: remembers calls, answers from a small in-memory lane table. */
class RecordingTarget implements LaneTarget {
  readonly calls: string[] = [];
  checks: VerifyCheck[] = [{ name: 'healthy instances > 0', status: 'OK', detail: '1 healthy' }];
  lanes: LaneSummary[] = [
    {
      service: 'orders',
      env: 'local',
      lane: 'base',
      baseline: true,
      state: 'serving',
      running: 1,
      desired: 1,
      healthy: 1,
    },
    {
      service: 'orders',
      env: 'local',
      lane: 'gray',
      baseline: false,
      state: 'serving',
      running: 1,
      desired: 1,
      healthy: 1,
      version: 'abc1234',
      branch: 'gray',
    },
  ];
  async deploy(r: DeployLaneRequest) {
    this.calls.push(`deploy ${r.service}/${r.lane} branch=${r.branch ?? '-'} dry=${r.dryRun} wait=${r.wait}`);
    return {
      ...r,
      dryRun: r.dryRun ?? false,
      actions: ['start orders/gray'],
      version: 'abc1234',
      url: 'http://127.0.0.1:7101',
    };
  }
  async list(filter?: { service?: string }) {
    this.calls.push(`list ${filter?.service ?? '*'}`);
    return this.lanes.filter((l) => !filter?.service || l.service === filter.service);
  }
  async status(ref: LaneRef) {
    this.calls.push(`status ${ref.lane}`);
    return { summary: this.lanes[1]!, details: [['process', 'pid 42'] as const] };
  }
  async verify(ref: LaneRef) {
    this.calls.push(`verify ${ref.lane}`);
    return this.checks;
  }
  async rollback(ref: LaneRef & { to?: string }) {
    this.calls.push(`rollback ${ref.lane} to=${ref.to ?? '-'}`);
    return { ...ref, dryRun: false, actions: ['switch to 0000001'], version: '0000001' };
  }
  async remove(ref: LaneRef & { force?: boolean; dryRun?: boolean }) {
    this.calls.push(`remove ${ref.lane} force=${ref.force}`);
    return { ...ref, dryRun: ref.dryRun ?? false, actions: ['remove route', 'stop process'] };
  }
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function withTarget(): RecordingTarget {
  const target = new RecordingTarget();
  restore = overrideTargetFactory(async () => target);
  return target;
}

describe('lanes (the command)', () => {
  it('prints its version and help', async () => {
    const version = await runLanes(process.cwd(), ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runLanes(process.cwd(), ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/validate/);
    expect(help.stdout).toMatch(/Examples:/);
  });

  it.each([
    'validate',
    'synth',
    'deploy',
    'ls',
    'status',
    'verify',
    'rollback',
    'rm',
    'up',
    'down',
    'logs',
    'demo',
    'env deploy',
    'service bootstrap',
    'ci',
    'plan',
  ])('shows help with examples for `lanes %s --help`', async (command) => {
    const run = await runLanes(process.cwd(), [...command.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: lanes /);
    expect(run.stdout).toMatch(/\nExamples[^\n]*:\n {2}\$ lanes /);
  });

  it('exits non-zero on an unknown command', async () => {
    const run = await runLanes(process.cwd(), ['frobnicate']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it.each([
    ['frobnicate --help', /^error: unknown command 'frobnicate'; see the commands with: lanes --help$/],
    ['frobnicate', /^error: unknown command 'frobnicate'; see the commands with: lanes --help$/],
    ['deplyo --help', /^error: unknown command 'deplyo' \(did you mean 'deploy'\?\)$/],
    ['env delpoy --help', /^error: unknown command 'env delpoy' \(did you mean 'env deploy'\?\)$/],
    ['servce bootstrap', /^error: unknown command 'servce' \(did you mean 'service'\?\)$/],
  ])('`lanes %s` is a usage error naming the command, with a suggestion, exit 2', async (args, message) => {
    const run = await runLanes(process.cwd(), args.split(' '));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')[0]).toMatch(message);
  });
});

describe('lanes validate', () => {
  it('accepts the example config and prints what it declares', async () => {
    const run = await runLanes(examples, ['validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/OK — project "shop"/);
    expect(run.stdout).toMatch(/^orders +8080 +\/healthz +512\/1024/m);
    expect(run.stdout).toMatch(/App pipelines in dev: web-dev, orders-dev, inventory-dev/);
  });

  it('prints every error of a broken copy with its line and path, and exits 1', async () => {
    const broken = exampleConfig
      .replace('port: 8080\n    cpu: 256', 'port: 99999\n    cpu: 256')
      .replace('region: eu-west-1', 'region: Europe')
      .replace('dependsOn: [inventory]', 'dependsOn: [inventroy]');
    const run = await runLanes(project(broken), ['validate']);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lanes\.yaml:\d+:\d+ environments\[1\]\.region: expected an AWS region/),
        expect.stringMatching(/^lanes\.yaml:\d+:\d+ services\[0\]\.port: .*65535/),
        expect.stringMatching(
          /^lanes\.yaml:\d+:\d+ services\[1\]\.dependsOn\[0\]: unknown service "inventroy"/,
        ),
        '3 problems found; nothing was changed.',
      ]),
    );
    expect(run.stdout).toBe('');
  });

  it('reports a missing file with the fix', async () => {
    const run = await runLanes(mkdtempSync(path.join(tmpdir(), 'lanes-empty-')), ['validate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /lanes\.yaml: no such file; create it \(see examples\/lanes\.yaml\) or pass its path with -c/,
    );
  });

  it('prints JSON with --json', async () => {
    const run = await runLanes(examples, ['validate', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, config: { project: 'shop' } });
  });
});

describe('lane commands', () => {
  it('deploy passes lane, branch and flags to the environment target and prints the URL', async () => {
    const target = withTarget();
    const run = await runLanes(project(), [
      'deploy',
      'orders',
      '--env',
      'local',
      '--lane',
      'gray',
      '--branch',
      'feat-x',
    ]);
    expect(run.code).toBe(0);
    expect(target.calls).toEqual(['deploy orders/gray branch=feat-x dry=false wait=true']);
    expect(run.stdout).toMatch(/deployed: lane gray of orders in local at abc1234/);
    expect(run.stdout).toMatch(/url: http:\/\/127\.0\.0\.1:7101 +\(send tracestate: ctx=lane:gray/);
  });

  it('deploy defaults to the baseline lane and honours --dry-run and --no-wait', async () => {
    const target = withTarget();
    await runLanes(project(), ['deploy', 'orders', '--env', 'local', '--dry-run', '--no-wait']);
    expect(target.calls).toEqual(['deploy orders/base branch=- dry=true wait=false']);
  });

  it.each([
    [
      ['deploy', 'orders', '--env', 'local', '--lane', 'Gray'],
      /^error: invalid lane: "Gray" is not a valid lane name/,
    ],
    [
      ['deploy', 'payments', '--env', 'local', '--lane', 'gray'],
      /^error: unknown service "payments"; known services: web, orders, inventory/,
    ],
    [
      ['deploy', 'orders', '--env', 'qa', '--lane', 'gray'],
      /^error: unknown environment "qa"; known environments: dev, prod, local/,
    ],
    [
      ['deploy', 'orders', '--lane', 'gray'],
      /^error: pass --env \(one of dev, prod, local\) or set LANES_ENV/,
    ],
    [
      ['rm', 'orders', '--env', 'local', '--lane', 'base'],
      /^error: lane base is the baseline of local: .* pass --force/,
    ],
  ])('rejects bad input %j with one line and touches nothing', async (args, message) => {
    const target = withTarget();
    const run = await runLanes(project(), args);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(target.calls).toEqual([]);
  });

  it('takes the environment from LANES_ENV', async () => {
    const target = withTarget();
    const run = await runLanes(project(), ['ls'], { LANES_ENV: 'local' });
    expect(run.code).toBe(0);
    expect(target.calls).toEqual(['list *']);
  });

  it('ls prints a table, or JSON with --json', async () => {
    withTarget();
    const text = await runLanes(project(), ['ls', '--env', 'local']);
    expect(text.stdout).toMatch(/^SERVICE +LANE +VERSION +BRANCH +STATE +TASKS +HEALTHY +AGE +URL/);
    expect(text.stdout).toMatch(/^orders +base \(baseline\) +- +- +serving +1\/1 +1/m);
    const json = await runLanes(project(), ['ls', '--env', 'local', '--service', 'orders', '--json']);
    expect(JSON.parse(json.stdout)).toHaveLength(2);
  });

  it('verify prints a tree of checks and exits 1 when one is NG', async () => {
    const target = withTarget();
    target.checks = [
      { name: 'healthy instances > 0', status: 'OK', detail: '1 healthy' },
      { name: 'a request with ctx=lane:gray is answered by gray', status: 'NG', detail: 'answered by base' },
    ];
    const run = await runLanes(project(), ['verify', 'orders', '--env', 'local', '--lane', 'gray']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/├─ \[OK\] healthy instances > 0 — 1 healthy/);
    expect(run.stdout).toMatch(
      /└─ \[NG\] a request with ctx=lane:gray is answered by gray — answered by base/,
    );
    expect(run.stdout.trim().split('\n').at(-1)).toBe('verification failed');
  });

  it('rm removes a lane without asking when not on a terminal; --force allows the baseline', async () => {
    const target = withTarget();
    const run = await runLanes(project(), ['rm', 'orders', '--env', 'local', '--lane', 'gray']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/remove route\nstop process\nremoved: lane gray of orders in local/);
    await runLanes(project(), ['rm', 'orders', '--env', 'local', '--lane', 'base', '--force']);
    expect(target.calls).toEqual(['remove gray force=false', 'remove base force=true']);
  });

  it('status and rollback reach the target', async () => {
    const target = withTarget();
    const st = await runLanes(project(), ['status', 'orders', '--env', 'local', '--lane', 'gray']);
    expect(st.stdout).toMatch(/process +pid 42/);
    const rb = await runLanes(project(), [
      'rollback',
      'orders',
      '--env',
      'local',
      '--lane',
      'gray',
      '--to',
      '0000001',
    ]);
    expect(rb.stdout).toMatch(/rolled back: lane gray of orders in local at 0000001/);
    expect(target.calls).toEqual(['status gray', 'rollback gray to=0000001']);
  });
});

describe('lanes down', () => {
  it('says so, in text or JSON, when the local environment is not running', async () => {
    const dir = project();
    const text = await runLanes(dir, ['down']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/The local environment "local" was not running\./);
    const json = await runLanes(dir, ['down', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ env: 'local', stopped: false });
  });
});
