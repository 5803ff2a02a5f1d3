/**
 * The services behind the fake's ALBs, for traced requests (docs/trace.md): not AWS behaviour but the apps a
 * user deploys, modelled as services that embed the ecs-lanes SDK. A traced request (`x-lanes-trace: 1`) that
 * reaches a task of service S is answered with S's instance report (`x-lanes-trace-instance`): S's lane, the
 * lane asked, and a call to each service S calls, routed as the SDK routes it: lane-first among the instances
 * ECS registered in Cloud Map (`ECS_SERVICE_NAME`), else the baseline (core `pickLaneInstances`).
 *
 * Tests make a service misbehave: {@link FakeApps.dropLane} (it calls its dependencies outside the request's
 * context: the lane and the trace are lost) or {@link FakeApps.silence} (it runs no SDK tracing).
 */
import {
  type DiscoveredInstance,
  encodeInstanceReport,
  type HopReport,
  hopOf,
  type InstanceReport,
  laneFromEcsServiceName,
  pickLaneInstances,
} from '@ecs-lanes/core';

/** What the fake apps need from the fake: the Cloud Map instances of a service. */
export interface FakeDiscovery {
  /** The instances registered in Cloud Map service `service` of the environment's namespace. */
  discover(service: string): readonly DiscoveredInstance[];
}

/** The apps of one environment, from `lanes.yaml`: each service calls its `dependsOn`. */
export class FakeApps {
  readonly #dropping = new Set<string>();
  readonly #silent = new Set<string>();
  readonly #calls: ReadonlyMap<string, readonly string[]>;

  constructor(
    readonly env: string,
    readonly baseline: string,
    services: readonly { readonly name: string; readonly dependsOn: readonly string[] }[],
  ) {
    this.#calls = new Map(services.map((s) => [s.name, s.dependsOn]));
  }

  /** Service `service` calls its dependencies outside the request's context, losing the lane and the trace. */
  dropLane(service: string): this {
    this.#dropping.add(service);
    return this;
  }

  /** Service `service` runs no SDK tracing: it answers traced requests without a report. */
  silence(service: string): this {
    this.#silent.add(service);
    return this;
  }

  /** The configured service that ECS service `ecsService` belongs to, with its lane. */
  serviceOf(ecsService: string): { service: string; lane: string } | undefined {
    for (const service of this.#calls.keys()) {
      const lane = laneFromEcsServiceName(service, this.env, ecsService);
      if (lane !== undefined) return { service, lane };
    }
    return undefined;
  }

  /** The `x-lanes-trace-instance` value of a task of `service` in `lane` serving a request asking `asked`. */
  reportHeader(
    discovery: FakeDiscovery,
    service: string,
    lane: string,
    asked: string | undefined,
  ): string | undefined {
    const report = this.#report(discovery, service, lane, asked, 0);
    return report === undefined ? undefined : encodeInstanceReport(report);
  }

  #report(
    discovery: FakeDiscovery,
    service: string,
    lane: string,
    asked: string | undefined,
    depth: number,
  ): InstanceReport | undefined {
    if (this.#silent.has(service)) return undefined;
    const calls: HopReport[] = [];
    // A service that drops the request's context makes its calls untraced: none comes back in the report.
    if (!this.#dropping.has(service) && depth < 16) {
      for (const callee of this.#calls.get(service) ?? []) {
        const pick = pickLaneInstances(discovery.discover(callee), {
          service: callee,
          env: this.env,
          lane: asked,
          baseline: this.baseline,
        });
        if (pick.instances.length === 0) continue; // the call fails: not recorded
        const report = this.#report(discovery, callee, pick.lane, asked, depth + 1);
        calls.push(
          hopOf({ service: callee, asked, served: pick.lane, reason: pick.reason, by: 'sdk' }, report),
        );
      }
    }
    return { lane, ...(asked === undefined ? {} : { asked }), calls };
  }
}
