/**
 * `pipelines/pipeline-infra.yaml`, deployed once per environment: the pipeline `infra-{env}` (CodePipeline V2)
 * that deploys `infra-network-{env}` then `infra-namespace-{env}` from the Infra repo, each with its parameter
 * file and stack policy (`params/{env}/*.json`, written by `lanes synth`).
 */
import { AWS_NAME_RULES, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { deployStackAction, PARAMETER_FILES, passRoleStatement, TEMPLATE_FILES } from './pipeline-kit.js';
import { infraSourceParameters, stackDeployPipeline } from './stack-deploy-pipeline.js';
import { arn, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link PipelineInfraStack}. */
export interface PipelineInfraStackProps extends StackProps {}

/** The environment pipeline. Parameters: `INFRA_PIPELINE_PARAMETER_NAMES` of core. */
export class PipelineInfraStack extends Stack {
  constructor(scope: Construct, id: string, props: PipelineInfraStackProps = {}) {
    super(scope, id, templateStackProps('ecs-lanes: the environment pipeline infra-{env}', props));
    nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const pipelineName = nameParameter(
      this,
      'PipelineName',
      AWS_NAME_RULES.pipeline,
      'Pipeline: infra-{env}',
    );
    const source = infraSourceParameters(this);
    const network = nameParameter(this, 'NetworkStackName', AWS_NAME_RULES.stack, 'Network stack name');
    const namespace = nameParameter(this, 'NamespaceStackName', AWS_NAME_RULES.stack, 'Namespace stack name');

    stackDeployPipeline(this, {
      pipelineName,
      ...source,
      stackNames: [network, namespace],
      actions: (roleArn) => [
        deployStackAction({
          name: 'Network',
          stackName: network.valueAsString,
          templatePath: TEMPLATE_FILES.network,
          templateConfiguration: PARAMETER_FILES.network,
          roleArn,
          runOrder: 1,
        }),
        deployStackAction({
          name: 'Namespace',
          stackName: namespace.valueAsString,
          templatePath: TEMPLATE_FILES.namespace,
          templateConfiguration: PARAMETER_FILES.namespace,
          roleArn,
          runOrder: 2,
        }),
      ],
      deployStatements: [
        {
          Effect: 'Allow',
          Action: [
            'ec2:CreateSecurityGroup',
            'ec2:DeleteSecurityGroup',
            'ec2:AuthorizeSecurityGroupEgress',
            'ec2:RevokeSecurityGroupEgress',
            'ec2:AuthorizeSecurityGroupIngress',
            'ec2:RevokeSecurityGroupIngress',
            'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
            'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
            'ec2:CreateTags',
            'ec2:DeleteTags',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeInstances',
            'ec2:DescribeVpcs',
            'ec2:DescribeVpcAttribute',
            'ec2:DescribeSubnets',
            'ec2:DescribeRegions',
            'servicediscovery:CreatePrivateDnsNamespace',
            'servicediscovery:UpdatePrivateDnsNamespace',
            'servicediscovery:GetNamespace',
            'servicediscovery:GetOperation',
            'servicediscovery:ListNamespaces',
            'servicediscovery:TagResource',
            'route53:CreateHostedZone',
            'route53:GetHostedZone',
            'route53:ListHostedZonesByName',
            'route53:ChangeResourceRecordSets',
            'route53:GetChange',
            'route53:ChangeTagsForResource',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: [
            'ecs:CreateCluster',
            'ecs:DescribeClusters',
            'ecs:UpdateCluster',
            'ecs:UpdateClusterSettings',
            'ecs:PutClusterCapacityProviders',
            'ecs:TagResource',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: '*',
          Condition: { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
        },
        // The scheduled gc job of the namespace stack (gc-job.ts): its two roles, project, schedule and log group.
        {
          Effect: 'Allow',
          Action: [
            'iam:CreateRole',
            'iam:DeleteRole',
            'iam:GetRole',
            'iam:PutRolePolicy',
            'iam:DeleteRolePolicy',
            'iam:GetRolePolicy',
            'iam:TagRole',
            'iam:UntagRole',
            'iam:ListRolePolicies',
            'iam:ListAttachedRolePolicies',
            'iam:UpdateRole',
            'iam:UpdateAssumeRolePolicy',
            'iam:UpdateRoleDescription',
          ],
          Resource: arn('iam', 'role/${NamespaceStackName}-*', undefined, false),
        },
        passRoleStatement(
          [arn('iam', 'role/${NamespaceStackName}-*', undefined, false)],
          ['codebuild.amazonaws.com', 'scheduler.amazonaws.com'],
        ),
        {
          Effect: 'Allow',
          Action: [
            'codebuild:CreateProject',
            'codebuild:UpdateProject',
            'codebuild:DeleteProject',
            'codebuild:BatchGetProjects',
          ],
          Resource: arn('codebuild', 'project/lanes-gc-${EnvName}'),
        },
        {
          Effect: 'Allow',
          Action: [
            'scheduler:CreateSchedule',
            'scheduler:UpdateSchedule',
            'scheduler:DeleteSchedule',
            'scheduler:GetSchedule',
          ],
          Resource: arn('scheduler', 'schedule/default/lanes-gc-${EnvName}'),
        },
        {
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:DeleteLogGroup',
            'logs:PutRetentionPolicy',
            'logs:DeleteRetentionPolicy',
            'logs:DescribeLogGroups',
            'logs:TagResource',
            'logs:UntagResource',
            'logs:ListTagsForResource',
            'logs:GetDataProtectionPolicy',
            'logs:DescribeIndexPolicies',
            'logs:DescribeResourcePolicies',
          ],
          Resource: '*',
        },
      ],
      deployAcknowledgements: [
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/<NamespaceStackName>-*]',
          "The gc job's two roles get names generated by CloudFormation from the namespace stack name; they may be passed only to CodeBuild and EventBridge Scheduler.",
        ],
        [
          'AwsSolutions-IAM5[Resource::*]',
          'Security group, namespace, hosted zone and cluster creation have no resource-level permissions before the resource exists; the actions are enumerated (no wildcards); deletes are granted because CloudFormation replaces and removes these resources on stack updates, the environment stacks carry stack policies and termination protection, and the pipeline role may only use this role on the two environment stacks.',
        ],
      ],
    });
  }
}
