/**
 * Pieces shared by the three pipeline templates: the artifact bucket, CodeBuild log groups, the
 * CodeConnections source action, and the IAM statements every pipeline role is built from.
 */
import { Fn, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type { CfnPipeline } from 'aws-cdk-lib/aws-codepipeline';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnBucket, CfnBucketPolicy } from 'aws-cdk-lib/aws-s3';
import { INFRA_ARTIFACT } from './template-files.js';
import { acknowledge } from './template-kit.js';

export {
  APP_ARTIFACT,
  BUILDSPEC_PATH,
  INFRA_ARTIFACT,
  PARAMETER_FILES,
  TEMPLATE_FILES,
} from './template-files.js';

/** A policy statement in IAM JSON. */
export type Statement = Record<string, unknown>;

/** A trust policy for `service`, limited to this account. */
export function trustPolicy(service: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': Fn.ref('AWS::AccountId') } },
      },
    ],
  };
}

/** An inline policy document. */
export function policy(
  name: string,
  statements: Statement[],
): { policyName: string; policyDocument: unknown } {
  return { policyName: name, policyDocument: { Version: '2012-10-17', Statement: statements } };
}

/** The pipeline's artifact bucket: encrypted, private, TLS only, artifacts expire after 30 days. */
export function artifactBucket(stack: Stack): CfnBucket {
  const bucket = new CfnBucket(stack, 'ArtifactBucket', {
    bucketEncryption: {
      serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    },
    publicAccessBlockConfiguration: {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    versioningConfiguration: { status: 'Enabled' },
    lifecycleConfiguration: {
      rules: [
        {
          id: 'expire-artifacts',
          status: 'Enabled',
          expirationInDays: 30,
          noncurrentVersionExpiration: { noncurrentDays: 7 },
        },
      ],
    },
  });
  bucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
  acknowledge(
    bucket,
    'AwsSolutions-S1',
    'Pipeline artifacts are transient build inputs (30-day expiry); every access is already recorded by CloudTrail and by the pipeline execution history.',
  );
  new CfnBucketPolicy(stack, 'ArtifactBucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TlsOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucket.attrArn, Fn.join('', [bucket.attrArn, '/*'])],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  });
  return bucket;
}

/** Read (and optionally write) access to the pipeline's artifacts. */
export function artifactStatements(bucket: CfnBucket, write: boolean): Statement[] {
  return [
    {
      Effect: 'Allow',
      Action: write
        ? ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectAcl']
        : ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: Fn.join('', [bucket.attrArn, '/*']),
    },
    { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:GetBucketVersioning'], Resource: bucket.attrArn },
  ];
}

/** The artifact-object wildcard finding, acknowledged on `construct`. */
export function acknowledgeArtifactObjects(construct: Parameters<typeof acknowledge>[0]): void {
  acknowledge(
    construct,
    'AwsSolutions-IAM5[Resource::<ArtifactBucket.Arn>/*]',
    'Artifact object keys are generated per execution by CodePipeline; access is limited to this pipeline’s own bucket.',
  );
}

/** A 30-day log group for one CodeBuild job, and the statement letting the job write to it. */
export function buildLogGroup(stack: Stack, id: string): { group: CfnLogGroup; statement: Statement } {
  const group = new CfnLogGroup(stack, id, { retentionInDays: 30 });
  return {
    group,
    statement: {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: group.attrArn,
    },
  };
}

/** Use of the CodeConnections connection(s); both IAM prefixes, since a connection ARN may carry either. */
export function connectionStatement(connectionArns: string[]): Statement {
  return {
    Effect: 'Allow',
    Action: ['codeconnections:UseConnection', 'codestar-connections:UseConnection'],
    Resource: connectionArns,
  };
}

/**
 * The explicit deny of every app-pipeline role: nothing of the environment (`infra-*`) or service
 * (`boot-*`) layers, whatever else a statement allows.
 */
export function sharedStacksDeny(): Statement {
  return {
    Sid: 'DenySharedStacks',
    Effect: 'Deny',
    Action: 'cloudformation:*',
    Resource: [
      Fn.sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/infra-*/*'),
      Fn.sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/boot-*/*'),
    ],
  };
}

/** `iam:PassRole` of exactly `roleArns`, only to `service`. */
export function passRoleStatement(roleArns: string[], service: string | string[]): Statement {
  return {
    Effect: 'Allow',
    Action: 'iam:PassRole',
    Resource: roleArns,
    Condition: { StringEquals: { 'iam:PassedToService': service } },
  };
}

/** A CodeConnections source action. */
export function sourceAction(props: {
  name: string;
  connectionArn: string;
  repository: string;
  branch: string;
  output: string;
  /** `CODEBUILD_CLONE_REF` gives CodeBuild a git clone (needed to check out another branch). */
  format: 'CODE_ZIP' | 'CODEBUILD_CLONE_REF';
}): CfnPipeline.ActionDeclarationProperty {
  return {
    name: props.name,
    actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
    configuration: {
      ConnectionArn: props.connectionArn,
      FullRepositoryId: props.repository,
      BranchName: props.branch,
      OutputArtifactFormat: props.format,
      DetectChanges: 'false',
    },
    outputArtifacts: [{ name: props.output }],
    runOrder: 1,
  };
}

/** A CloudFormation CREATE_UPDATE action deploying a template of the Infra repo with its parameter file. */
export function deployStackAction(props: {
  name: string;
  stackName: string;
  templatePath: string;
  templateConfiguration: string;
  roleArn: string;
  runOrder: number;
  capabilities?: string;
}): CfnPipeline.ActionDeclarationProperty {
  return {
    name: props.name,
    actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CloudFormation', version: '1' },
    configuration: {
      ActionMode: 'CREATE_UPDATE',
      StackName: props.stackName,
      TemplatePath: `${INFRA_ARTIFACT}::${props.templatePath}`,
      TemplateConfiguration: Fn.sub(`${INFRA_ARTIFACT}::${props.templateConfiguration}`),
      RoleArn: props.roleArn,
      ...(props.capabilities ? { Capabilities: props.capabilities } : {}),
    },
    inputArtifacts: [{ name: INFRA_ARTIFACT }],
    runOrder: props.runOrder,
  };
}
