/**
 * `service/alb-stack.yaml`, deployed as `boot-alb-{service}-{env}`: the service's Application Load Balancer
 * `{service}-{env}-alb` with deletion protection, its HTTP:80 listener whose default action forwards to
 * `{service}-{env}-default-tg` (the baseline lane), and the security groups. With `InitAlb` false an existing
 * load balancer is adopted through the `Existing*` parameters; the service security group always exists.
 * The service's tasks admit on the container port: the created load balancer (or, adopted, the security group
 * `ExistingLoadBalancerSecurityGroupId`), and the environment's task security group, because the SDK's Cloud
 * Map resolver and Service Connect dial task IPs directly, not through the load balancer.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html (the client's task must be allowed to reach the server's container port)
 * Lanes add their own target groups and listener rules in their own stacks and never update this one.
 */
import {
  type ALB_STACK_PARAMETER_NAMES,
  AWS_NAME_RULES,
  EXPORT_KEYS,
  NAME_PARAMETER_RULES,
} from '@ecs-lanes/core';
import { CfnCondition, CfnParameter, CfnRule, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupEgress, CfnSecurityGroupIngress } from 'aws-cdk-lib/aws-ec2';
import { CfnListener, CfnLoadBalancer, CfnTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import {
  acknowledge,
  booleanParameter,
  exportValue,
  ifString,
  importFrom,
  isTrue,
  nameParameter,
  templateStackProps,
} from './template-kit.js';

/** Properties of {@link AlbStack}. */
export interface AlbStackProps extends StackProps {
  /**
   * CIDR allowed to reach the listener.
   * @default '0.0.0.0/0' (a public entry point)
   */
  readonly ingressCidr?: string;
  /**
   * Idle timeout of the load balancer, in seconds.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
}

const EXISTING = [
  ['ExistingLoadBalancerArn', 'LoadBalancerArn'],
  ['ExistingLoadBalancerDnsName', 'LoadBalancerDnsName'],
  ['ExistingLoadBalancerFullName', 'LoadBalancerFullName'],
  ['ExistingListenerArn', 'ListenerArn'],
  ['ExistingDefaultTargetGroupArn', 'DefaultTargetGroupArn'],
  ['ExistingDefaultTargetGroupFullName', 'DefaultTargetGroupFullName'],
] as const satisfies readonly (readonly [(typeof ALB_STACK_PARAMETER_NAMES)[number], string])[];

/** The service's load balancer stack. Parameters: `ALB_STACK_PARAMETER_NAMES` of core. */
export class AlbStack extends Stack {
  /** Logical id of the listener: its updates are denied by the stack policy. */
  readonly listenerLogicalId: string;
  /** Logical ids of the shared resources that must never be replaced or deleted (stack policy). */
  readonly sharedLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: AlbStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps(
        'ecs-lanes service layer: the load balancer of {service}, its HTTP:80 listener and default target group',
        props,
      ),
    );
    const service = nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const albName = nameParameter(
      this,
      'LoadBalancerName',
      AWS_NAME_RULES.elb,
      'Load balancer: {service}-{env}-alb',
    );
    const tgName = nameParameter(
      this,
      'DefaultTargetGroupName',
      AWS_NAME_RULES.elb,
      'Default target group (baseline lane): {service}-{env}-default-tg',
    );
    const port = new CfnParameter(this, 'ContainerPort', {
      type: 'Number',
      minValue: 1,
      maxValue: 65535,
      description: 'Port the service listens on',
    });
    const health = new CfnParameter(this, 'HealthPath', {
      type: 'String',
      allowedPattern: '^/[\\x21-\\x7e]*$',
      maxLength: 1024,
      description: 'Health check path',
    });
    const init = booleanParameter(
      this,
      'InitAlb',
      'Create the load balancer (false: adopt the Existing* one)',
    );
    const network = nameParameter(
      this,
      'NetworkStackName',
      AWS_NAME_RULES.stack,
      'Name of the network stack',
    );
    const existing = new Map<string, CfnParameter>();
    for (const [param] of EXISTING) {
      existing.set(
        param,
        new CfnParameter(this, param, {
          type: 'String',
          default: '',
          description: `Adopted load balancer (required when InitAlb is false): ${param.replace('Existing', '')}`,
        }),
      );
    }
    const adoptedSg = new CfnParameter(this, 'ExistingLoadBalancerSecurityGroupId', {
      type: 'String',
      default: '',
      allowedPattern: '^(?:sg-[0-9a-f]{8,17})?$',
      description:
        'Adopted load balancer (required when InitAlb is false): a security group it has, admitted by the tasks',
    });
    new CfnRule(this, 'ExistingLoadBalancerRequired', {
      ruleCondition: Fn.conditionEquals(init.valueAsString, 'false'),
      assertions: [
        ...EXISTING.map(([param]) => ({
          assert: Fn.conditionNot(Fn.conditionEquals(existing.get(param)!.valueAsString, '')),
          assertDescription: `InitAlb is false: ${param} must identify the adopted load balancer`,
        })),
        {
          assert: Fn.conditionNot(Fn.conditionEquals(adoptedSg.valueAsString, '')),
          assertDescription:
            'InitAlb is false: ExistingLoadBalancerSecurityGroupId must name a security group of the adopted load balancer, or its tasks are unreachable',
        },
      ],
    });
    const create = isTrue(this, 'CreateLoadBalancer', init);
    acknowledge(
      this,
      'CloudFormation-Validate::W1001',
      'Each output reads a conditional resource only inside Fn::If(CreateLoadBalancer), else the Existing* parameter.',
    );
    const vpc = importFrom(network, 'VpcId');

    const albSg = new CfnSecurityGroup(this, 'LoadBalancerSecurityGroup', {
      groupDescription: 'ecs-lanes load balancer: HTTP from clients',
      vpcId: vpc,
      securityGroupIngress: [
        {
          ipProtocol: 'tcp',
          fromPort: 80,
          toPort: 80,
          cidrIp: props.ingressCidr ?? '0.0.0.0/0',
          description: 'HTTP listener',
        },
      ],
      tags: [
        { key: 'ecs-lanes:env', value: env.valueAsString },
        { key: 'ecs-lanes:service', value: service.valueAsString },
      ],
    });
    albSg.cfnOptions.condition = create;
    acknowledge(
      albSg,
      'AwsSolutions-EC23',
      'The listener is the public HTTP entry point of the service; restrict it with the ingressCidr prop or a WAF in front.',
    );

    const serviceSg = new CfnSecurityGroup(this, 'ServiceSecurityGroup', {
      groupDescription: 'ecs-lanes tasks of one service: traffic from its load balancer only',
      vpcId: vpc,
      securityGroupEgress: [
        { ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'Tasks call dependencies' },
      ],
      tags: [
        { key: 'ecs-lanes:env', value: env.valueAsString },
        { key: 'ecs-lanes:service', value: service.valueAsString },
      ],
    });
    const ingress = new CfnSecurityGroupIngress(this, 'ServiceIngressFromLoadBalancer', {
      groupId: serviceSg.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: port.valueAsNumber,
      toPort: port.valueAsNumber,
      sourceSecurityGroupId: albSg.attrGroupId,
      description: 'Load balancer to tasks',
    });
    ingress.cfnOptions.condition = create;
    const adoptedIngress = new CfnSecurityGroupIngress(this, 'ServiceIngressFromAdoptedLoadBalancer', {
      groupId: serviceSg.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: port.valueAsNumber,
      toPort: port.valueAsNumber,
      sourceSecurityGroupId: adoptedSg.valueAsString,
      description: 'Adopted load balancer to tasks',
    });
    adoptedIngress.cfnOptions.condition = new CfnCondition(this, 'AdoptLoadBalancer', {
      expression: Fn.conditionEquals(init.valueAsString, 'false'),
    });
    adoptedIngress.addMetadata('cfn-lint', {
      config: {
        ignore_checks: ['W1030'],
        ignore_reasons: {
          W1030:
            'The empty default of ExistingLoadBalancerSecurityGroupId is never used here: the rule ExistingLoadBalancerRequired refuses it when InitAlb is false, the only case this resource exists.',
        },
      },
    });
    new CfnSecurityGroupIngress(this, 'ServiceIngressFromTasks', {
      groupId: serviceSg.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: port.valueAsNumber,
      toPort: port.valueAsNumber,
      sourceSecurityGroupId: Fn.select(0, Fn.split(',', importFrom(network, 'SecurityGroups'))),
      description: 'Tasks of the environment (SDK Cloud Map resolver, Service Connect) to tasks',
    });
    const egress = new CfnSecurityGroupEgress(this, 'LoadBalancerEgressToService', {
      groupId: albSg.attrGroupId,
      ipProtocol: 'tcp',
      fromPort: port.valueAsNumber,
      toPort: port.valueAsNumber,
      destinationSecurityGroupId: serviceSg.attrGroupId,
      description: 'Load balancer to tasks',
    });
    egress.cfnOptions.condition = create;

    const alb = new CfnLoadBalancer(this, 'LoadBalancer', {
      name: albName.valueAsString,
      type: 'application',
      scheme: 'internet-facing',
      subnets: Fn.split(',', importFrom(network, 'PublicSubnets')),
      securityGroups: [albSg.attrGroupId],
      loadBalancerAttributes: [
        { key: 'deletion_protection.enabled', value: 'true' },
        { key: 'routing.http.drop_invalid_header_fields.enabled', value: 'true' },
        { key: 'idle_timeout.timeout_seconds', value: String(props.idleTimeoutSeconds ?? 60) },
      ],
      tags: [
        { key: 'ecs-lanes:env', value: env.valueAsString },
        { key: 'ecs-lanes:service', value: service.valueAsString },
      ],
    });
    alb.cfnOptions.condition = create;
    alb.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    acknowledge(
      alb,
      'AwsSolutions-ELB2',
      'Access logs need an organisation-owned S3 bucket with a region-specific bucket policy; enable them per environment (access_logs.s3.*) once that bucket exists.',
    );

    const tg = new CfnTargetGroup(this, 'DefaultTargetGroup', {
      name: tgName.valueAsString,
      targetType: 'ip',
      protocol: 'HTTP',
      port: port.valueAsNumber,
      vpcId: vpc,
      healthCheckPath: health.valueAsString,
      healthCheckIntervalSeconds: 15,
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
      matcher: { httpCode: '200-399' },
      targetGroupAttributes: [{ key: 'deregistration_delay.timeout_seconds', value: '30' }],
    });
    tg.cfnOptions.condition = create;
    tg.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);

    const listener = new CfnListener(this, 'HttpListener', {
      loadBalancerArn: alb.ref,
      port: 80,
      protocol: 'HTTP',
      defaultActions: [{ type: 'forward', targetGroupArn: tg.ref }],
    });
    listener.cfnOptions.condition = create;
    listener.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);

    this.listenerLogicalId = this.getLogicalId(listener);
    this.sharedLogicalIds = [alb, tg, listener, albSg, serviceSg].map((r) => this.getLogicalId(r));

    const created: Record<(typeof EXISTING)[number][1], string> = {
      LoadBalancerArn: alb.ref,
      LoadBalancerDnsName: alb.attrDnsName,
      LoadBalancerFullName: alb.attrLoadBalancerFullName,
      ListenerArn: listener.ref,
      DefaultTargetGroupArn: tg.ref,
      DefaultTargetGroupFullName: tg.attrTargetGroupFullName,
    };
    for (const key of EXPORT_KEYS.alb) {
      if (key === 'ServiceSecurityGroupId') {
        exportValue(this, key, serviceSg.attrGroupId, 'Security group of the service tasks');
        continue;
      }
      const param = EXISTING.find(([, k]) => k === key)![0];
      exportValue(this, key, ifString(create, created[key], existing.get(param)!.valueAsString), key);
    }
  }
}
