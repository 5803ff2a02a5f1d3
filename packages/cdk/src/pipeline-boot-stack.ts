/**
 * `pipelines/pipeline-boot.yaml`, deployed once per service and environment: the pipeline
 * `bootstrap-{service}-{env}` (CodePipeline V2) that deploys `boot-sd-…`, `boot-log-…`, `boot-ecr-…` and
 * `boot-alb-…` from the Infra repo, each with its parameter file and stack policy.
 */
import { AWS_NAME_RULES, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { deployStackAction, PARAMETER_FILES, TEMPLATE_FILES } from './pipeline-kit.js';
import { infraSourceParameters, stackDeployPipeline } from './stack-deploy-pipeline.js';
import { arn, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link PipelineBootStack}. */
export interface PipelineBootStackProps extends StackProps {}

/** The service bootstrap pipeline. Parameters: `BOOT_PIPELINE_PARAMETER_NAMES` of core. */
export class PipelineBootStack extends Stack {
  constructor(scope: Construct, id: string, props: PipelineBootStackProps = {}) {
    super(scope, id, templateStackProps('ecs-lanes: the service pipeline bootstrap-{service}-{env}', props));
    nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const pipelineName = nameParameter(this, 'PipelineName', AWS_NAME_RULES.pipeline, 'Pipeline name');
    const source = infraSourceParameters(this);
    const sd = nameParameter(this, 'SdStackName', AWS_NAME_RULES.stack, 'Cloud Map service stack name');
    const log = nameParameter(this, 'LogStackName', AWS_NAME_RULES.stack, 'Log group stack name');
    const alb = nameParameter(this, 'AlbStackName', AWS_NAME_RULES.stack, 'Load balancer stack name');
    const ecr = nameParameter(this, 'EcrStackName', AWS_NAME_RULES.stack, 'ECR stack name');

    stackDeployPipeline(this, {
      pipelineName,
      ...source,
      stackNames: [sd, log, alb, ecr],
      actions: (roleArn) => [
        deployStackAction({
          name: 'CloudMapService',
          stackName: sd.valueAsString,
          templatePath: TEMPLATE_FILES.sd,
          templateConfiguration: PARAMETER_FILES.sd,
          roleArn,
          runOrder: 1,
        }),
        deployStackAction({
          name: 'LogGroup',
          stackName: log.valueAsString,
          templatePath: TEMPLATE_FILES.log,
          templateConfiguration: PARAMETER_FILES.log,
          roleArn,
          runOrder: 1,
        }),
        deployStackAction({
          name: 'Repository',
          stackName: ecr.valueAsString,
          templatePath: TEMPLATE_FILES.ecr,
          templateConfiguration: PARAMETER_FILES.ecr,
          roleArn,
          runOrder: 1,
        }),
        deployStackAction({
          name: 'LoadBalancer',
          stackName: alb.valueAsString,
          templatePath: TEMPLATE_FILES.alb,
          templateConfiguration: PARAMETER_FILES.alb,
          roleArn,
          runOrder: 1,
        }),
      ],
      deployStatements: [
        {
          Effect: 'Allow',
          Action: [
            'servicediscovery:CreateService',
            'servicediscovery:UpdateService',
            'servicediscovery:GetService',
            'servicediscovery:GetNamespace',
            'servicediscovery:TagResource',
            'servicediscovery:UntagResource',
            'servicediscovery:ListTagsForResource',
            'route53:GetHostedZone',
            'route53:ChangeResourceRecordSets',
            'route53:CreateHealthCheck',
            'route53:GetHealthCheck',
            'logs:CreateLogGroup',
            'logs:PutRetentionPolicy',
            'logs:DescribeLogGroups',
            'logs:TagResource',
            'logs:UntagResource',
            'logs:ListTagsForResource',
            'logs:DeleteRetentionPolicy',
            'logs:GetDataProtectionPolicy',
            'logs:DescribeIndexPolicies',
            'logs:DescribeResourcePolicies',
            'ecr:CreateRepository',
            'ecr:DescribeRepositories',
            'ecr:PutLifecyclePolicy',
            'ecr:PutImageScanningConfiguration',
            'ecr:PutImageTagMutability',
            'ecr:TagResource',
            'ecr:UntagResource',
            'ecr:ListTagsForResource',
            'ecr:GetLifecyclePolicy',
            'ecr:GetRepositoryPolicy',
            'ec2:CreateSecurityGroup',
            'ec2:AuthorizeSecurityGroupIngress',
            'ec2:AuthorizeSecurityGroupEgress',
            'ec2:RevokeSecurityGroupIngress',
            'ec2:RevokeSecurityGroupEgress',
            'ec2:CreateTags',
            'ec2:DeleteTags',
            'ec2:DescribeSecurityGroupRules',
            'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
            'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'ec2:DescribeInternetGateways',
            'ec2:DescribeAccountAttributes',
            'ec2:DescribeInstances',
            'elasticloadbalancing:CreateLoadBalancer',
            'elasticloadbalancing:CreateTargetGroup',
            'elasticloadbalancing:CreateListener',
            'elasticloadbalancing:ModifyLoadBalancerAttributes',
            'elasticloadbalancing:ModifyTargetGroup',
            'elasticloadbalancing:ModifyTargetGroupAttributes',
            'elasticloadbalancing:SetSecurityGroups',
            'elasticloadbalancing:SetSubnets',
            'elasticloadbalancing:ModifyListener',
            'elasticloadbalancing:ModifyListenerAttributes',
            'elasticloadbalancing:AddTags',
            'elasticloadbalancing:RemoveTags',
            'elasticloadbalancing:DescribeLoadBalancers',
            'elasticloadbalancing:DescribeLoadBalancerAttributes',
            'elasticloadbalancing:DescribeTargetGroups',
            'elasticloadbalancing:DescribeTargetGroupAttributes',
            'elasticloadbalancing:DescribeListeners',
            'elasticloadbalancing:DescribeListenerAttributes',
            'elasticloadbalancing:DescribeTags',
            'elasticloadbalancing:DescribeTargetHealth',
            'elasticloadbalancing:DescribeCapacityReservation',
          ],
          Resource: '*',
        },
        {
          // Deletions: CloudFormation deletes what a failed first create made (DeletionPolicy RetainExceptOnCreate),
          // and the security groups and their rules, which are not retained. Retained resources survive a stack
          // delete; a stack policy guards them in updates.
          // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
          Effect: 'Allow',
          Action: [
            'servicediscovery:DeleteService',
            'ecr:DeleteRepository',
            'logs:DeleteLogGroup',
            'ec2:DeleteSecurityGroup',
            'elasticloadbalancing:DeleteLoadBalancer',
            'elasticloadbalancing:DeleteTargetGroup',
            'elasticloadbalancing:DeleteListener',
          ],
          Resource: [
            arn('servicediscovery', 'service/*'),
            arn('ecr', 'repository/${ServiceName}-${EnvName}'),
            arn('logs', 'log-group:/ecs/${EnvName}/${ServiceName}:*'),
            arn('ec2', 'security-group/*'),
            arn('elasticloadbalancing', 'loadbalancer/app/*'),
            arn('elasticloadbalancing', 'targetgroup/*'),
            arn('elasticloadbalancing', 'listener/app/*'),
          ],
        },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: '*',
          Condition: {
            StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' },
          },
        },
      ],
      deployAcknowledgements: [
        [
          'AwsSolutions-IAM5[Resource::*]',
          'Creating a Cloud Map service, log group, repository, security group or load balancer has no resource-level permissions before its generated ARN exists; actions are enumerated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:servicediscovery:<AWS::Region>:<AWS::AccountId>:service/*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/ecs/<EnvName>/<ServiceName>:*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:loadbalancer/app/*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:targetgroup/*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
        [
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:listener/app/*]',
          'Deletions run only when CloudFormation rolls back a failed first create (RetainExceptOnCreate) or removes a security group; Cloud Map service ids, security group ids and load balancer, target group and listener ids are generated, and the pipeline role may only use this role on the four service stacks.',
        ],
      ],
    });
  }
}
