/**
 * The permissions CloudFormation's resource handlers need, per resource type and handler, as the resource type
 * schemas publish them in `handlers.{create,read,update,delete}.permissions`. When a stack has a service role,
 * CloudFormation makes every call of a handler with that role's credentials, so a role missing one of these fails
 * the resource (`... is not authorized to perform: ...`).
 *
 * Each row names its source: the type's schema in the CloudFormation registry (`aws cloudformation describe-type
 * --type RESOURCE --type-name <type>`, field `Schema`), whose public copy lives in the type's
 * `aws-cloudformation-resource-providers-*` repository. A row lists the permissions of the handler for the
 * properties ecs-lanes templates use (a permission the handler needs only for a property no template sets, such as
 * a KMS key or a data-protection policy, is left out and listed in docs/aws-fidelity.md).
 *
 * @see https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html (handlers)
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html
 */

/** The four handlers CloudFormation calls while it creates, updates and deletes a stack's resources. */
export type CfnHandler = 'create' | 'read' | 'update' | 'delete';

/** One row of the table. */
export interface HandlerPermissionsRow {
  readonly create: readonly string[];
  readonly read: readonly string[];
  readonly update: readonly string[];
  readonly delete: readonly string[];
  /** The schema the row comes from. */
  readonly source: string;
}

const schema = (repo: string, type: string) =>
  `https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-${repo}/blob/master/${type}/${type}.json (handlers)`;

/** The table: resource type → handler → permissions. */
export const CFN_HANDLER_PERMISSIONS: Readonly<Record<string, HandlerPermissionsRow>> = {
  'AWS::IAM::Role': {
    create: ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:GetRole', 'iam:GetRolePolicy', 'iam:TagRole'],
    read: ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy'],
    update: [
      'iam:UpdateRole',
      'iam:UpdateRoleDescription',
      'iam:UpdateAssumeRolePolicy',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:ListRolePolicies',
      'iam:ListAttachedRolePolicies',
      'iam:TagRole',
      'iam:UntagRole',
    ],
    delete: [
      'iam:DeleteRole',
      'iam:DeleteRolePolicy',
      'iam:GetRole',
      'iam:ListRolePolicies',
      'iam:ListAttachedRolePolicies',
    ],
    source: schema('iam', 'aws-iam-role'),
  },
  'AWS::ECS::TaskDefinition': {
    create: [
      'ecs:RegisterTaskDefinition',
      'ecs:DescribeTaskDefinition',
      'ecs:TagResource',
      'iam:GetRole',
      'iam:PassRole',
    ],
    read: ['ecs:DescribeTaskDefinition'],
    update: [
      'ecs:TagResource',
      'ecs:UntagResource',
      'ecs:ListTagsForResource',
      'ecs:DescribeTaskDefinition',
      'iam:GetRole',
      'iam:PassRole',
    ],
    delete: ['ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'iam:GetRole'],
    source: schema('ecs', 'aws-ecs-taskdefinition'),
  },
  'AWS::ECS::Service': {
    create: [
      'ecs:CreateService',
      'ecs:DescribeServices',
      'ecs:DescribeServiceDeployments',
      'ecs:TagResource',
      'elasticloadbalancing:DescribeTargetGroups',
      'iam:PassRole',
    ],
    read: ['ecs:DescribeServices', 'elasticloadbalancing:DescribeTargetGroups'],
    update: [
      'ecs:UpdateService',
      'ecs:DescribeServices',
      'ecs:DescribeServiceDeployments',
      'ecs:TagResource',
      'ecs:UntagResource',
      'ecs:ListTagsForResource',
      'elasticloadbalancing:DescribeTargetGroups',
      'iam:PassRole',
    ],
    delete: ['ecs:DeleteService', 'ecs:DescribeServices'],
    source: schema('ecs', 'aws-ecs-service'),
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    create: [
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:AddTags',
    ],
    read: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTags',
    ],
    update: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
    delete: ['elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:DescribeTargetGroups'],
    source: schema('elasticloadbalancingv2', 'aws-elasticloadbalancingv2-targetgroup'),
  },
  'AWS::ElasticLoadBalancingV2::ListenerRule': {
    create: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:DescribeRules'],
    read: ['elasticloadbalancing:DescribeRules'],
    update: [
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:SetRulePriorities',
      'elasticloadbalancing:DescribeRules',
    ],
    delete: ['elasticloadbalancing:DeleteRule', 'elasticloadbalancing:DescribeRules'],
    source: schema('elasticloadbalancingv2', 'aws-elasticloadbalancingv2-listenerrule'),
  },
  'AWS::Logs::LogGroup': {
    create: ['logs:DescribeLogGroups', 'logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:TagResource'],
    read: ['logs:DescribeLogGroups', 'logs:ListTagsForResource'],
    update: [
      'logs:DescribeLogGroups',
      'logs:PutRetentionPolicy',
      'logs:DeleteRetentionPolicy',
      'logs:TagResource',
      'logs:UntagResource',
      'logs:ListTagsForResource',
    ],
    delete: ['logs:DescribeLogGroups', 'logs:DeleteLogGroup'],
    source: schema('logs', 'aws-logs-loggroup'),
  },
  'AWS::Lambda::Function': {
    create: ['lambda:CreateFunction', 'lambda:GetFunction', 'lambda:TagResource', 'iam:PassRole'],
    read: ['lambda:GetFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:GetRuntimeManagementConfig'],
    update: [
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:GetFunction',
      'lambda:GetRuntimeManagementConfig',
      'lambda:ListTags',
      'lambda:TagResource',
      'lambda:UntagResource',
      'iam:PassRole',
    ],
    delete: ['lambda:DeleteFunction', 'lambda:GetFunction'],
    source: schema('lambda', 'aws-lambda-function'),
  },
  'AWS::CloudWatch::Alarm': {
    create: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource'],
    read: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
    update: [
      'cloudwatch:PutMetricAlarm',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:TagResource',
      'cloudwatch:UntagResource',
      'cloudwatch:ListTagsForResource',
    ],
    delete: ['cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
    source: schema('cloudwatch', 'aws-cloudwatch-alarm'),
  },
  'AWS::ECR::Repository': {
    create: [
      'ecr:CreateRepository',
      'ecr:PutLifecyclePolicy',
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
      'ecr:TagResource',
    ],
    read: [
      'ecr:DescribeRepositories',
      'ecr:GetLifecyclePolicy',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
    ],
    update: [
      'ecr:PutLifecyclePolicy',
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
      'ecr:DescribeRepositories',
      'ecr:GetLifecyclePolicy',
      'ecr:ListTagsForResource',
      'ecr:TagResource',
      'ecr:UntagResource',
    ],
    delete: ['ecr:DeleteRepository'],
    source: schema('ecr', 'aws-ecr-repository'),
  },
  'AWS::ServiceDiscovery::Service': {
    create: ['servicediscovery:CreateService', 'servicediscovery:GetService', 'servicediscovery:TagResource'],
    read: ['servicediscovery:GetService', 'servicediscovery:ListTagsForResource'],
    update: [
      'servicediscovery:UpdateService',
      'servicediscovery:GetService',
      'servicediscovery:ListTagsForResource',
      'servicediscovery:TagResource',
      'servicediscovery:UntagResource',
    ],
    delete: ['servicediscovery:DeleteService', 'servicediscovery:GetService'],
    source: schema('servicediscovery', 'aws-servicediscovery-service'),
  },
  'AWS::EC2::SecurityGroup': {
    create: [
      'ec2:CreateSecurityGroup',
      'ec2:DescribeSecurityGroups',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:CreateTags',
    ],
    read: ['ec2:DescribeSecurityGroups'],
    update: [
      'ec2:DescribeSecurityGroups',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:CreateTags',
      'ec2:DeleteTags',
    ],
    delete: ['ec2:DescribeSecurityGroups', 'ec2:DeleteSecurityGroup'],
    source: schema('ec2', 'aws-ec2-securitygroup'),
  },
  'AWS::EC2::SecurityGroupIngress': {
    create: ['ec2:DescribeSecurityGroupRules', 'ec2:AuthorizeSecurityGroupIngress'],
    read: ['ec2:DescribeSecurityGroupRules'],
    update: ['ec2:DescribeSecurityGroupRules', 'ec2:UpdateSecurityGroupRuleDescriptionsIngress'],
    delete: ['ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupIngress'],
    source: schema('ec2', 'aws-ec2-securitygroupingress'),
  },
  'AWS::EC2::SecurityGroupEgress': {
    create: ['ec2:DescribeSecurityGroupRules', 'ec2:AuthorizeSecurityGroupEgress'],
    read: ['ec2:DescribeSecurityGroupRules'],
    update: ['ec2:DescribeSecurityGroupRules', 'ec2:UpdateSecurityGroupRuleDescriptionsEgress'],
    delete: ['ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupEgress'],
    source: schema('ec2', 'aws-ec2-securitygroupegress'),
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    create: [
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:AddTags',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeVpcs',
    ],
    read: [
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTags',
    ],
    update: [
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:SetSubnets',
      'elasticloadbalancing:SetSecurityGroups',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
    delete: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DeleteLoadBalancer'],
    source: schema('elasticloadbalancingv2', 'aws-elasticloadbalancingv2-loadbalancer'),
  },
  'AWS::ElasticLoadBalancingV2::Listener': {
    create: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DescribeListeners'],
    read: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerAttributes'],
    update: [
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:ModifyListenerAttributes',
      'elasticloadbalancing:DescribeListenerAttributes',
    ],
    delete: ['elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DescribeListeners'],
    source: schema('elasticloadbalancingv2', 'aws-elasticloadbalancingv2-listener'),
  },
};

/**
 * Actions that take no resource-level permissions: IAM authorizes them on `*` only, so a policy naming an ARN does
 * not grant them. From the Service Authorization Reference ("Resource types" column empty).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticloadbalancingv2.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set([
  'ecs:RegisterTaskDefinition',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeListenerAttributes',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeTargetHealth',
  'logs:DescribeLogGroups',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
]);

/** The permissions CloudFormation's handlers need to create, update or delete a resource of `type`. */
export function handlerPermissions(type: string, handler: CfnHandler): readonly string[] | undefined {
  return CFN_HANDLER_PERMISSIONS[type]?.[handler];
}
