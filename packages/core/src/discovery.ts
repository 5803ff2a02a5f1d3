/**
 * Lane-aware discovery: the shape of a discovered instance (as AWS Cloud Map's `DiscoverInstances` returns it,
 * and as the local target's registry answers) and the one rule that picks a lane's instances.
 *
 * ECS gives Cloud Map instances no custom attributes, so an instance's lane is read from the
 * `ECS_SERVICE_NAME` attribute that ECS sets (ARCHITECTURE.md, decision 10), through `naming.ts`.
 * @see https://docs.aws.amazon.com/cloud-map/latest/api/API_DiscoverInstances.html
 */
import { type RouteReason, routeReason } from './hop-report.js';
import { laneFromEcsServiceName } from './naming.js';

// The hop report format is re-exported here because the SDK reaches core only through its small entry points
// (`@ecs-lanes/core/discovery`, `/lane`, `/tracestate`, `/naming`), never through the config schema.
export * from './hop-report.js';

/** Attribute ECS sets on the Cloud Map instances of a service's tasks: the ECS service name. */
export const ECS_SERVICE_NAME_ATTRIBUTE = 'ECS_SERVICE_NAME';
/** Attribute holding the instance's IPv4 address. */
export const IPV4_ATTRIBUTE = 'AWS_INSTANCE_IPV4';
/** Attribute holding the instance's port. */
export const PORT_ATTRIBUTE = 'AWS_INSTANCE_PORT';

/** Path of the local registry's discovery endpoint: `GET {path}?namespace={env}.local&service={service}`. */
export const LOCAL_REGISTRY_DISCOVER_PATH = '/v1/discover';
/** Environment variable that gives a service the local registry's base URL. */
export const LOCAL_REGISTRY_ENV = 'LANES_REGISTRY_URL';

/** One discovered instance, in Cloud Map's `HttpInstanceSummary` shape. */
export interface DiscoveredInstance {
  readonly InstanceId: string;
  readonly NamespaceName: string;
  readonly ServiceName: string;
  readonly HealthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  readonly Attributes: Readonly<Record<string, string>>;
}

/** The answer of the local registry, in Cloud Map's `DiscoverInstances` response shape. */
export interface DiscoverInstancesOutput {
  readonly Instances: readonly DiscoveredInstance[];
}

/** What {@link pickLaneInstances} chose. */
export interface LaneInstances {
  /** The lane that serves the call: the requested lane, or the baseline when it has no healthy instance. */
  readonly lane: string;
  /** True when the requested lane had no healthy instance and the baseline was chosen. */
  readonly fellBack: boolean;
  /**
   * Why: the lane's own instances (`lane`), or the baseline's because the lane has no instance at all
   * (`not-deployed`) or none healthy (`unhealthy`), or because no lane was asked (`no-lane`).
   */
  readonly reason: RouteReason;
  /** The chosen lane's healthy instances (empty when even the baseline has none). */
  readonly instances: readonly DiscoveredInstance[];
}

/** The lane of an instance, or undefined when it is not one of `service`'s lanes in `env`. */
export function instanceLane(instance: DiscoveredInstance, service: string, env: string): string | undefined {
  const name = instance.Attributes[ECS_SERVICE_NAME_ATTRIBUTE];
  return name === undefined ? undefined : laneFromEcsServiceName(service, env, name);
}

/**
 * Picks the instances that serve a call to `service` for `lane`: that lane's healthy instances when there are
 * any, else the baseline's (per-hop fallback). `UNKNOWN` health counts as healthy, as Cloud Map's
 * `HealthStatus: HEALTHY_OR_ELSE_ALL` filter would treat a service without health checks.
 */
export function pickLaneInstances(
  instances: readonly DiscoveredInstance[],
  target: {
    readonly service: string;
    readonly env: string;
    readonly lane: string | undefined;
    readonly baseline: string;
  },
): LaneInstances {
  const wanted = target.lane ?? target.baseline;
  const healthy = (lane: string) =>
    instances.filter(
      (i) => i.HealthStatus !== 'UNHEALTHY' && instanceLane(i, target.service, target.env) === lane,
    );
  const own = healthy(wanted);
  if (own.length > 0 || wanted === target.baseline) {
    return {
      lane: wanted,
      fellBack: false,
      reason: target.lane === undefined ? 'no-lane' : 'lane',
      instances: own,
    };
  }
  const reason = routeReason(wanted, target.baseline, (lane) =>
    instances.some((i) => instanceLane(i, target.service, target.env) === lane),
  );
  return { lane: target.baseline, fellBack: true, reason, instances: healthy(target.baseline) };
}
