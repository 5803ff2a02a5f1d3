import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DeployLaneRequest, type LaneRef, type LaneTarget, UserError } from '@ecs-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { causeChain, EXIT } from './exit-codes.js';
import { overrideTargetFactory } from './targets.js';
import { runLanes } from './testing.js';

const example = readFileSync(path.resolve(import.meta.dirname, '../../../examples/lanes.yaml'), 'utf8');

function project(text = example): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-exit-'));
  writeFileSync(path.join(dir, 'lanes.yaml'), text);
  return dir;
}

/** A target whose every call records itself and whose deploy fails with `failure` when set. */
function target(failure?: unknown): { calls: string[] } {
  const calls: string[] = [];
  const t: Partial<LaneTarget> = {
    async deploy(r: DeployLaneRequest) {
      calls.push(`deploy ${r.service}/${r.lane} branch=${r.branch ?? '-'}`);
      if (failure !== undefined) throw failure;
      return { ...r, dryRun: false, actions: [], version: 'abc' };
    },
    async list() {
      calls.push('list');
      return [];
    },
    async status(ref: LaneRef) {
      calls.push(`status ${ref.lane}`);
      return {
        summary: { ...ref, baseline: false, state: 'serving', running: 1, desired: 1, healthy: 1 },
        details: [
          ['health', 'healthy since t0, 1 change'],
          ['health changes', 't0 healthy'],
        ],
      };
    },
  };
  restore = overrideTargetFactory(async () => t as LaneTarget);
  return { calls };
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe('exit codes (docs/cli.md): 0 ok, 1 user error, 2 usage, 70 internal, 130 interrupted', () => {
  it('exits 2 on an unknown option', async () => {
    expect((await runLanes(project(), ['ls', '--frobnicate'])).code).toBe(EXIT.usage);
  });

  it.each([
    [['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--branch', '']],
    [['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--branch', '   ']],
    [['deploy', 'orders', '--env', 'local', '--lane', '']],
    [['deploy', '', '--env', 'local']],
    [['ls', '--env', ' ']],
    [['status', 'orders', '-c', '']],
  ])('refuses an empty or blank value with exit 2 before touching any target: lanes %j', async (args) => {
    const { calls } = target();
    const run = await runLanes(project(), args);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/^error: (--[a-z]+|the argument <service>) is empty; give it a value/);
    expect(calls).toEqual([]);
  });

  it('exits 1 on a user error and 70 on a bug, printing the cause chain of a wrapped error', async () => {
    target(new Error('deploying lane gray of orders', { cause: new Error('socket hang up') }));
    const bug = await runLanes(project(), ['deploy', 'orders', '--env', 'local', '--lane', 'gray']);
    expect(bug.code).toBe(EXIT.internal);
    expect(bug.stderr).toContain('unexpected error (a bug in ecs-lanes; please report it)');
    expect(bug.stderr).toContain('  caused by: socket hang up');
    const user = await runLanes(project(), ['deploy', 'nope', '--env', 'local']);
    expect(user.code).toBe(EXIT.user);
  });

  it('exits 1, not 70, when an endpoint cannot be reached: the network is not a bug', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 9,
    });
    target(new Error('deploying lane gray of orders', { cause: refused }));
    const run = await runLanes(project(), ['deploy', 'orders', '--env', 'local', '--lane', 'gray']);
    expect(run.code).toBe(EXIT.user);
    expect(run.stderr.trim()).toMatch(
      /^error: could not connect to 127\.0\.0\.1:9 \(ECONNREFUSED\); this is the network, not ecs-lanes: check .*AWS_ENDPOINT_URL/,
    );
    expect(run.stderr).not.toContain('a bug in ecs-lanes');
  });

  it('with --json, prints errors as one JSON object on stdout', async () => {
    target(new Error('deploying lane gray of orders', { cause: new Error('socket hang up') }));
    const bug = await runLanes(project(), ['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--json']);
    expect(bug.code).toBe(70);
    expect(JSON.parse(bug.stdout)).toEqual({
      error: {
        kind: 'internal',
        exitCode: 70,
        message: 'deploying lane gray of orders',
        causes: ['socket hang up'],
      },
    });
    const user = await runLanes(project(), ['deploy', 'nope', '--env', 'local', '--json']);
    expect(JSON.parse(user.stdout).error).toMatchObject({ kind: 'user', exitCode: 1 });
    const config = await runLanes(project('project: 1\n'), ['ls', '--json']);
    expect(config.code).toBe(1);
    const shape = JSON.parse(config.stdout).error;
    expect(shape.kind).toBe('config');
    expect(shape.issues.length).toBeGreaterThan(0);
  });

  it('exits 130 for an interrupted command, which says in which state it left things', async () => {
    target(
      new UserError('interrupted before the deploy started; lane gray of orders is unchanged', {
        exitCode: 130,
      }),
    );
    const run = await runLanes(project(), ['deploy', 'orders', '--env', 'local', '--lane', 'gray', '--json']);
    expect(run.code).toBe(EXIT.interrupted);
    expect(JSON.parse(run.stdout).error).toMatchObject({ kind: 'interrupted', exitCode: 130 });
    expect(causeChain(new Error('a', { cause: new Error('b', { cause: 'c' }) }))).toEqual(['b', 'c']);
  });
});

describe('option checks', () => {
  it('logs -n rejects what is not a number, with exit 2', async () => {
    const run = await runLanes(project(), ['logs', 'orders', '--env', 'local', '-n', 'ten']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('-n/--lines must be a whole number of lines (0 for all), not "ten"');
  });

  it('demo --base-port abc fails with exit 2 and touches nothing', async () => {
    const dir = project();
    const run = await runLanes(dir, ['demo', '--base-port', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--base-port must be a whole number from 1024 to 65000, not "abc"');
    expect(existsSync(path.join(dir, '.lanes'))).toBe(false);
  });

  it('ls picks the only local environment when there are several, as up does', async () => {
    const { calls } = target();
    const run = await runLanes(project(), ['ls', '--json']);
    expect(run.code).toBe(0);
    expect(calls).toEqual(['list']);
  });

  it('status --json gives the details as an object of strings', async () => {
    target();
    const run = await runLanes(project(), ['status', 'orders', '--env', 'local', '--lane', 'gray', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).details).toEqual({
      health: 'healthy since t0, 1 change',
      healthChanges: 't0 healthy',
    });
  });
});
