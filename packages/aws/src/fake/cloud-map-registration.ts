/**
 * The Cloud Map instance ECS registers for each task of a service with `serviceRegistries`, for the fake:
 * exactly the attributes ECS documents, and the health status ECS reports.
 * - Attributes: `AWS_INSTANCE_IPV4`, `AVAILABILITY_ZONE`, `REGION`, `ECS_SERVICE_NAME`, `ECS_CLUSTER_NAME`,
 *   `ECS_TASK_DEFINITION_FAMILY`, and `AWS_INSTANCE_PORT` only when the registry names a port
 *   (`containerName`/`containerPort` or `port`); no custom attributes.
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-discovery.html ("Service discovery
 *   considerations": the attributes of the registered instance)
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceRegistry.html (containerPort, port)
 * - Health: with a custom health check config ECS reports the task's health, which is the container health
 *   check's; a task definition without one has health UNKNOWN, which is not HEALTHY, so the instance is
 *   modelled UNHEALTHY (strict: the review observed callers dropping such instances).
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html (UNKNOWN: no container
 *   health check defined)
 */

/** The attribute names ECS sets on the instances it registers. */
export const ECS_REGISTERED_ATTRIBUTES = [
  'AWS_INSTANCE_IPV4',
  'AVAILABILITY_ZONE',
  'REGION',
  'ECS_SERVICE_NAME',
  'ECS_CLUSTER_NAME',
  'ECS_TASK_DEFINITION_FAMILY',
] as const;

/** What ECS knows about a task it registers. */
export interface RegisteredTask {
  readonly ip: string;
  readonly availabilityZone: string;
  readonly region: string;
  readonly serviceName: string;
  readonly clusterName: string;
  readonly taskDefinitionFamily: string;
  /** The ServiceRegistries port, when configured. */
  readonly port?: number;
  /** True when the task definition has a container health check (and the task passes it). */
  readonly healthCheck: boolean;
}

/** The instance's attributes and health status, as ECS registers it. */
export function laneRegistration(task: RegisteredTask): {
  attributes: Record<string, string>;
  health: 'HEALTHY' | 'UNHEALTHY';
} {
  return {
    attributes: {
      AWS_INSTANCE_IPV4: task.ip,
      AVAILABILITY_ZONE: task.availabilityZone,
      REGION: task.region,
      ECS_SERVICE_NAME: task.serviceName,
      ECS_CLUSTER_NAME: task.clusterName,
      ECS_TASK_DEFINITION_FAMILY: task.taskDefinitionFamily,
      ...(task.port !== undefined ? { AWS_INSTANCE_PORT: String(task.port) } : {}),
    },
    health: task.healthCheck ? 'HEALTHY' : 'UNHEALTHY',
  };
}
