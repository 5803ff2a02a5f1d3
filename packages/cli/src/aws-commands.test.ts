/**
 * The `lanes` commands on an AWS environment, run in-process against the in-memory AWS fake. The fake's app
 * pipeline plays CodeBuild running the shared buildspec, which calls exactly `lanes ci deploy` and
 * `lanes ci verify` through this same CLI.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from '@ecs-lanes/aws/fake';
import { laneNames, serviceNames } from '@ecs-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { overrideAwsOptions } from './aws.js';
import { runLanes } from './testing.js';

/** The role the app pipeline gives CloudFormation for lane stacks. */
const LANE_STACK_ROLE = 'arn:aws:iam::111122223333:role/ecs-lanes/orders/dev/lane-stacks';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

/** A project directory with the fixture lanes.yaml, and a fake AWS world behind every AWS command. */
function setup(): { dir: string; world: FakeWorld } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-aws-cli-'));
  writeFileSync(path.join(dir, 'lanes.yaml'), FIXTURE_CONFIG);
  let builds = 0;
  const world = createFakeWorld({
    runner: (w) => {
      const serviceOf = (pipeline: string) =>
        w.config.services.find((s) => serviceNames(s.name, w.env.name).appPipeline === pipeline)!.name;
      return {
        build: async (run) =>
          `111122223333.dkr.ecr.us-east-1.amazonaws.com/${serviceOf(run.pipelineName)}-dev:${run.variables.branch === 'bad' ? 'bad0001' : `c0ffee${builds++ % 10}`}`,
        // The shared buildspec's steps, exactly as CodeBuild runs them.
        deploy: async (run) => {
          const args = [
            'ci',
            'deploy',
            '--service',
            serviceOf(run.pipelineName),
            '--env',
            'dev',
            '--lane',
            run.variables.lane!,
            '--branch',
            run.variables.branch!,
            '--image-uri',
            run.imageUri!,
          ];
          // The app pipeline's Deploy action sets LANES_CFN_ROLE_ARN (templates/pipelines/pipeline-app.yaml).
          const r = await runLanes(dir, args, { LANES_CFN_ROLE_ARN: LANE_STACK_ROLE });
          if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').at(-1));
          return r.stdout.trim().split('\n').at(-1);
        },
        verify: async (run) => {
          const r = await runLanes(dir, [
            'ci',
            'verify',
            '--service',
            serviceOf(run.pipelineName),
            '--env',
            'dev',
            '--lane',
            run.variables.lane!,
          ]);
          if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').at(-1));
          return r.stdout.trim().split('\n').at(-1);
        },
      };
    },
  });
  world.fake.badImages.add('bad0001');
  restore = overrideAwsOptions((base) => ({
    ...base,
    clients: world.clients,
    clock: world.clock,
    templates: world.templates,
    fetch: world.fake.fetch,
  }));
  return { dir, world };
}

describe('lanes on AWS (against the fake)', () => {
  it('initialises an environment, onboards a service, adds, lists, verifies, rolls back and deletes a lane', async () => {
    const { dir, world } = setup();
    const plannedEnv = await runLanes(dir, ['plan', 'env', 'deploy', 'dev']);
    expect(plannedEnv.code).toBe(0);
    expect(plannedEnv.stdout).toMatch(/would infra-network-dev: create Main \(AWS::EC2::SecurityGroup\)/);
    expect(world.fake.stack('infra-network-dev')).toBeUndefined();

    const env = await runLanes(dir, ['env', 'deploy', 'dev']);
    expect(env.code).toBe(0);
    expect(env.stdout).toMatch(/infra-namespace-dev: created/);
    expect(env.stdout).toMatch(/deployed: environment dev/);
    expect(env.stderr).toMatch(/\[stack\] deploying infra-network-dev/);

    const boot = await runLanes(dir, ['service', 'bootstrap', 'orders', '--env', 'dev']);
    expect(boot.code).toBe(0);
    expect(boot.stdout).toMatch(/boot-alb-orders-dev: created/);
    expect(boot.stdout).toMatch(/bootstrapped: orders in dev/);

    const base = await runLanes(dir, [
      'deploy',
      'orders',
      '--env',
      'dev',
      '--lane',
      'base',
      '--branch',
      'main',
    ]);
    expect(base.code).toBe(0);
    const gray = await runLanes(dir, [
      'deploy',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--branch',
      'feat/gray',
    ]);
    expect(gray.code).toBe(0);
    expect(gray.stderr).toMatch(
      /\[pipeline\] start pipeline orders-dev \(PARALLEL\) with lane=gray branch=feat\/gray/,
    );
    expect(gray.stderr).toMatch(/\[pipeline\] Deploy: Succeeded — app-orders--dev-gray: created/);
    expect(gray.stderr).toMatch(/\[pipeline\] Verify: Succeeded — verified: lane gray of orders/);
    expect(gray.stdout).toMatch(/deployed: lane gray of orders in dev at c0ffee\d/);
    // CloudFormation created the lane stack with the pipeline's service role, not the build's credentials.
    expect(world.fake.stack('app-orders--dev-gray')?.roleArn).toBe(LANE_STACK_ROLE);
    expect(gray.stdout).toMatch(/url: http:\/\/orders-dev-alb-\S+\.elb\.amazonaws\.com/);

    const ls = await runLanes(dir, ['ls', '--env', 'dev']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^SERVICE\s+LANE\s+VERSION\s+BRANCH\s+STATE\s+TASKS\s+HEALTHY\s+AGE\s+URL/);
    expect(ls.stdout).toMatch(
      /orders\s+gray\s+c0ffee\d\s+feat\/gray\s+serving \(UPDATE_COMPLETE\)\s+2\/2\s+2/,
    );
    const json = JSON.parse(
      (await runLanes(dir, ['ls', '--env', 'dev', '--service', 'orders', '--json'])).stdout,
    );
    expect(json.map((l: { lane: string }) => l.lane)).toEqual(['base', 'gray']);

    const status = await runLanes(dir, ['status', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(status.code).toBe(0);
    // Created, then its lane traffic shifted from the baseline (an update of the rule's weights).
    expect(status.stdout).toMatch(/app-orders--dev-gray UPDATE_COMPLETE/);

    const verify = await runLanes(dir, ['verify', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/\[OK\] a request with tracestate ctx=lane:gray is answered by that lane/);

    // A failed deploy: the previous version keeps serving and ls says so.
    const bad = await runLanes(dir, [
      'deploy',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--branch',
      'bad',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: deploy of lane gray of orders failed at stage Deploy: .*still serves/,
    );
    const afterBad = await runLanes(dir, ['ls', '--env', 'dev', '--service', 'orders']);
    expect(afterBad.stdout).toMatch(
      /gray\s+c0ffee\d\s+feat\/gray\s+failed \(UPDATE_ROLLBACK_COMPLETE: last deploy failed, previous version serving\)\s+2\/2\s+2/,
    );

    // Roll back to a named tag; an unknown tag is refused.
    const gray2 = await runLanes(dir, [
      'deploy',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--branch',
      'feat/gray2',
    ]);
    expect(gray2.code).toBe(0);
    const tags = world.fake
      .stack(laneNames('orders', 'dev', 'gray').stack)!
      .tags['ecs-lanes:image-history']!.split(' ');
    const rollback = await runLanes(dir, [
      'rollback',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--to',
      tags[1]!,
    ]);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(new RegExp(`rolled back: lane gray of orders in dev at ${tags[1]}`));

    // Delete the lane: planned first (nothing changes), then for real.
    const before = world.fake.snapshot();
    const planned = await runLanes(dir, ['plan', 'rm', 'orders', '--env', 'dev', '--lane', 'gray']);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/would shift lane traffic of gray to the baseline/);
    expect(planned.stdout).toMatch(/would delete LaneRule \(AWS::ElasticLoadBalancingV2::ListenerRule\)/);
    expect(world.fake.snapshot()).toEqual(before);
    const rm = await runLanes(dir, ['rm', 'orders', '--env', 'dev', '--lane', 'gray', '--yes']);
    expect(rm.code).toBe(0);
    // Lane traffic goes to the baseline first; then the service drains and goes before its rule.
    expect(rm.stdout).toMatch(/shift lane traffic of gray to the baseline/);
    const deleted = rm.stdout.split('\n').filter((l) => l.startsWith('deleted '));
    expect(deleted.findIndex((l) => l.includes('AWS::ECS::Service'))).toBeLessThan(
      deleted.findIndex((l) => l.includes('ListenerRule')),
    );
    expect((await runLanes(dir, ['ls', '--env', 'dev', '--json'])).stdout).not.toMatch(/"gray"/);
  });

  it('lanes ci params writes the lane stack parameters with the allocated priority', async () => {
    const { dir, world } = setup();
    await world.bootstrap('orders');
    const out = await runLanes(dir, [
      'ci',
      'params',
      '--service',
      'orders',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--branch',
      'main',
      '--image-uri',
      '111122223333.dkr.ecr.us-east-1.amazonaws.com/orders-dev:abc1234',
      '--out',
      'deploy-params.json',
    ]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(
      /wrote 33 parameters of app-orders--dev-gray to deploy-params.json \(rule priority \d+\)/,
    );
    const params = Object.fromEntries(
      JSON.parse(readFileSync(path.join(dir, 'deploy-params.json'), 'utf8')).map(
        (p: { ParameterKey: string; ParameterValue: string }) => [p.ParameterKey, p.ParameterValue],
      ),
    );
    expect(params).toMatchObject({
      LaneName: 'gray',
      EcsServiceName: 'orders-dev-gray',
      TargetGroupName: 'orders-dev-gray-tg',
      IsBaseline: 'false',
      ConfigPath: '/shop/dev/orders',
    });
    expect(Number(params.RulePriority)).toBeGreaterThan(0);
  });

  it('deploys the real templates and parameter files of @ecs-lanes/cdk for the environment and service layers', async () => {
    const { dir, world } = setup();
    restore?.();
    restore = overrideAwsOptions((base) => ({
      ...base,
      clients: world.clients,
      clock: world.clock,
      fetch: world.fake.fetch,
    }));
    const plan = await runLanes(dir, ['plan', 'env', 'deploy', 'dev']);
    expect(plan.stderr).not.toMatch(/error/);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/would infra-network-dev: create /);
    const env = await runLanes(dir, ['env', 'deploy', 'dev', '--json']);
    expect(env.code).toBe(0);
    expect(
      JSON.parse(env.stdout).stacks.map(
        (s: { stackName: string; outcome: string }) => `${s.stackName} ${s.outcome}`,
      ),
    ).toEqual(['infra-network-dev created', 'infra-namespace-dev created', 'pipeline-infra-dev created']);
    const boot = await runLanes(dir, ['service', 'bootstrap', 'orders', '--env', 'dev']);
    expect(boot.code).toBe(0);
    expect(boot.stdout).toMatch(/pipeline-orders-dev: created/);
    const again = await runLanes(dir, ['service', 'bootstrap', 'orders', '--env', 'dev', '--json']);
    expect(JSON.parse(again.stdout).stacks.every((s: { outcome: string }) => s.outcome === 'unchanged')).toBe(
      true,
    );
    expect(world.fake.stack('boot-alb-orders-dev')?.parameters.LoadBalancerName).toBe('orders-dev-alb');
  }, 120_000);

  const badInputs: [string, string[], RegExp][] = [
    [
      'unknown environment',
      ['deploy', 'orders', '--env', 'stage', '--lane', 'gray'],
      /^error: unknown environment "stage"; known environments: dev$/,
    ],
    [
      'unknown service',
      ['deploy', 'nope', '--env', 'dev', '--lane', 'gray'],
      /^error: unknown service "nope"; known services: orders, web$/,
    ],
    ['invalid lane', ['deploy', 'orders', '--env', 'dev', '--lane', 'Gray_1'], /^error: invalid lane/],
    [
      'a lane that does not exist',
      ['rm', 'orders', '--env', 'dev', '--lane', 'ghost', '--yes'],
      /^error: lane ghost of orders does not exist in dev/,
    ],
    [
      'rollback of a lane that does not exist',
      ['rollback', 'orders', '--env', 'dev', '--lane', 'ghost'],
      /^error: lane ghost of orders does not exist in dev/,
    ],
    [
      'the baseline without --force',
      ['rm', 'orders', '--env', 'dev', '--lane', 'base', '--yes'],
      /^error: lane base is the baseline/,
    ],
    [
      'ci deploy without an image',
      ['ci', 'deploy', '--service', 'orders', '--env', 'dev', '--lane', 'gray', '--branch', 'main'],
      /^error: lanes ci deploy needs --image-uri$/,
    ],
    ['plan of a read-only command', ['plan', 'ls', '--env', 'dev'], /^error: lanes plan works with: /],
  ];
  it.each(badInputs)('bad input: %s — one line, exit 1, nothing changed', async (_name, args, message) => {
    const { dir, world } = setup();
    await world.bootstrap('orders');
    const before = world.fake.snapshot();
    const run = await runLanes(dir, args);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(world.fake.snapshot()).toEqual(before);
  });

  it('bad input: throttling that persists — one line with the fix', async () => {
    const { dir, world } = setup();
    await world.bootstrap('orders');
    world.fake.throttle('DescribeStacks', 100_000);
    const run = await runLanes(dir, ['ls', '--env', 'dev']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^error: AWS throttled the requests while listing the lanes of dev \(Rate exceeded\) even after retrying with backoff; wait a minute and run the command again$/,
    );
  });
});
