/**
 * The permissions CloudFormation's resource handlers need, per resource type and handler, as the resource type
 * schemas publish them in `handlers.{create,read,update,delete}.permissions`. When a stack has a service role,
 * CloudFormation makes every call of a handler with that role's credentials, so a role missing one of these fails
 * the resource (`... is not authorized to perform: ...`).
 *
 * Each row names its source: the type's schema in the CloudFormation registry (`aws cloudformation describe-type
 * --type RESOURCE --type-name <type>`, field `Schema`), as checked against the stackql registry docs generated
 * from those schemas (page and commit in `source`). A row lists every permission the published handler lists,
 * except those the handler needs only for a property no ecs-lanes template sets (a KMS key, a data-protection
 * policy, Cognito authentication, ...): these are left out, named in a comment above the row and listed in
 * docs/aws-fidelity.md. The handlers' reads of the resource itself are always kept.
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

/**
 * Where a row was checked: the stackql registry docs page generated from the type's registry schema (its
 * "Permissions" section lists `handlers.*.permissions`), pinned to the commit read, plus the schema's file name in
 * the type's `aws-cloudformation-resource-providers-*` repository.
 */
const checked = (page: string, commit: string, schemaFile: string) =>
  `https://github.com/stackql-registry/stackql-provider-awscc/blob/${commit}/website/docs/services/${page}/index.md (## Permissions), from schema ${schemaFile}.json (handlers)`;

/** The table: resource type → handler → permissions. */
export const CFN_HANDLER_PERMISSIONS: Readonly<Record<string, HandlerPermissionsRow>> = {
  // Left out (properties no template sets): iam:AttachRolePolicy, iam:DetachRolePolicy (ManagedPolicyArns),
  // iam:PutRolePermissionsBoundary, iam:DeleteRolePermissionsBoundary (PermissionsBoundary).
  'AWS::IAM::Role': {
    create: [
      'iam:CreateRole',
      'iam:PutRolePolicy',
      'iam:GetRolePolicy',
      'iam:TagRole',
      'iam:UntagRole',
      'iam:GetRole',
    ],
    read: ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy'],
    update: [
      'iam:UpdateRole',
      'iam:UpdateRoleDescription',
      'iam:UpdateAssumeRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:PutRolePolicy',
      'iam:TagRole',
      'iam:UntagRole',
    ],
    delete: [
      'iam:DeleteRole',
      'iam:DeleteRolePolicy',
      'iam:GetRole',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
      'iam:TagRole',
      'iam:UntagRole',
    ],
    source: checked('iam/roles', '0a9e0924a72a070b9bd6869555b0dcedabd3150e', 'aws-iam-role'),
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
    delete: ['ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'iam:GetRole', 'iam:PassRole'],
    source: checked(
      'ecs/task_definitions',
      '0a9e0924a72a070b9bd6869555b0dcedabd3150e',
      'aws-ecs-taskdefinition',
    ),
  },
  'AWS::ECS::Service': {
    create: [
      'ecs:CreateService',
      'ecs:DescribeServiceDeployments',
      'ecs:DescribeServices',
      'ecs:ListServiceDeployments',
      'iam:PassRole',
      'ecs:TagResource',
    ],
    read: ['ecs:DescribeServices'],
    update: [
      'ecs:DescribeServiceDeployments',
      'ecs:DescribeServices',
      'ecs:ListServiceDeployments',
      'ecs:ListTagsForResource',
      'ecs:StopServiceDeployment',
      'ecs:TagResource',
      'ecs:UntagResource',
      'ecs:UpdateService',
    ],
    delete: ['ecs:DeleteService', 'ecs:DescribeServices'],
    source: checked('ecs/services', '0a0c503a9b7d68135581e058a7d42168b61d56d5', 'aws-ecs-service'),
  },
  // Left out (property no template sets): elasticloadbalancing:RegisterTargets, DeregisterTargets (Targets).
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    create: [
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:AddTags',
    ],
    read: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DescribeTags',
    ],
    update: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
    delete: ['elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:DescribeTargetGroups'],
    source: checked(
      'elasticloadbalancingv2/target_groups',
      '0a0c503a9b7d68135581e058a7d42168b61d56d5',
      'aws-elasticloadbalancingv2-targetgroup',
    ),
  },
  // Left out (property no template sets): cognito-idp:DescribeUserPoolClient (authenticate-cognito actions).
  'AWS::ElasticLoadBalancingV2::ListenerRule': {
    create: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:DescribeRules'],
    read: ['elasticloadbalancing:DescribeRules'],
    update: [
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:SetRulePriorities',
      'elasticloadbalancing:DescribeRules',
    ],
    delete: ['elasticloadbalancing:DeleteRule', 'elasticloadbalancing:DescribeRules'],
    source: checked(
      'elasticloadbalancingv2/listener_rules',
      '120d3a8e6cfeeef34d4988c3bb71c8512f1429ec',
      'aws-elasticloadbalancingv2-listenerrule',
    ),
  },
  // Left out (properties no template sets): logs:PutDataProtectionPolicy, logs:DeleteDataProtectionPolicy,
  // logs:CreateLogDelivery, s3:REST.PUT.OBJECT, firehose:TagDeliveryStream (DataProtectionPolicy and its audit
  // destinations), logs:PutResourcePolicy, logs:DeleteResourcePolicy (ResourcePolicyDocument), logs:PutIndexPolicy,
  // logs:DeleteIndexPolicy (FieldIndexPolicies), logs:AssociateKmsKey, logs:DisassociateKmsKey (KmsKeyId). The
  // handlers' reads of the log group's own policies are kept: they run whatever the template sets.
  'AWS::Logs::LogGroup': {
    create: [
      'logs:DescribeLogGroups',
      'logs:CreateLogGroup',
      'logs:PutRetentionPolicy',
      'logs:TagResource',
      'logs:GetDataProtectionPolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeIndexPolicies',
    ],
    read: [
      'logs:DescribeLogGroups',
      'logs:ListTagsForResource',
      'logs:GetDataProtectionPolicy',
      'logs:DescribeIndexPolicies',
      'logs:DescribeResourcePolicies',
    ],
    update: [
      'logs:DescribeLogGroups',
      'logs:PutRetentionPolicy',
      'logs:DeleteRetentionPolicy',
      'logs:TagResource',
      'logs:UntagResource',
      'logs:ListTagsForResource',
      'logs:GetDataProtectionPolicy',
      'logs:DescribeResourcePolicies',
    ],
    delete: ['logs:DescribeLogGroups', 'logs:DeleteLogGroup'],
    source: checked('logs/log_groups', '0a9e0924a72a070b9bd6869555b0dcedabd3150e', 'aws-logs-loggroup'),
  },
  // Left out (properties no template sets): lambda:PutFunctionConcurrency, lambda:DeleteFunctionConcurrency
  // (ReservedConcurrentExecutions), s3:GetObject, s3:GetObjectVersion (Code.S3Bucket; templates use ZipFile),
  // ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeVpcs, ec2:DescribeNetworkInterfaces (VpcConfig),
  // elasticfilesystem:DescribeMountTargets (FileSystemConfigs), kms:CreateGrant, kms:Decrypt, kms:Encrypt,
  // kms:GenerateDataKey (KmsKeyArn), lambda:GetCodeSigningConfig, lambda:PutFunctionCodeSigningConfig,
  // lambda:DeleteFunctionCodeSigningConfig (CodeSigningConfigArn), lambda:GetLayerVersion (Layers),
  // lambda:PutRuntimeManagementConfig (RuntimeManagementConfig), lambda:PutFunctionRecursionConfig (RecursiveLoop).
  'AWS::Lambda::Function': {
    create: [
      'lambda:CreateFunction',
      'lambda:GetFunction',
      'iam:PassRole',
      'lambda:GetFunctionCodeSigningConfig',
      'lambda:GetRuntimeManagementConfig',
      'lambda:TagResource',
      'lambda:GetFunctionRecursionConfig',
    ],
    read: ['lambda:GetFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:GetFunctionRecursionConfig'],
    update: [
      'lambda:GetFunction',
      'lambda:TagResource',
      'lambda:UntagResource',
      'lambda:UpdateFunctionConfiguration',
      'lambda:UpdateFunctionCode',
      'iam:PassRole',
      'lambda:GetRuntimeManagementConfig',
      'lambda:GetFunctionCodeSigningConfig',
      'lambda:GetFunctionRecursionConfig',
    ],
    delete: ['lambda:DeleteFunction', 'lambda:GetFunction'],
    source: checked('lambda/functions', '0ade0a920233550fc1936fe2f10d8253e9fa8295', 'aws-lambda-function'),
  },
  'AWS::CloudWatch::Alarm': {
    create: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource'],
    read: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
    update: [
      'cloudwatch:PutMetricAlarm',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:TagResource',
      'cloudwatch:UntagResource',
    ],
    delete: ['cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
    source: checked('cloudwatch/alarms', '0a0c503a9b7d68135581e058a7d42168b61d56d5', 'aws-cloudwatch-alarm'),
  },
  // Left out (properties no template sets): ecr:SetRepositoryPolicy, ecr:DeleteRepositoryPolicy
  // (RepositoryPolicyText), ecr:DeleteLifecyclePolicy (removing LifecyclePolicy; every template sets one),
  // kms:DescribeKey, kms:CreateGrant, kms:RetireGrant (EncryptionType KMS; templates use AES256).
  'AWS::ECR::Repository': {
    create: ['ecr:CreateRepository', 'ecr:PutLifecyclePolicy', 'ecr:TagResource'],
    read: [
      'ecr:DescribeRepositories',
      'ecr:GetLifecyclePolicy',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
    ],
    update: [
      'ecr:DescribeRepositories',
      'ecr:PutLifecyclePolicy',
      'ecr:TagResource',
      'ecr:UntagResource',
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
    ],
    delete: ['ecr:DeleteRepository'],
    source: checked('ecr/repositories', '0a0c503a9b7d68135581e058a7d42168b61d56d5', 'aws-ecr-repository'),
  },
  // NOT VERIFIED: no published copy of this type's handler permissions was found (the stackql awscc docs have no
  // page for it; the type is not listed among Cloud Control's resources there). Kept as transcribed; see
  // docs/aws-fidelity.md.
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
    source:
      'https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-servicediscovery/blob/master/aws-servicediscovery-service/aws-servicediscovery-service.json (handlers) (not verified: no stored copy)',
  },
  'AWS::EC2::SecurityGroup': {
    create: [
      'ec2:CreateSecurityGroup',
      'ec2:DescribeSecurityGroups',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:CreateTags',
    ],
    read: ['ec2:DescribeSecurityGroups'],
    update: [
      'ec2:RevokeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:DescribeSecurityGroups',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
      'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
      'ec2:CreateTags',
      'ec2:DeleteTags',
    ],
    delete: ['ec2:DescribeSecurityGroups', 'ec2:DeleteSecurityGroup', 'ec2:DescribeInstances'],
    source: checked(
      'ec2/security_groups',
      '0a0c503a9b7d68135581e058a7d42168b61d56d5',
      'aws-ec2-securitygroup',
    ),
  },
  'AWS::EC2::SecurityGroupIngress': {
    create: ['ec2:DescribeSecurityGroupRules', 'ec2:AuthorizeSecurityGroupIngress'],
    read: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
    update: ['ec2:UpdateSecurityGroupRuleDescriptionsIngress'],
    delete: ['ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupIngress'],
    source: checked(
      'ec2/security_group_ingresses',
      '3ca39bf9a649a21e50a7f83482c9ff9469a956fb',
      'aws-ec2-securitygroupingress',
    ),
  },
  'AWS::EC2::SecurityGroupEgress': {
    create: [
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:DescribeSecurityGroupRules',
    ],
    read: ['ec2:DescribeSecurityGroupRules'],
    update: ['ec2:UpdateSecurityGroupRuleDescriptionsEgress'],
    delete: ['ec2:RevokeSecurityGroupEgress', 'ec2:DescribeSecurityGroupRules'],
    source: checked(
      'ec2/security_group_egresses',
      '41e2363bae122bcc57443ad43ae28fefba8baea0',
      'aws-ec2-securitygroupegress',
    ),
  },
  // Left out (properties no template sets): ec2:DescribeIpamPools, elasticloadbalancing:ModifyIpPools (Ipam
  // pools), elasticloadbalancing:ModifyCapacityReservation (MinimumLoadBalancerCapacity),
  // elasticloadbalancing:SetIpAddressType (IpAddressType).
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    create: [
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:AddTags',
    ],
    read: [
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeCapacityReservation',
      'elasticloadbalancing:DescribeTags',
    ],
    update: [
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:SetSubnets',
      'elasticloadbalancing:SetSecurityGroups',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
    delete: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DeleteLoadBalancer'],
    source: checked(
      'elasticloadbalancingv2/load_balancers',
      '0a0c503a9b7d68135581e058a7d42168b61d56d5',
      'aws-elasticloadbalancingv2-loadbalancer',
    ),
  },
  // Left out (property no template sets): cognito-idp:DescribeUserPoolClient (authenticate-cognito actions).
  'AWS::ElasticLoadBalancingV2::Listener': {
    create: [
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:ModifyListenerAttributes',
    ],
    read: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerAttributes'],
    update: [
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:ModifyListenerAttributes',
    ],
    delete: ['elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DescribeListeners'],
    source: checked(
      'elasticloadbalancingv2/listeners',
      '0a0c503a9b7d68135581e058a7d42168b61d56d5',
      'aws-elasticloadbalancingv2-listener',
    ),
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
  'elasticloadbalancing:DescribeCapacityReservation',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeInstances',
]);

/** The permissions CloudFormation's handlers need to create, update or delete a resource of `type`. */
export function handlerPermissions(type: string, handler: CfnHandler): readonly string[] | undefined {
  return CFN_HANDLER_PERMISSIONS[type]?.[handler];
}
