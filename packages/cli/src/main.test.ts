import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type {
  DeployLaneRequest,
  ExtendLaneRequest,
  LaneRef,
  LaneSummary,
  LaneTarget,
  LaneTrace,
  VerifyCheck,
} from '@ecs-lanes/core';
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
    this.calls.push(
      `deploy ${r.service}/${r.lane} branch=${r.branch ?? '-'} dry=${r.dryRun} wait=${r.wait}${r.ttl ? ` ttl=${r.ttl}` : ''}`,
    );
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
  async trace(ref: LaneRef & { path?: string }): Promise<LaneTrace> {
    this.calls.push(`trace ${ref.lane} path=${ref.path ?? '-'}`);
    return this.traced;
  }
  traced: LaneTrace = {
    service: 'orders',
    env: 'local',
    lane: 'gray',
    path: '/',
    entry: 'http://127.0.0.1:7101',
    status: 200,
    ok: false,
    root: {
      service: 'orders',
      reached: true,
      asked: 'gray',
      served: 'gray',
      reason: 'lane',
      by: 'gateway',
      reported: true,
      mark: 'NG',
      detail: 'lane gray; lost the lane: called inventory without it',
      calls: [],
    },
    counts: { OK: 0, FALLBACK: 0, NG: 1 },
  };
  async rollback(ref: LaneRef & { to?: string }) {
    this.calls.push(`rollback ${ref.lane} to=${ref.to ?? '-'}`);
    return { ...ref, dryRun: false, actions: ['switch to 0000001'], version: '0000001' };
  }
  async remove(ref: LaneRef & { force?: boolean; dryRun?: boolean; ifExpiredBy?: string }) {
    this.calls.push(
      `remove ${ref.lane} force=${ref.force}${ref.ifExpiredBy ? ` ifExpiredBy=${ref.ifExpiredBy}` : ''}`,
    );
    return { ...ref, dryRun: ref.dryRun ?? false, actions: ['remove route', 'stop process'] };
  }
  async extend(r: ExtendLaneRequest) {
    this.calls.push(`extend ${r.lane} ttl=${r.ttl ?? '-'} dry=${r.dryRun}`);
    return {
      ...r,
      dryRun: r.dryRun ?? false,
      previousExpiresAt: '2026-12-01T00:00:00.000Z',
      expiresAt: '2026-12-03T00:00:00.000Z',
    };
  }
  async budgets(filter?: { service?: string }) {
    this.calls.push(`budgets ${filter?.service ?? '*'}`);
    return [{ service: 'orders', rules: { used: 1, quota: 100 }, targetGroups: { used: 2, quota: 100 } }];
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
    'trace',
    'rollback',
    'rm',
    'gc',
    'extend',
    'up',
    'down',
    'logs',
    'demo',
    'config',
    'config set',
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

  it('checks that every App repo path is a directory when a local environment is declared', async () => {
    // A copy of the example config in an empty directory: none of services/{web,orders,inventory} is there.
    const dir = project();
    mkdirSync(path.join(dir, 'services', 'web'), { recursive: true });
    writeFileSync(path.join(dir, 'services', 'orders'), 'a file, not a directory');
    const run = await runLanes(dir, ['validate']);
    expect(run.code).toBe(1);
    const line = (service: string) =>
      exampleConfig.split('\n').findIndex((l) => l.includes(`localPath: services/${service}`)) + 1;
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^lanes\\.yaml:${line('orders')}:\\d+ services\\[1\\]\\.appRepo\\.localPath: .*services/orders is a file, not a directory`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^lanes\\.yaml:${line('inventory')}:\\d+ services\\[2\\]\\.appRepo\\.localPath: .*services/inventory does not exist; clone acme/shop-inventory there`,
        ),
      ),
      '2 problems found; nothing was changed.',
    ]);
    const json = await runLanes(dir, ['validate', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      issues: [{ path: 'services[1].appRepo.localPath' }, { path: 'services[2].appRepo.localPath' }],
    });
  });

  it('does not look for App repo paths without a local environment (an Infra repo has none checked out)', async () => {
    const awsOnly = exampleConfig.replace(/ {2}- name: local\n {4}target: local\n {4}basePort: 7100\n/, '');
    expect(awsOnly).not.toMatch(/target: local/);
    const run = await runLanes(project(awsOnly), ['validate']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
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
    // A dry run also reads the rule budget of the service's ALB, to show it.
    expect(target.calls).toEqual(['deploy orders/base branch=- dry=true wait=false', 'budgets orders']);
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
    expect(target.calls).toEqual(['list *', 'budgets *']);
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

  it('trace prints the tree of hops, exits 1 when a hop is NG, and gives the same tree with --json', async () => {
    const target = withTarget();
    const run = await runLanes(project(), [
      'trace',
      'orders',
      '--env',
      'local',
      '--lane',
      'gray',
      '--path',
      '/x',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /└─ \[NG\] orders — lane gray; lost the lane: called inventory without it \(gateway\)/,
    );
    expect(run.stdout.trim().split('\n').at(-1)).toBe('0 OK, 0 FALLBACK, 1 NG: lane gray breaks at orders');
    const json = await runLanes(project(), ['trace', 'orders', '--env', 'local', '--lane', 'gray', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(target.traced);
    expect(target.calls).toEqual(['trace gray path=/x', 'trace gray path=-']);
  });

  it('trace rejects a bad path before touching the target', async () => {
    const target = withTarget();
    const run = await runLanes(project(), ['trace', 'orders', '--env', 'local', '--path', 'api']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--path "api" must be an absolute path such as \/ or \/api\/orders/);
    expect(target.calls).toEqual([]);
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
    expect(target.calls).toEqual(['status gray', 'budgets orders', 'rollback gray to=0000001']);
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

  it('ls shows expiry, owner and cost per lane, the environment total and the rule budget', async () => {
    const target = withTarget();
    const cost = {
      perDay: 0.5924,
      tasks: 2,
      vcpu: 0.25,
      memoryGiB: 0.5,
      currency: 'USD' as const,
      region: 'us-east-1',
      priceSource: 'https://aws.amazon.com/fargate/pricing/ (2026-06-17)',
    };
    target.lanes = target.lanes.map((l) => ({
      ...l,
      cost,
      ...(l.baseline
        ? {}
        : { expiresAt: new Date(Date.now() + 2 * 86_400_000 + 60_000).toISOString(), owner: 'ana' }),
    }));
    const text = await runLanes(project(), ['ls', '--env', 'local']);
    expect(text.stdout).toMatch(/EXPIRES +OWNER +COST\/DAY/);
    expect(text.stdout).toMatch(/^orders +gray .* in 2d +ana +\$0\.59$/m);
    expect(text.stdout).toMatch(/^orders +base \(baseline\) .* never +- +\$0\.59$/m);
    expect(text.stdout).toMatch(
      /^total: \$1\.18\/day for 2 lanes in local \(prices: https:\/\/aws\.amazon\.com\/fargate\/pricing\/ \(2026-06-17\)/m,
    );
    expect(text.stdout).toMatch(/^rule budget of orders: 1\/100 rules, 2\/100 target groups$/m);
    const json = JSON.parse(
      (await runLanes(project(), ['ls', '--env', 'local', '--json', '--totals'])).stdout,
    );
    expect(json).toMatchObject({ env: 'local', totalPerDay: 1.1848, currency: 'USD' });
    expect(json.lanes[1].cost.perDay).toBe(0.5924);
    expect(json.budgets[0].rules).toEqual({ used: 1, quota: 100 });
  });

  it('gc removes the expired lanes through the target, guarded by the time it judged expiry at', async () => {
    const target = withTarget();
    target.lanes[1] = { ...target.lanes[1]!, expiresAt: '2020-01-01T00:00:00.000Z' };
    const dry = await runLanes(project(), ['gc', '--env', 'local', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would remove orders\/gray \(expired \d+d ago\)$/m);
    expect(dry.stdout).toMatch(/^dry run: gc of local: 1 would remove, 0 skipped, 0 failed, 1 kept$/m);
    expect(dry.stderr).toMatch(/\[gc\] 2 lanes in local: 1 expired to remove/);
    expect(target.calls.filter((c) => c.startsWith('remove'))).toEqual([
      expect.stringMatching(/^remove gray force=undefined ifExpiredBy=\d{4}-/),
    ]);
    const json = JSON.parse((await runLanes(project(), ['gc', '--env', 'local', '--json'])).stdout);
    expect(json.removed).toEqual([
      expect.objectContaining({ service: 'orders', lane: 'gray', actions: ['remove route', 'stop process'] }),
    ]);
    expect(json.kept).toEqual([
      expect.objectContaining({ lane: 'base', reason: 'the baseline never expires' }),
    ]);
  });

  it('extend sets a new expiry and prints it, or JSON', async () => {
    const target = withTarget();
    const run = await runLanes(project(), [
      'extend',
      'orders',
      '--env',
      'local',
      '--lane',
      'gray',
      '--ttl',
      '2d',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(
      'extended: lane gray of orders in local expires at 2026-12-03T00:00:00.000Z (was 2026-12-01T00:00:00.000Z)',
    );
    expect(target.calls).toEqual(['extend gray ttl=2d dry=false']);
    const json = JSON.parse(
      (await runLanes(project(), ['extend', 'orders', '--env', 'local', '--lane', 'gray', '--json'])).stdout,
    );
    expect(json.expiresAt).toBe('2026-12-03T00:00:00.000Z');
  });

  it('deploy passes --ttl to the target, and a dry run shows the rule budget', async () => {
    const target = withTarget();
    const run = await runLanes(project(), [
      'deploy',
      'orders',
      '--env',
      'local',
      '--lane',
      'gray',
      '--ttl',
      '12h',
      '--dry-run',
    ]);
    expect(run.code).toBe(0);
    expect(target.calls[0]).toBe('deploy orders/gray branch=- dry=true wait=true ttl=12h');
    expect(run.stdout).toMatch(/^rule budget of orders: 1\/100 rules, 2\/100 target groups$/m);
  });
});
