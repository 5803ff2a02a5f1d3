/**
 * An ECS-native blue/green deployment as ECS runs it, for the fake: the green tasks register in the target
 * group the production rule does not send traffic to, the test rule shifts to green, the lifecycle hook at
 * `POST_TEST_TRAFFIC_SHIFT` runs (the real inline code of the hook Lambda, with the fake's `fetch`), then the
 * production rule shifts to green, the bake time passes and the blue tasks go. ECS rewrites the rules'
 * weights itself (ModifyRule under the load balancer role); the next deployment alternates back.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html
 */
import type { WeightedTargetGroup } from './intrinsics.js';

/** What a blue/green deployment touches in the fake. */
export interface BlueGreenWorld {
  /** The rule's forward action. */
  forwardOf(ruleArn: string): readonly WeightedTargetGroup[];
  /** Rewrites the rule's forward action (ECS's ModifyRule). */
  setForward(ruleArn: string, forward: readonly WeightedTargetGroup[]): void;
  /** Starts the new tasks in the target group (healthy once registered). */
  startTasks(targetGroupArn: string): void;
  /** Stops the old tasks of the target group. */
  stopTasks(targetGroupArn: string): void;
  /** `fetch` through the fake's load balancers. */
  readonly fetch: (url: string, init?: { headers?: Record<string, string> }) => Promise<{ status: number }>;
  sleep(ms: number): Promise<void>;
  effect(what: string, name: string): void;
}

/** One blue/green deployment. */
export interface BlueGreenDeployment {
  readonly serviceName: string;
  readonly productionRuleArn: string;
  readonly testRuleArn: string;
  /** The two target groups of the service (primary, alternate). */
  readonly targetGroups: readonly [string, string];
  /** The lifecycle hook at POST_TEST_TRAFFIC_SHIFT: its inline code and environment. */
  readonly hook?: { readonly code: string; readonly environment: Readonly<Record<string, string>> };
  readonly bakeMs: number;
  readonly hookRetryMs: number;
}

/** The outcome: `SUCCEEDED` with the new live target group, or `FAILED` (rolled back to blue). */
export type BlueGreenOutcome =
  | { readonly status: 'SUCCEEDED'; readonly live: string }
  | { readonly status: 'FAILED'; readonly reason: string };

const only = (arn: string, other: string): WeightedTargetGroup[] => [
  { targetGroupArn: arn, weight: 100 },
  { targetGroupArn: other, weight: 0 },
];

/** The target group the production rule sends traffic to now (blue). */
export function blueOf(world: BlueGreenWorld, d: BlueGreenDeployment): string {
  const forward = world.forwardOf(d.productionRuleArn);
  const heaviest = [...forward].sort((a, b) => b.weight - a.weight)[0];
  return heaviest?.targetGroupArn ?? d.targetGroups[0];
}

/** Runs the hook's inline code (what Lambda would run) with the fake's fetch; returns its hookStatus. */
async function invokeHook(world: BlueGreenWorld, hook: NonNullable<BlueGreenDeployment['hook']>) {
  const module = { exports: {} as { handler?: (event: unknown) => Promise<{ hookStatus?: string }> } };
  const run = new Function('exports', 'module', 'process', 'fetch', 'console', 'AbortSignal', hook.code);
  run(module.exports, module, { env: { ...hook.environment } }, world.fetch, { log() {} }, AbortSignal);
  const result = await module.exports.handler?.({
    executionDetails: { lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' },
  });
  return result?.hookStatus ?? 'FAILED';
}

/** Runs a blue/green deployment whose green tasks run the new revision. */
export async function runBlueGreen(world: BlueGreenWorld, d: BlueGreenDeployment): Promise<BlueGreenOutcome> {
  const blue = blueOf(world, d);
  const green = d.targetGroups[0] === blue ? d.targetGroups[1] : d.targetGroups[0];
  world.startTasks(green);
  // TEST_TRAFFIC_SHIFT: the test rule sends test traffic to green.
  world.setForward(d.testRuleArn, only(green, blue));
  world.effect('bluegreen-test-shift', `${d.serviceName}->${green}`);
  if (d.hook) {
    let status = 'IN_PROGRESS';
    for (let attempt = 0; attempt < 20 && status === 'IN_PROGRESS'; attempt++) {
      if (attempt > 0) await world.sleep(d.hookRetryMs);
      status = await invokeHook(world, d.hook);
    }
    if (status !== 'SUCCEEDED') {
      world.setForward(d.testRuleArn, only(blue, green));
      world.stopTasks(green);
      world.effect('bluegreen-rollback', d.serviceName);
      return { status: 'FAILED', reason: `lifecycle hook returned ${status} at POST_TEST_TRAFFIC_SHIFT` };
    }
  }
  // PRODUCTION_TRAFFIC_SHIFT, then the bake time, then blue goes away.
  world.setForward(d.productionRuleArn, only(green, blue));
  world.effect('bluegreen-production-shift', `${d.serviceName}->${green}`);
  await world.sleep(d.bakeMs);
  world.stopTasks(blue);
  return { status: 'SUCCEEDED', live: green };
}
