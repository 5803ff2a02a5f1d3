/**
 * `pipelines/pipeline-app.yaml`, deployed once per service and environment: the lane pipeline
 * `{service}-{env}` — CodePipeline V2, execution mode `PARALLEL`, pipeline variables `lane` and `branch`.
 *
 * Source: App repo (`CODEBUILD_CLONE_REF`: CodeBuild gets a git clone, so the build can check out the
 * branch named by `branch`) and Infra repo. Build, Deploy and Verify are three CodeBuild jobs on the one
 * buildspec (`STAGE=build|deploy|verify`), each with its own role. Every role of this pipeline is confined to
 * the lane stacks `app-{service}-{env}-*` and explicitly denied the `infra-*` and `boot-*` stacks.
 */
import {
  AWS_NAME_RULES,
  BRANCH_TIP,
  DEPLOY_JOB_TIMEOUT_MINUTES,
  NAME_PARAMETER_RULES,
  PIPELINE_OWNER_UNKNOWN,
  PIPELINE_TTL_DEFAULT,
} from '@ecs-lanes/core';
import { CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnProject } from 'aws-cdk-lib/aws-codebuild';
import { CfnPipeline } from 'aws-cdk-lib/aws-codepipeline';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { LANE_ROLE_PATH } from './lane-service-stack.js';
import {
  APP_ARTIFACT,
  acknowledgeArtifactObjects,
  artifactBucket,
  artifactStatements,
  BUILDSPEC_PATH,
  buildLogGroup,
  connectionStatement,
  INFRA_ARTIFACT,
  passRoleStatement,
  policy,
  type Statement,
  sharedStacksDeny,
  sourceAction,
  trustPolicy,
} from './pipeline-kit.js';
import { acknowledge, arn, importFrom, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link PipelineAppStack}. */
export interface PipelineAppStackProps extends StackProps {
  /**
   * CodeBuild image of the three jobs (Node.js 20 and Docker).
   * @default 'aws/codebuild/standard:7.0'
   */
  readonly buildImage?: string;
  /**
   * Timeout of the Deploy job in minutes. It waits for the lane stack, so for the ECS service to be stable:
   * with blue/green, through the lifecycle hooks and the bake time (at most `MAX_BAKE_TIME_MINUTES`).
   * @default {@link DEFAULT_DEPLOY_TIMEOUT_MINUTES}
   */
  readonly deployTimeoutMinutes?: number;
}

/** The Deploy job's default timeout: {@link DEPLOY_JOB_TIMEOUT_MINUTES} (bake time and margin, see core). */
export const DEFAULT_DEPLOY_TIMEOUT_MINUTES = DEPLOY_JOB_TIMEOUT_MINUTES;

/** Namespace of the Build action's exported variables (`#{Build.IMAGE_URI}`). */
export const BUILD_NAMESPACE = 'Build';

/** The lane pipeline. Parameters: `APP_PIPELINE_PARAMETER_NAMES` of core. */
export class PipelineAppStack extends Stack {
  /** Logical ids of every role of this pipeline (each carries the deny of the shared stacks). */
  readonly roleLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: PipelineAppStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps('ecs-lanes: the lane pipeline {service}-{env} (variables lane, branch)', props),
    );
    const service = nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const pipelineName = nameParameter(
      this,
      'PipelineName',
      AWS_NAME_RULES.pipeline,
      'Pipeline: {service}-{env}',
    );
    const projectName = nameParameter(
      this,
      'BuildProjectName',
      AWS_NAME_RULES.codebuild,
      'Build project name',
    );
    const str = (id: string, description: string) =>
      new CfnParameter(this, id, { type: 'String', description });
    const infraConnection = str('InfraConnectionArn', 'CodeConnections connection to the Infra repo');
    const infraRepo = str('InfraRepository', 'Infra repo (owner/name)');
    const infraBranch = str('InfraBranch', 'Infra repo branch');
    const appConnection = str('AppConnectionArn', 'CodeConnections connection to the App repo');
    const appRepo = str('AppRepository', 'App repo (owner/name)');
    const appBranch = str('AppBranch', 'Default branch of the App repo (default of the branch variable)');
    const modulePath = str('ModulePath', 'Directory of the Dockerfile inside the App repo');
    const baseline = nameParameter(
      this,
      'BaselineLane',
      NAME_PARAMETER_RULES.lane,
      'Default of the lane variable',
    );
    nameParameter(this, 'ClusterName', AWS_NAME_RULES.ecs, 'ECS cluster of the environment');
    const ecrStack = nameParameter(this, 'EcrStackName', AWS_NAME_RULES.stack, 'ECR stack name');
    new CfnParameter(this, 'ConfigPath', {
      type: 'String',
      description: "The service's Parameter Store path /{project}/{env}/{service} (computed by core)",
      allowedPattern: '^(/[A-Za-z0-9_.-]+){3}$',
      maxLength: 200,
    });
    const albStack = nameParameter(this, 'AlbStackName', AWS_NAME_RULES.stack, 'Load balancer stack name');
    new CfnParameter(this, 'TargetGroupNamePrefix', {
      type: 'String',
      description: "Prefix of every lane target group name of the service (core's laneTargetGroupNamePrefix)",
      allowedPattern: '^[A-Za-z0-9-]{1,32}$',
    });

    const bucket = artifactBucket(this);
    const repositoryUri = importFrom(ecrStack, 'RepositoryUri');
    const repositoryName = importFrom(ecrStack, 'RepositoryName');
    const laneStacks = Fn.sub(
      'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/app-${ServiceName}--${EnvName}-*/*',
    );
    const laneRoles = arn('iam', `role${LANE_ROLE_PATH}*`, undefined, false);
    const deny = sharedStacksDeny();
    const roles: CfnRole[] = [];
    const role = (logicalId: string, service: string, description: string, statements: Statement[]) => {
      const r = new CfnRole(this, logicalId, {
        description: Fn.sub(description),
        assumeRolePolicyDocument: trustPolicy(service),
        policies: [policy('lane-pipeline', [...statements, deny])],
      });
      roles.push(r);
      return r;
    };

    // ---- the CloudFormation service role of the lane stacks (passed by the Deploy job only). Its statements cover
    // what CloudFormation's handlers need to create, read, update and delete every resource type of the lane stack
    // (the resource type schemas' handlers.*.permissions; the fake's table cfn-handler-permissions.ts), each write on
    // the resources of this service only.
    const listenerArn = importFrom(albStack, 'ListenerArn');
    const listenerSplit = Fn.split(':listener/', listenerArn);
    const laneRules = Fn.join('', [
      Fn.select(0, listenerSplit),
      ':listener-rule/',
      Fn.select(1, listenerSplit),
      '/*',
    ]);
    const laneStackRole = role(
      'LaneStackRole',
      'cloudformation.amazonaws.com',
      'CloudFormation deploys the lane stacks app-${ServiceName}--${EnvName}-*',
      [
        {
          // No resource-level permissions (Service Authorization Reference), or tagging of task definitions.
          Effect: 'Allow',
          Action: [
            'ecs:RegisterTaskDefinition',
            'ecs:DeregisterTaskDefinition',
            'ecs:DescribeTaskDefinition',
            'ecs:TagResource',
            'ecs:UntagResource',
            'ecs:ListTagsForResource',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
            'elasticloadbalancing:DescribeTargetGroups',
            'elasticloadbalancing:DescribeTargetGroupAttributes',
            'elasticloadbalancing:DescribeRules',
            'elasticloadbalancing:DescribeListeners',
            'elasticloadbalancing:DescribeTags',
            'elasticloadbalancing:DescribeTargetHealth',
            'servicediscovery:GetService',
            'servicediscovery:GetNamespace',
            'logs:DescribeLogGroups',
            'logs:DescribeResourcePolicies',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: [
            'elasticloadbalancing:CreateTargetGroup',
            'elasticloadbalancing:DeleteTargetGroup',
            'elasticloadbalancing:ModifyTargetGroup',
            'elasticloadbalancing:ModifyTargetGroupAttributes',
            'elasticloadbalancing:AddTags',
            'elasticloadbalancing:RemoveTags',
          ],
          Resource: arn('elasticloadbalancing', 'targetgroup/${TargetGroupNamePrefix}*/*'),
        },
        {
          // Rules are created on this service's listener and changed only there.
          Effect: 'Allow',
          Action: 'elasticloadbalancing:CreateRule',
          Resource: listenerArn,
        },
        {
          Effect: 'Allow',
          Action: [
            'elasticloadbalancing:ModifyRule',
            'elasticloadbalancing:DeleteRule',
            'elasticloadbalancing:SetRulePriorities',
            'elasticloadbalancing:AddTags',
            'elasticloadbalancing:RemoveTags',
          ],
          Resource: laneRules,
        },
        {
          // The blue/green hook function and its log group, named by CloudFormation after the lane stack.
          Effect: 'Allow',
          Action: [
            'lambda:CreateFunction',
            'lambda:DeleteFunction',
            'lambda:GetFunction',
            'lambda:GetFunctionCodeSigningConfig',
            'lambda:GetRuntimeManagementConfig',
            'lambda:GetFunctionRecursionConfig',
            'lambda:UpdateFunctionCode',
            'lambda:UpdateFunctionConfiguration',
            'lambda:TagResource',
            'lambda:UntagResource',
          ],
          Resource: arn('lambda', 'function:app-${ServiceName}--${EnvName}-*'),
        },
        {
          // Never the shared /ecs/{env}/{service} group: only groups named after a lane stack.
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:DeleteLogGroup',
            'logs:PutRetentionPolicy',
            'logs:DeleteRetentionPolicy',
            'logs:TagResource',
            'logs:UntagResource',
            'logs:ListTagsForResource',
            'logs:GetDataProtectionPolicy',
            'logs:DescribeIndexPolicies',
          ],
          Resource: arn('logs', 'log-group:app-${ServiceName}--${EnvName}-*'),
        },
        {
          Effect: 'Allow',
          Action: [
            'ecs:CreateService',
            'ecs:UpdateService',
            'ecs:DeleteService',
            'ecs:DescribeServices',
            'ecs:ListServiceDeployments',
            'ecs:TagResource',
            'ecs:UntagResource',
            'ecs:ListTagsForResource',
          ],
          Resource: arn('ecs', 'service/${ClusterName}/${ServiceName}-${EnvName}-*'),
        },
        {
          Effect: 'Allow',
          Action: ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'],
          Resource: arn('ecs', 'service-deployment/${ClusterName}/${ServiceName}-${EnvName}-*'),
        },
        {
          Effect: 'Allow',
          Action: [
            'cloudwatch:PutMetricAlarm',
            'cloudwatch:DeleteAlarms',
            'cloudwatch:DescribeAlarms',
            'cloudwatch:TagResource',
            'cloudwatch:UntagResource',
            'cloudwatch:ListTagsForResource',
          ],
          Resource: arn('cloudwatch', 'alarm:${ServiceName}-${EnvName}-*'),
        },
        {
          Effect: 'Allow',
          Action: [
            'iam:CreateRole',
            'iam:DeleteRole',
            'iam:GetRole',
            'iam:UpdateRole',
            'iam:UpdateRoleDescription',
            'iam:PutRolePolicy',
            'iam:DeleteRolePolicy',
            'iam:GetRolePolicy',
            'iam:ListRolePolicies',
            'iam:ListAttachedRolePolicies',
            'iam:TagRole',
            'iam:UntagRole',
            'iam:UpdateAssumeRolePolicy',
          ],
          Resource: laneRoles,
        },
        passRoleStatement(
          [laneRoles],
          ['ecs-tasks.amazonaws.com', 'ecs.amazonaws.com', 'lambda.amazonaws.com'],
        ),
      ],
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions (task definition registration, describes) and task-definition tagging; every write of a target group, rule, function, log group, service, alarm or role is scoped to this service by ARN.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:targetgroup/<TargetGroupNamePrefix>*/*]',
      "Lane target groups are created at run time; every one of this service's names starts with TargetGroupNamePrefix (core's naming).",
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::{"Fn::Select":[0,{"Fn::Split":[":listener/",{"Fn::ImportValue":{"Fn::Sub":"${AlbStackName}:ListenerArn"}}]}]}:listener-rule/{"Fn::Select":[1,{"Fn::Split":[":listener/",{"Fn::ImportValue":{"Fn::Sub":"${AlbStackName}:ListenerArn"}}]}]}/*]',
      "Lane rules are created at run time, all on this service's listener; the pattern is that listener's rules.",
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:app-<ServiceName>--<EnvName>-*]',
      'The blue/green hook function of each lane, named by CloudFormation after its lane stack.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:app-<ServiceName>--<EnvName>-*]',
      'The hook log group of each lane, named by CloudFormation after its lane stack; never the shared /ecs/{env}/{service} group.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service-deployment/<ClusterName>/<ServiceName>-<EnvName>-*]',
      'Deployments of the lane services, which are created at run time.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/<ClusterName>/<ServiceName>-<EnvName>-*]',
      'One ECS service per lane: {service}-{env}-{lane}, lanes are created at run time.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:<ServiceName>-<EnvName>-*]',
      'Alarms of every lane of this service: {service}-{env}-{lane}-*.',
    );
    acknowledge(
      laneStackRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/ecs-lanes/<ServiceName>/<EnvName>/*]',
      'Lane stacks create their task, execution and blue/green roles under the path /ecs-lanes/{service}/{env}/ only, and may pass them only to ECS and Lambda.',
    );

    // ---- the three jobs
    const image = props.buildImage ?? 'aws/codebuild/standard:7.0';
    const envVars = (stage: string) => [
      { name: 'STAGE', value: stage, type: 'PLAINTEXT' },
      { name: 'SERVICE', value: service.valueAsString, type: 'PLAINTEXT' },
      { name: 'ENV_NAME', value: env.valueAsString, type: 'PLAINTEXT' },
      { name: 'MODULE_PATH', value: modulePath.valueAsString, type: 'PLAINTEXT' },
      { name: 'REPOSITORY_URI', value: repositoryUri, type: 'PLAINTEXT' },
      { name: 'LANES_CFN_ROLE_ARN', value: laneStackRole.attrArn, type: 'PLAINTEXT' },
    ];
    const job = (
      stage: 'build' | 'deploy' | 'verify',
      jobRole: CfnRole,
      logicalId: string,
      logGroup: ReturnType<typeof buildLogGroup>['group'],
      opts: { name?: string; privileged?: boolean; timeout?: number } = {},
    ) => {
      const project = new CfnProject(this, logicalId, {
        ...(opts.name ? { name: opts.name } : {}),
        description: Fn.sub(`ecs-lanes ${stage} job of \${ServiceName} in \${EnvName}`),
        serviceRole: jobRole.attrArn,
        source: { type: 'CODEPIPELINE', buildSpec: BUILDSPEC_PATH },
        artifacts: { type: 'CODEPIPELINE' },
        environment: {
          type: 'LINUX_CONTAINER',
          computeType: 'BUILD_GENERAL1_SMALL',
          image,
          privilegedMode: opts.privileged ?? false,
          environmentVariables: envVars(stage),
        },
        encryptionKey: arn('kms', 'alias/aws/s3'),
        timeoutInMinutes: opts.timeout ?? 30,
        logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: logGroup.ref } },
      });
      return project;
    };

    const buildLog = buildLogGroup(this, 'BuildLogGroup');
    const deployLog = buildLogGroup(this, 'DeployLogGroup');
    const verifyLog = buildLogGroup(this, 'VerifyLogGroup');
    const describeLanes: Statement = {
      Effect: 'Allow',
      Action: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:DescribeStackResources',
        'cloudformation:GetTemplate',
      ],
      Resource: laneStacks,
    };
    const readShared: Statement = {
      Effect: 'Allow',
      Action: [
        'cloudformation:ListExports',
        // Listing the environment's stacks (no stack name: Resource "*") counts its lanes against the policy in
        // lanes.yaml (most lanes per service and environment) before a deploy changes anything.
        'cloudformation:DescribeStacks',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'ecs:DescribeServices',
      ],
      Resource: '*',
    };

    const buildRole = role(
      'BuildRole',
      'codebuild.amazonaws.com',
      'Build job of ${PipelineName}: image build and push',
      [
        buildLog.statement,
        ...artifactStatements(bucket, false),
        connectionStatement([appConnection.valueAsString]),
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:GetDownloadUrlForLayer',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          Resource: arn('ecr', 'repository/${Repo}', { Repo: repositoryName }),
        },
      ],
    );
    const deployRole = role(
      'DeployRole',
      'codebuild.amazonaws.com',
      'Deploy job of ${PipelineName}: lanes ci deploy',
      [
        deployLog.statement,
        ...artifactStatements(bucket, false),
        describeLanes,
        readShared,
        {
          Effect: 'Allow',
          Action: [
            'cloudformation:CreateStack',
            'cloudformation:UpdateStack',
            // The control plane deletes a lane stack left in ROLLBACK_COMPLETE or REVIEW_IN_PROGRESS before it
            // creates it again (lane-deploy.ts).
            'cloudformation:DeleteStack',
            'cloudformation:CreateChangeSet',
            'cloudformation:DescribeChangeSet',
            'cloudformation:ExecuteChangeSet',
            'cloudformation:DeleteChangeSet',
            'cloudformation:ListChangeSets',
            'cloudformation:TagResource',
          ],
          Resource: laneStacks,
        },
        passRoleStatement([laneStackRole.attrArn], 'cloudformation.amazonaws.com'),
        {
          // lanes ci deploy resolves the lane's configuration (names, types, versions; String values) below the
          // service's path; it never decrypts a SecureString (ECS does, with the execution role). IAM for
          // GetParametersByPath is checked on the path itself: "Controlling access to Systems Manager parameters",
          // https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html.
          Effect: 'Allow',
          Action: ['ssm:GetParametersByPath', 'ssm:GetParameters'],
          Resource: [arn('ssm', 'parameter${ConfigPath}'), arn('ssm', 'parameter${ConfigPath}/*')],
        },
      ],
    );
    const verifyRole = role(
      'VerifyRole',
      'codebuild.amazonaws.com',
      'Verify job of ${PipelineName}: lanes ci verify',
      [verifyLog.statement, ...artifactStatements(bucket, false), describeLanes, readShared],
    );
    for (const r of [buildRole, deployRole, verifyRole]) acknowledgeArtifactObjects(r);
    acknowledge(
      buildRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions; pushes are limited to the service repository.',
    );
    acknowledge(
      deployRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter<ConfigPath>/*]',
      "Reads the lane's configuration only below the service's own Parameter Store path; keys are chosen by the service team at run time.",
    );
    for (const r of [deployRole, verifyRole]) {
      acknowledge(
        r,
        'AwsSolutions-IAM5[Resource::*]',
        'Read-only look-ups without resource-level permissions (exports, listener rules for priority allocation, target health, services); every change is confined to app-{service}-{env}-* stacks.',
      );
      acknowledge(
        r,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/app-<ServiceName>--<EnvName>-*/*]',
        'Lanes are created at run time: one stack app-{service}-{env}-{lane} each, all under this prefix; infra-* and boot-* are explicitly denied.',
      );
    }

    const buildProject = job('build', buildRole, 'BuildProject', buildLog.group, {
      name: projectName.valueAsString,
      privileged: true,
    });
    acknowledge(
      buildProject,
      'AwsSolutions-CB3',
      'Privileged mode is required to run the Docker daemon that builds the service image.',
    );
    const deployProject = job('deploy', deployRole, 'DeployProject', deployLog.group, {
      timeout: props.deployTimeoutMinutes ?? DEFAULT_DEPLOY_TIMEOUT_MINUTES,
    });
    const verifyProject = job('verify', verifyRole, 'VerifyProject', verifyLog.group);

    // ---- the pipeline and its role
    const projectArns = [buildProject, deployProject, verifyProject].map((p) => p.attrArn);
    const pipelineRole = role('PipelineRole', 'codepipeline.amazonaws.com', 'CodePipeline ${PipelineName}', [
      ...artifactStatements(bucket, true),
      connectionStatement([appConnection.valueAsString, infraConnection.valueAsString]),
      {
        Effect: 'Allow',
        Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
        Resource: projectArns,
      },
    ]);
    acknowledgeArtifactObjects(pipelineRole);
    this.roleLogicalIds = roles.map((r) => this.getLogicalId(r));

    const laneVars = [
      { name: 'LANE', value: '#{variables.lane}', type: 'PLAINTEXT' },
      { name: 'BRANCH', value: '#{variables.branch}', type: 'PLAINTEXT' },
      // The lane's lifecycle (lanes deploy --ttl, the caller as owner); lanes ci deploy reads them.
      { name: 'TTL', value: '#{variables.ttl}', type: 'PLAINTEXT' },
      { name: 'OWNER', value: '#{variables.owner}', type: 'PLAINTEXT' },
    ];
    const codeBuild = (
      name: string,
      project: CfnProject,
      inputs: string[],
      vars: Record<string, string>[],
      namespace?: string,
    ): CfnPipeline.ActionDeclarationProperty => ({
      name,
      actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
      configuration: {
        ProjectName: project.ref,
        PrimarySource: INFRA_ARTIFACT,
        EnvironmentVariables: JSON.stringify(vars),
      },
      inputArtifacts: inputs.map((n) => ({ name: n })),
      ...(namespace ? { namespace } : {}),
      runOrder: 1,
    });

    new CfnPipeline(this, 'Pipeline', {
      name: pipelineName.valueAsString,
      pipelineType: 'V2',
      executionMode: 'PARALLEL',
      roleArn: pipelineRole.attrArn,
      artifactStore: { type: 'S3', location: bucket.ref },
      restartExecutionOnUpdate: false,
      variables: [
        {
          name: 'lane',
          defaultValue: baseline.valueAsString,
          description: 'Lane to deploy (stack app-{service}-{env}-{lane})',
        },
        { name: 'branch', defaultValue: appBranch.valueAsString, description: 'App repo branch to build' },
        {
          name: 'ttl',
          defaultValue: PIPELINE_TTL_DEFAULT,
          description: `Time to live of the lane (3d, 12h); ${PIPELINE_TTL_DEFAULT}: the environment's policy.defaultTtl`,
        },
        {
          name: 'owner',
          defaultValue: PIPELINE_OWNER_UNKNOWN,
          description: `Who started the deploy (lanes deploy passes the caller ARN); ${PIPELINE_OWNER_UNKNOWN}: the build role`,
        },
        {
          // A default must be 1 to 1000 characters (API_PipelineVariableDeclaration), so "tip" stands for none.
          name: 'commit',
          defaultValue: BRANCH_TIP,
          description: 'Commit to build (with a matching source revision), or tip: the tip of branch',
        },
      ],
      stages: [
        {
          name: 'Source',
          actions: [
            sourceAction({
              name: 'AppSource',
              connectionArn: appConnection.valueAsString,
              repository: appRepo.valueAsString,
              branch: appBranch.valueAsString,
              output: APP_ARTIFACT,
              format: 'CODEBUILD_CLONE_REF',
            }),
            sourceAction({
              name: 'InfraSource',
              connectionArn: infraConnection.valueAsString,
              repository: infraRepo.valueAsString,
              branch: infraBranch.valueAsString,
              output: INFRA_ARTIFACT,
              format: 'CODE_ZIP',
            }),
          ],
        },
        {
          name: 'Build',
          actions: [
            codeBuild(
              'BuildImage',
              buildProject,
              [INFRA_ARTIFACT, APP_ARTIFACT],
              [...laneVars, { name: 'COMMIT', value: '#{variables.commit}', type: 'PLAINTEXT' }],
              BUILD_NAMESPACE,
            ),
          ],
        },
        {
          name: 'Deploy',
          actions: [
            codeBuild(
              'DeployLane',
              deployProject,
              [INFRA_ARTIFACT],
              [
                ...laneVars,
                { name: 'IMAGE_URI', value: `#{${BUILD_NAMESPACE}.IMAGE_URI}`, type: 'PLAINTEXT' },
              ],
            ),
          ],
        },
        { name: 'Verify', actions: [codeBuild('VerifyLane', verifyProject, [INFRA_ARTIFACT], laneVars)] },
      ],
    });
  }
}
