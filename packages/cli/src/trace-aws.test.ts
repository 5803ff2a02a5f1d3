/**
 * `lanes trace` and the propagation gate of `lanes ci verify` on AWS, run in-process against the in-memory AWS
 * fake: three services (web -> orders -> inventory) whose tasks answer traced requests as the SDK does, routing
 * each call lane-first through the Cloud Map instances ECS registered (aws/src/fake/app-plane.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAwsTarget } from '@ecs-lanes/aws';
import { createFakeWorld, type FakeWorld, FIXTURE_CONFIG } from '@ecs-lanes/aws/fake';
import { afterEach, describe, expect, it } from 'vitest';
import { overrideAwsOptions } from './aws.js';
import { runLanes } from './testing.js';

/** The fixture environment with a chain of three services. */
function chainConfig(webTrace = ''): string {
  return `${FIXTURE_CONFIG.slice(0, FIXTURE_CONFIG.indexOf('services:'))}services:
  - name: web
    appRepo: { repository: acme/shop-web }
    port: 8080
    dependsOn: [orders]${webTrace}
  - name: orders
    appRepo: { repository: acme/shop-orders }
    port: 8080
    dependsOn: [inventory]
  - name: inventory
    appRepo: { repository: acme/shop-inventory }
    port: 8080
`;
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

/** A project with the chain, every baseline deployed, and lane gray of web and inventory (not of orders). */
async function setup(webTrace = ''): Promise<{ dir: string; world: FakeWorld }> {
  const config = chainConfig(webTrace);
  const dir = mkdtempSync(path.join(tmpdir(), 'lanes-trace-aws-'));
  writeFileSync(path.join(dir, 'lanes.yaml'), config);
  const world = createFakeWorld({ config });
  await world.bootstrap('web', 'orders', 'inventory');
  const target = createAwsTarget(world.options);
  for (const service of ['inventory', 'orders', 'web']) {
    await target.deploy({ service, env: 'dev', lane: 'base', branch: 'main' });
  }
  await target.deploy({ service: 'inventory', env: 'dev', lane: 'gray', branch: 'main' });
  await target.deploy({ service: 'web', env: 'dev', lane: 'gray', branch: 'main' });
  restore = overrideAwsOptions((base) => ({
    ...base,
    clients: world.clients,
    clock: world.clock,
    templates: world.templates,
    fetch: world.fake.fetch,
  }));
  return { dir, world };
}

const verifyArgs = ['ci', 'verify', '--service', 'web', '--env', 'dev', '--lane', 'gray'];

describe('lanes trace and the propagation gate on AWS (against the fake)', () => {
  it('traces from the ALB: web in gray, orders falls back (not deployed), inventory back in gray', async () => {
    const { dir } = await setup();
    const run = await runLanes(dir, ['trace', 'web', '--env', 'dev', '--lane', 'gray']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^trace web lane gray in dev: GET \/ via http:\/\/web-dev-alb-\S+\.elb\.amazonaws\.com$/,
    );
    expect(lines.slice(1)).toEqual([
      '└─ [OK] web — lane gray (alb)',
      '   └─ [FALLBACK] orders — the lane is not deployed for it; served by base (sdk)',
      '      └─ [OK] inventory — lane gray (sdk)',
      '2 OK, 1 FALLBACK, 0 NG: lane gray holds on the way',
    ]);
    const json = await runLanes(dir, ['trace', 'web', '--env', 'dev', '--lane', 'gray', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      root: { service: 'web', calls: [{ service: 'orders' }] },
    });
    const verify = await runLanes(dir, verifyArgs);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(
      /\[OK\] propagation: lane gray holds at every hop along dependsOn — 2 OK, 1 FALLBACK, 0 NG/,
    );
  });

  it('lanes ci verify fails, with the tree, when a service drops the lane, and names that service', async () => {
    const { dir, world } = await setup();
    world.fake.apps!.dropLane('orders');
    const verify = await runLanes(dir, verifyArgs);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(
      /verification of lane gray of web failed: propagation: .* the lane breaks at orders, inventory/,
    );
    expect(verify.stderr).toMatch(
      /\[NG\] orders — the lane is not deployed for it; served by base; lost the lane: no call to inventory/,
    );
    expect(verify.stderr).toMatch(/\[NG\] inventory — not reached: lane gray is deployed for inventory/);
    const trace = await runLanes(dir, ['trace', 'web', '--env', 'dev', '--lane', 'gray']);
    expect(trace.code).toBe(1);
    expect(trace.stdout.trim().split('\n').at(-1)).toBe(
      '1 OK, 0 FALLBACK, 2 NG: lane gray breaks at orders, inventory',
    );
  });

  it('fails the Verify stage of a deploy whose lane breaks on the way', async () => {
    const { dir, world } = await setup();
    world.fake.apps!.dropLane('orders');
    const deploy = await runLanes(dir, [
      'deploy',
      'web',
      '--env',
      'dev',
      '--lane',
      'gray',
      '--branch',
      'main',
    ]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/at stage Verify/);
  });

  it('a service that runs no SDK tracing is NG when it has dependencies: the lane cannot be followed', async () => {
    const { dir, world } = await setup();
    world.fake.apps!.silence('web');
    const trace = await runLanes(dir, ['trace', 'web', '--env', 'dev', '--lane', 'gray']);
    expect(trace.code).toBe(1);
    expect(trace.stdout).toMatch(
      /without a trace report: does it run the ecs-lanes SDK's server integration\?/,
    );
  });

  it('the gate can be turned off per service in lanes.yaml', async () => {
    const { dir, world } = await setup('\n    trace: { gate: false }');
    world.fake.apps!.dropLane('orders');
    const verify = await runLanes(dir, verifyArgs);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(
      /\[SKIP\] propagation: .* — turned off for web \(trace\.gate: false in lanes\.yaml\)/,
    );
  });
});
