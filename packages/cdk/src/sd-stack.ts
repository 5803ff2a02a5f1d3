/**
 * `service/sd-stack.yaml`, deployed as `boot-sd-{service}-{env}`: the Cloud Map service `{service}` in
 * `{env}.local`. Every lane's tasks register in it; the SDK tells lanes apart by `ECS_SERVICE_NAME`.
 */
import { AWS_NAME_RULES, EXPORT_KEYS, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnService } from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { exportValue, importFrom, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link SdStack}. */
export interface SdStackProps extends StackProps {
  /**
   * TTL of the A records, in seconds: how long a caller may keep a stopped task's address.
   * @default 10
   */
  readonly dnsTtlSeconds?: number;
}

/** The service's Cloud Map service stack. Parameters: `SD_STACK_PARAMETER_NAMES` of core. */
export class SdStack extends Stack {
  /** Logical ids of the shared resources (used by the stack policy). */
  readonly sharedLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: SdStackProps = {}) {
    super(scope, id, templateStackProps('ecs-lanes service layer: the Cloud Map service {service}', props));
    const service = nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const namespace = nameParameter(
      this,
      'NamespaceStackName',
      AWS_NAME_RULES.stack,
      'Name of the namespace stack',
    );

    const sd = new CfnService(this, 'CloudMapService', {
      name: service.valueAsString,
      namespaceId: importFrom(namespace, 'NamespaceId'),
      description: Fn.sub('ecs-lanes: every lane of ${ServiceName} in ${EnvName}'),
      dnsConfig: {
        routingPolicy: 'MULTIVALUE',
        // SRV beside A: ECS then registers each task with its container port (AWS_INSTANCE_PORT), which
        // the SDK's resolver dials; with A records alone an instance carries only its IP.
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceRegistry.html
        dnsRecords: [
          { type: 'A', ttl: props.dnsTtlSeconds ?? 10 },
          { type: 'SRV', ttl: props.dnsTtlSeconds ?? 10 },
        ],
      },
      healthCheckCustomConfig: { failureThreshold: 1 },
    });
    sd.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.sharedLogicalIds = [this.getLogicalId(sd)];

    const [idKey, arnKey] = EXPORT_KEYS.sd;
    exportValue(this, idKey, sd.attrId, 'Cloud Map service id');
    exportValue(this, arnKey, sd.attrArn, 'Cloud Map service ARN');
  }
}
