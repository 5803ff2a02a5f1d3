/**
 * Health checking of lane instances, held to what an Application Load Balancer does with the targets of a target
 * group and what ECS does with the tasks of a service, so that the local target fails (and holds) where AWS would:
 *
 * - ALB defaults for an HTTP target group: a check every 30 s, 5 s timeout, healthy after 5 consecutive passes,
 *   unhealthy after 2 consecutive failures; a newly registered target is healthy after one passing check.
 *   "Health checks for Application Load Balancer target groups",
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 * - Fail open: "If a target group contains only unhealthy registered targets, the load balancer routes requests to
 *   all those targets, regardless of their health status" (same page). See {@link routableInstances}.
 * - ECS's deployment circuit breaker fails a deployment after a threshold of tasks that fail to start, at least 3
 *   ("ServiceDeploymentCircuitBreaker", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
 *   See {@link HealthPolicy.crashLoopAfter}.
 * - ECS replaces a task that its load balancer reports unhealthy. See {@link HealthPolicy.replaceUnhealthy}.
 *
 * What differs from AWS is listed in docs/local-target.md ("What still differs from the ALB and ECS").
 */

/** How instances are health-checked and when they are given up or replaced. */
export interface HealthPolicy {
  /** Between two checks of an instance that passed its first check (ALB `HealthCheckIntervalSeconds`). @default 30000 */
  readonly healthIntervalMs: number;
  /**
   * Between checks of an instance that has not passed its first check yet. The ALB checks a newly registered target
   * at its interval too; locally a new instance is checked every 100 ms (a refused connection costs nothing) so that a deploy does not wait 30 s. @default 100
   */
  readonly startIntervalMs: number;
  /** One check (ALB `HealthCheckTimeoutSeconds`, 5 s for HTTP target groups). @default 5000 */
  readonly healthTimeoutMs: number;
  /** Consecutive failed checks before a healthy instance is unhealthy (ALB `UnhealthyThresholdCount`). @default 2 */
  readonly unhealthyAfter: number;
  /** Consecutive passed checks before an unhealthy instance is healthy again (ALB `HealthyThresholdCount`). @default 5 */
  readonly healthyAfter: number;
  /**
   * Exits of the process before its first passed check after which a deploy fails at once instead of waiting for
   * its health timeout (the minimum threshold of ECS's deployment circuit breaker). @default 3
   */
  readonly crashLoopAfter: number;
  /** Stop and restart an instance as soon as it turns unhealthy, as ECS replaces such a task. @default true */
  readonly replaceUnhealthy: boolean;
}

/** The ALB's and ECS's defaults (see the module doc for the pages). */
export const ALB_HEALTH_POLICY: HealthPolicy = {
  healthIntervalMs: 30_000,
  startIntervalMs: 100,
  healthTimeoutMs: 5_000,
  unhealthyAfter: 2,
  healthyAfter: 5,
  crashLoopAfter: 3,
  replaceUnhealthy: true,
};

/** One change of an instance's health, as logged and shown by `lanes status`. */
export interface HealthTransition {
  /** ISO time of the change. */
  readonly at: string;
  /** The health after the change. */
  readonly healthy: boolean;
  /** Why, for example `2 consecutive failed checks (timeout after 5000 ms)`. */
  readonly reason: string;
}

/** An instance as the router sees it. */
export interface RoutableInstance {
  /** Passed at least one health check since its process started, and is not stopping. */
  readonly registered: boolean;
  readonly healthy: boolean;
}

/**
 * The instances a target group sends requests to: the healthy registered ones, or, when none of them is healthy,
 * every registered one (the ALB fails open).
 */
export function routableInstances<T extends RoutableInstance>(instances: readonly T[]): T[] {
  const registered = instances.filter((i) => i.registered);
  const healthy = registered.filter((i) => i.healthy);
  return healthy.length > 0 ? healthy : registered;
}

/** Log lines that look like they hold an error: the ones to show when an instance fails to start. */
const ERROR_LINE = /\b(error|exception|fatal|panic|failed|cannot|unhandled|traceback|throw)\b|^\s+at /i;

/**
 * The lines of a log that explain a failure: every line that looks like an error (with the line before it for
 * context), at most `max` of them, else the last `max` lines. Lines written by the local target itself (`--- `)
 * are kept so that restarts show where they happened.
 */
export function explainingLines(log: string, max = 20): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const picked: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (!ERROR_LINE.test(lines[i]!) || lines[i]!.startsWith('--- ')) continue;
    for (const j of [i - 1, i]) {
      if (j >= 0 && !seen.has(j)) {
        seen.add(j);
        picked.push(lines[j]!);
      }
    }
  }
  const chosen = picked.length > 0 ? picked : lines;
  return chosen.slice(-max).join('\n');
}
