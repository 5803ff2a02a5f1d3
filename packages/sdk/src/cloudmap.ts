/**
 * `@ecs-lanes/sdk/cloudmap`: AWS Cloud Map as a resolver, through `DiscoverInstances`.
 *
 * A separate entry point, so that only services that use it load `@ecs-lanes/sdk`'s one AWS dependency,
 * `@ecs-lanes/sdk/cloudmap` → `@aws-sdk/client-servicediscovery` (an optional peer dependency).
 *
 * `DiscoverInstances` has an account-wide rate limit (about 1,000 requests per second), so answers are cached per
 * service (see `DiscoveryCache`): at most one call per service per TTL, whatever the request rate; stale answers
 * are served on errors and throttling.
 * @see https://docs.aws.amazon.com/cloud-map/latest/api/API_DiscoverInstances.html
 */
import {
  DiscoverInstancesCommand,
  type DiscoverInstancesCommandOutput,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import type { DiscoveredInstance } from '@ecs-lanes/core/discovery';
import {
  DiscoveryCache,
  type DiscoveryCacheOptions,
  type InstanceResolver,
  namespaceOf,
} from './resolver.js';

/** The part of the Cloud Map client this resolver uses (a `ServiceDiscoveryClient`, or a fake in tests). */
export interface CloudMapClientLike {
  send(command: DiscoverInstancesCommand): Promise<Pick<DiscoverInstancesCommandOutput, 'Instances'>>;
}

/** Options of {@link cloudMapResolver}. */
export interface CloudMapResolverOptions extends DiscoveryCacheOptions {
  /**
   * The Cloud Map client.
   * @default a `ServiceDiscoveryClient` with the default region and credentials of the task
   */
  readonly client?: CloudMapClientLike;
  /**
   * `MaxResults` of each call (Cloud Map allows 1 to 1000).
   * @default 1000
   */
  readonly maxResults?: number;
}

const HEALTH_STATUSES = new Set(['HEALTHY', 'UNHEALTHY', 'UNKNOWN']);

/**
 * A resolver asking Cloud Map: `DiscoverInstances` with namespace `{env}.local`, the service name, and
 * `HealthStatus: ALL`, so that core's `pickLaneInstances` sees every instance with its health and falls back to
 * the baseline itself when the lane has no healthy one.
 */
export function cloudMapResolver(options: CloudMapResolverOptions = {}): InstanceResolver {
  const client = options.client ?? new ServiceDiscoveryClient({});
  const maxResults = options.maxResults ?? 1000;
  const load = async (service: string, env: string): Promise<readonly DiscoveredInstance[]> => {
    const output = await client.send(
      new DiscoverInstancesCommand({
        NamespaceName: namespaceOf(env),
        ServiceName: service,
        HealthStatus: 'ALL',
        MaxResults: maxResults,
      }),
    );
    const instances: DiscoveredInstance[] = [];
    for (const summary of output.Instances ?? []) {
      if (summary.InstanceId === undefined) continue;
      instances.push({
        InstanceId: summary.InstanceId,
        NamespaceName: summary.NamespaceName ?? namespaceOf(env),
        ServiceName: summary.ServiceName ?? service,
        HealthStatus: HEALTH_STATUSES.has(summary.HealthStatus ?? '')
          ? (summary.HealthStatus as DiscoveredInstance['HealthStatus'])
          : 'UNKNOWN',
        Attributes: summary.Attributes ?? {},
      });
    }
    return Object.freeze(instances);
  };
  return new DiscoveryCache(load, options);
}
