/**
 * `env/network-stack.yaml`, deployed as `infra-network-{env}`: wraps an existing VPC (it creates no network)
 * and exports what the upper layers need. Its one resource is the environment's shared task security group
 * (egress only), exported in `SecurityGroups`.
 */
import { EXPORT_KEYS, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnSecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { exportValue, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link NetworkStack}. */
export interface NetworkStackProps extends StackProps {
  /**
   * Description of the shared task security group.
   * @default 'ecs-lanes tasks of one environment (egress only)'
   */
  readonly securityGroupDescription?: string;
}

/** The environment's network stack. Parameters: `NETWORK_STACK_PARAMETER_NAMES` of core. */
export class NetworkStack extends Stack {
  /** Logical id of the shared security group (used by the stack policy). */
  readonly sharedSecurityGroupLogicalId: string;

  constructor(scope: Construct, id: string, props: NetworkStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps(
        'ecs-lanes environment layer: wraps an existing VPC and exports its subnets and the shared task security group',
        props,
      ),
    );
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const vpcId = new CfnParameter(this, 'VpcId', {
      type: 'AWS::EC2::VPC::Id',
      description: 'The existing VPC of the environment',
    });
    const privateSubnets = new CfnParameter(this, 'PrivateSubnets', {
      type: 'List<AWS::EC2::Subnet::Id>',
      description: 'Private subnets (tasks), in at least two Availability Zones',
    });
    const publicSubnets = new CfnParameter(this, 'PublicSubnets', {
      type: 'List<AWS::EC2::Subnet::Id>',
      description: 'Public subnets (load balancers), in at least two Availability Zones',
    });

    const shared = new CfnSecurityGroup(this, 'SharedTaskSecurityGroup', {
      groupDescription: props.securityGroupDescription ?? 'ecs-lanes tasks of one environment (egress only)',
      vpcId: vpcId.valueAsString,
      securityGroupEgress: [
        { ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'Tasks call AWS APIs, ECR and other services' },
      ],
      tags: [{ key: 'ecs-lanes:env', value: env.valueAsString }],
    });
    this.sharedSecurityGroupLogicalId = this.getLogicalId(shared);

    const [vpcKey, privateKey, publicKey, sgKey] = EXPORT_KEYS.network;
    exportValue(this, vpcKey, vpcId.valueAsString, 'VPC id');
    exportValue(
      this,
      privateKey,
      Fn.join(',', privateSubnets.valueAsList),
      'Private subnet ids, comma-separated',
    );
    exportValue(
      this,
      publicKey,
      Fn.join(',', publicSubnets.valueAsList),
      'Public subnet ids, comma-separated',
    );
    exportValue(this, sgKey, shared.attrGroupId, 'Security groups every task joins, comma-separated');
  }
}
