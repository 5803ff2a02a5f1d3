/**
 * The shape shared by the infra and bootstrap pipelines: Infra repo source, then one Deploy stage of
 * CloudFormation actions. Two roles: the pipeline's (artifacts, the connection, CloudFormation on exactly its
 * stacks, passing the deploy role) and the deploy role CloudFormation assumes to create the resources.
 */
import { CfnParameter, Fn, type Stack } from 'aws-cdk-lib';
import { CfnPipeline } from 'aws-cdk-lib/aws-codepipeline';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import {
  acknowledgeArtifactObjects,
  artifactBucket,
  artifactStatements,
  connectionStatement,
  INFRA_ARTIFACT,
  passRoleStatement,
  policy,
  type Statement,
  sourceAction,
  trustPolicy,
} from './pipeline-kit.js';
import { acknowledge } from './template-kit.js';

/** What a stack-deploying pipeline needs. */
export interface StackDeployPipelineProps {
  readonly pipelineName: CfnParameter;
  readonly connectionArn: CfnParameter;
  readonly infraRepository: CfnParameter;
  readonly infraBranch: CfnParameter;
  /** Names (parameters) of the stacks it deploys. */
  readonly stackNames: CfnParameter[];
  /** The deploy actions, given the deploy role's ARN. */
  readonly actions: (deployRoleArn: string) => CfnPipeline.ActionDeclarationProperty[];
  /** What CloudFormation needs to create the stacks' resources. */
  readonly deployStatements: Statement[];
  /** Acknowledgements on the deploy role: [finding id, reason]. */
  readonly deployAcknowledgements: readonly (readonly [string, string])[];
}

/** The Infra repo source parameters every stack-deploying pipeline declares. */
export interface InfraSourceParameters {
  readonly connectionArn: CfnParameter;
  readonly infraRepository: CfnParameter;
  readonly infraBranch: CfnParameter;
}

/** Declares `ConnectionArn`, `InfraRepository` and `InfraBranch` in `stack`. */
export function infraSourceParameters(stack: Stack): InfraSourceParameters {
  return {
    connectionArn: new CfnParameter(stack, 'ConnectionArn', {
      type: 'String',
      description: 'CodeConnections connection to the Infra repo',
    }),
    infraRepository: new CfnParameter(stack, 'InfraRepository', {
      type: 'String',
      description: 'Infra repo (owner/name)',
    }),
    infraBranch: new CfnParameter(stack, 'InfraBranch', { type: 'String', description: 'Infra repo branch' }),
  };
}

/** Builds the pipeline, its bucket and its two roles in `stack`. */
export function stackDeployPipeline(stack: Stack, props: StackDeployPipelineProps): CfnPipeline {
  const bucket = artifactBucket(stack);
  const stackArns = props.stackNames.map((s) =>
    Fn.sub(
      `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/\${${s.node.id}}/*`,
    ),
  );

  const deployRole = new CfnRole(stack, 'DeployRole', {
    description: Fn.sub(`CloudFormation deploys the stacks of pipeline \${${props.pipelineName.node.id}}`),
    assumeRolePolicyDocument: trustPolicy('cloudformation.amazonaws.com'),
    policies: [policy('deploy-resources', props.deployStatements)],
  });
  for (const [id, reason] of props.deployAcknowledgements) acknowledge(deployRole, id, reason);

  const pipelineRole = new CfnRole(stack, 'PipelineRole', {
    description: Fn.sub(`CodePipeline \${${props.pipelineName.node.id}}`),
    assumeRolePolicyDocument: trustPolicy('codepipeline.amazonaws.com'),
    policies: [
      policy('run-pipeline', [
        ...artifactStatements(bucket, true),
        connectionStatement([props.connectionArn.valueAsString]),
        {
          Effect: 'Allow',
          Action: [
            'cloudformation:CreateStack',
            'cloudformation:UpdateStack',
            'cloudformation:DescribeStacks',
            'cloudformation:DescribeStackEvents',
            'cloudformation:CreateChangeSet',
            'cloudformation:DescribeChangeSet',
            'cloudformation:ExecuteChangeSet',
            'cloudformation:DeleteChangeSet',
            'cloudformation:SetStackPolicy',
          ],
          Resource: stackArns,
        },
        passRoleStatement([deployRole.attrArn], 'cloudformation.amazonaws.com'),
      ]),
    ],
  });
  acknowledgeArtifactObjects(pipelineRole);
  for (const s of props.stackNames) {
    acknowledge(
      pipelineRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/<${s.node.id}>/*]`,
      'The stack ARN ends with an id CloudFormation generates at creation; the stack name is fixed.',
    );
  }

  return new CfnPipeline(stack, 'Pipeline', {
    name: props.pipelineName.valueAsString,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    roleArn: pipelineRole.attrArn,
    artifactStore: { type: 'S3', location: bucket.ref },
    restartExecutionOnUpdate: false,
    stages: [
      {
        name: 'Source',
        actions: [
          sourceAction({
            name: 'InfraSource',
            connectionArn: props.connectionArn.valueAsString,
            repository: props.infraRepository.valueAsString,
            branch: props.infraBranch.valueAsString,
            output: INFRA_ARTIFACT,
            format: 'CODE_ZIP',
          }),
        ],
      },
      { name: 'Deploy', actions: props.actions(deployRole.attrArn) },
    ],
  });
}
