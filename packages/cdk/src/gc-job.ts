/**
 * The scheduled garbage collection of an environment's lanes: an EventBridge Scheduler schedule starts a
 * CodeBuild project that checks out the Infra repo and runs `lanes gc --env {env}`. Least privilege: the job
 * reads what `lanes gc` lists (stacks, exports, listener rules, target health, ECS services) and may delete
 * only lane stacks `app-*-{env}-*` tagged with this project and environment; the shared stacks are denied.
 *
 * CloudFormation deletes a lane stack with the service role the stack was created with, even when the caller
 * may not pass that role, so the job needs no `iam:PassRole`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html (RoleARN)
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html (universal targets)
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 *   (the `stack` resource type and its `aws:ResourceTag/${TagKey}` condition key)
 */
import { LANE_TAGS } from '@ecs-lanes/core';
import { type CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { CfnProject } from 'aws-cdk-lib/aws-codebuild';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import {
  buildLogGroup,
  connectionStatement,
  policy,
  type Statement,
  sharedStacksDeny,
  trustPolicy,
} from './pipeline-kit.js';
import { acknowledge, arn } from './template-kit.js';

/** Properties of {@link GcJob}. */
export interface GcJobProps {
  /** The environment name (`EnvName`). */
  readonly env: CfnParameter;
  /** The project name of lanes.yaml (`ProjectName`): the lane stacks' `ecs-lanes:project` tag. */
  readonly project: CfnParameter;
  /** CodeConnections connection to the Infra repo. */
  readonly connectionArn: CfnParameter;
  /** The Infra repo, `owner/name` (a GitHub repository reached through the connection). */
  readonly infraRepository: CfnParameter;
  /** The Infra repo branch checked out. */
  readonly infraBranch: CfnParameter;
  /**
   * When gc runs: an EventBridge Scheduler expression such as `rate(1 hour)` or `cron(0 * * * ? *)`.
   * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
   */
  readonly schedule: CfnParameter;
  /** CodeBuild image. @default 'aws/codebuild/standard:7.0' */
  readonly buildImage?: string;
}

/** The buildspec of the gc job: install the Infra repo's pinned CLI, then `lanes gc`. */
export const GC_BUILDSPEC = `version: 0.2
phases:
  install:
    runtime-versions:
      nodejs: 20
    commands:
      - if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  build:
    commands:
      - npx lanes gc --env "$ENV_NAME"
`;

/** The scheduled gc job of one environment. */
export class GcJob extends Construct {
  /** The CodeBuild project running `lanes gc`. */
  readonly project: CfnProject;
  /** Its service role. */
  readonly role: CfnRole;
  /** The schedule starting it. */
  readonly schedule: CfnSchedule;

  constructor(scope: Construct, id: string, props: GcJobProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const envName = props.env.valueAsString;
    const projectName = Fn.sub('lanes-gc-${EnvName}');
    const log = buildLogGroup(stack, 'GcLogGroup');
    const laneStacks = Fn.sub(
      'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/app-*-${EnvName}-*/*',
    );
    const ofThisEnvironment = {
      StringEquals: {
        [`aws:ResourceTag/${LANE_TAGS.env}`]: envName,
        [`aws:ResourceTag/${LANE_TAGS.project}`]: props.project.valueAsString,
      },
    };
    const statements: Statement[] = [
      log.statement,
      connectionStatement([props.connectionArn.valueAsString]),
      {
        Effect: 'Allow',
        Action: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'],
        Resource: props.connectionArn.valueAsString,
      },
      {
        // What `lanes gc` lists and inspects: DescribeStacks without a name and ListExports take no resource.
        Effect: 'Allow',
        Action: [
          'cloudformation:DescribeStacks',
          'cloudformation:ListExports',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
          'ecs:DescribeServices',
        ],
        Resource: '*',
      },
      {
        // Deleting: only the lane stacks of this project and environment.
        Effect: 'Allow',
        Action: [
          'cloudformation:DeleteStack',
          'cloudformation:DescribeStackEvents',
          'cloudformation:DescribeStackResources',
        ],
        Resource: laneStacks,
        Condition: ofThisEnvironment,
      },
      sharedStacksDeny(),
    ];
    this.role = new CfnRole(this, 'Role', {
      description: Fn.sub('ecs-lanes gc job of ${EnvName}: deletes expired lane stacks app-*-${EnvName}-*'),
      assumeRolePolicyDocument: trustPolicy('codebuild.amazonaws.com'),
      policies: [policy('lanes-gc', statements)],
    });
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'DescribeStacks (listing every stack), ListExports and the ELB/ECS describe actions have no resource-level permissions; they only read. Deletion is confined to lane stacks app-*-{env}-* tagged with this project and environment, and the shared stacks are denied.',
    );
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/app-*-<EnvName>-*/*]',
      'Lane stacks are created at run time, one per lane: app-{service}-{env}-{lane}; the condition on their ecs-lanes:env and ecs-lanes:project tags keeps other environments out.',
    );

    this.project = new CfnProject(this, 'Project', {
      name: projectName,
      description: Fn.sub('ecs-lanes: removes the expired lanes of ${EnvName} (lanes gc)'),
      serviceRole: this.role.attrArn,
      source: {
        type: 'GITHUB',
        location: Fn.sub('https://github.com/${InfraRepository}.git'),
        auth: { type: 'CODECONNECTIONS', resource: props.connectionArn.valueAsString },
        buildSpec: GC_BUILDSPEC,
      },
      sourceVersion: props.infraBranch.valueAsString,
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        computeType: 'BUILD_GENERAL1_SMALL',
        image: props.buildImage ?? 'aws/codebuild/standard:7.0',
        privilegedMode: false,
        environmentVariables: [{ name: 'ENV_NAME', value: envName, type: 'PLAINTEXT' }],
      },
      encryptionKey: arn('kms', 'alias/aws/s3'),
      timeoutInMinutes: 60,
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: log.group.ref } },
    });

    const schedulerRole = new CfnRole(this, 'SchedulerRole', {
      description: Fn.sub('EventBridge Scheduler starts the ecs-lanes gc job of ${EnvName}'),
      assumeRolePolicyDocument: trustPolicy('scheduler.amazonaws.com'),
      policies: [
        policy('start-gc', [
          { Effect: 'Allow', Action: 'codebuild:StartBuild', Resource: this.project.attrArn },
        ]),
      ],
    });
    this.schedule = new CfnSchedule(this, 'Schedule', {
      name: projectName,
      description: Fn.sub('Runs lanes gc in ${EnvName}'),
      scheduleExpression: props.schedule.valueAsString,
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 15 },
      state: 'ENABLED',
      target: {
        arn: Fn.sub('arn:${AWS::Partition}:scheduler:::aws-sdk:codebuild:startBuild'),
        roleArn: schedulerRole.attrArn,
        input: Fn.toJsonString({ ProjectName: this.project.ref }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });
  }
}
