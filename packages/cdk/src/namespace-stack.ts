/**
 * `env/namespace-stack.yaml`, deployed as `infra-namespace-{env}`: the Cloud Map private DNS namespace
 * `{env}.local` (when `InitCloudMap`; otherwise an existing one is adopted) and the ECS cluster.
 */
import { AWS_NAME_RULES, EXPORT_KEYS, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { CfnParameter, CfnRule, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnCluster } from 'aws-cdk-lib/aws-ecs';
import { CfnPrivateDnsNamespace } from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { GcJob } from './gc-job.js';
import { infraSourceParameters } from './stack-deploy-pipeline.js';
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

/** Properties of {@link NamespaceStack}. */
export interface NamespaceStackProps extends StackProps {
  /**
   * Whether the cluster enables CloudWatch Container Insights (the lane alarms read `RunningTaskCount` from it).
   * @default 'enhanced'
   */
  readonly containerInsights?: 'enabled' | 'enhanced';
}

/** The environment's namespace and cluster stack. Parameters: `NAMESPACE_STACK_PARAMETER_NAMES` of core. */
export class NamespaceStack extends Stack {
  /** Logical ids of the shared resources (used by the stack policy). */
  readonly sharedLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: NamespaceStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps(
        'ecs-lanes environment layer: Cloud Map namespace {env}.local and the ECS cluster',
        props,
      ),
    );
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const namespaceName = new CfnParameter(this, 'NamespaceName', {
      type: 'String',
      description: 'Cloud Map private DNS namespace: {env}.local',
      allowedPattern: `^(?:${NAME_PARAMETER_RULES.env.pattern.replace(/^\^|\$$/g, '')})\\.local$`,
      maxLength: NAME_PARAMETER_RULES.env.maxLength + '.local'.length,
    });
    const clusterName = nameParameter(this, 'ClusterName', AWS_NAME_RULES.ecs, 'ECS cluster name');
    const init = booleanParameter(
      this,
      'InitCloudMap',
      'Create the namespace (false: adopt ExistingNamespaceId)',
    );
    const existing = new CfnParameter(this, 'ExistingNamespaceId', {
      type: 'String',
      default: '',
      allowedPattern: '^(?:ns-[a-z0-9]{16,64})?$',
      description: 'Id of an existing namespace {env}.local, required when InitCloudMap is false',
    });
    const network = nameParameter(
      this,
      'NetworkStackName',
      AWS_NAME_RULES.stack,
      'Name of the network stack',
    );

    const project = new CfnParameter(this, 'ProjectName', {
      type: 'String',
      description: 'Project name of lanes.yaml (the lane stacks carry it in their ecs-lanes:project tag)',
      allowedPattern: '^[a-z][a-z0-9-]{0,29}$',
    });
    const source = infraSourceParameters(this);
    const gcSchedule = new CfnParameter(this, 'GcSchedule', {
      type: 'String',
      default: 'rate(1 hour)',
      description: 'When the gc job runs lanes gc (EventBridge Scheduler expression)',
      allowedPattern: '^(rate\\(\\d+ (minute|minutes|hour|hours|day|days)\\)|cron\\([^()]+\\))$',
    });

    const create = isTrue(this, 'CreateNamespace', init);
    acknowledge(
      this,
      'CloudFormation-Validate::W1001',
      'NamespaceId reads the namespace only inside Fn::If(CreateNamespace), else ExistingNamespaceId.',
    );
    new CfnRule(this, 'ExistingNamespaceRequired', {
      ruleCondition: Fn.conditionEquals(init.valueAsString, 'false'),
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(existing.valueAsString, '')),
          assertDescription:
            'InitCloudMap is false: give the id of the existing namespace in ExistingNamespaceId',
        },
      ],
    });

    const namespace = new CfnPrivateDnsNamespace(this, 'Namespace', {
      name: namespaceName.valueAsString,
      vpc: importFrom(network, 'VpcId'),
      description: Fn.sub('ecs-lanes service discovery of environment ${EnvName}'),
      tags: [{ key: 'ecs-lanes:env', value: env.valueAsString }],
    });
    namespace.cfnOptions.condition = create;
    namespace.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const cluster = new CfnCluster(this, 'Cluster', {
      clusterName: clusterName.valueAsString,
      clusterSettings: [{ name: 'containerInsights', value: props.containerInsights ?? 'enhanced' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      tags: [{ key: 'ecs-lanes:env', value: env.valueAsString }],
    });
    cluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.sharedLogicalIds = [this.getLogicalId(namespace), this.getLogicalId(cluster)];

    new GcJob(this, 'Gc', {
      env,
      project,
      connectionArn: source.connectionArn,
      infraRepository: source.infraRepository,
      infraBranch: source.infraBranch,
      schedule: gcSchedule,
    });

    const [idKey, nameKey, clusterKey, clusterArnKey] = EXPORT_KEYS.namespace;
    exportValue(
      this,
      idKey,
      ifString(create, namespace.attrId, existing.valueAsString),
      'Cloud Map namespace id',
    );
    exportValue(this, nameKey, namespaceName.valueAsString, 'Cloud Map namespace name ({env}.local)');
    exportValue(this, clusterKey, cluster.ref, 'ECS cluster name');
    exportValue(this, clusterArnKey, cluster.attrArn, 'ECS cluster ARN');
  }
}
