/**
 * `service/ecr-stack.yaml`, deployed as `boot-ecr-{service}-{env}`: the service's image repository.
 * Tags are immutable (an image is tagged with its commit, never `latest`), images are scanned on push.
 */
import { AWS_NAME_RULES, EXPORT_KEYS, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnRepository } from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { exportValue, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link EcrStack}. */
export interface EcrStackProps extends StackProps {
  /**
   * How many images the repository keeps; older ones expire.
   * @default 200
   */
  readonly keepImages?: number;
}

/** The service's ECR repository stack. Parameters: `ECR_STACK_PARAMETER_NAMES` of core. */
export class EcrStack extends Stack {
  /** Logical ids of the shared resources (used by the stack policy). */
  readonly sharedLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: EcrStackProps = {}) {
    super(scope, id, templateStackProps('ecs-lanes service layer: the image repository of {service}', props));
    nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const name = nameParameter(
      this,
      'RepositoryName',
      AWS_NAME_RULES.ecr,
      'Repository name: {service}-{env}',
    );
    const keep = props.keepImages ?? 200;

    const repo = new CfnRepository(this, 'Repository', {
      repositoryName: name.valueAsString,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
      lifecyclePolicy: {
        lifecyclePolicyText: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `keep the newest ${keep} images`,
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
              action: { type: 'expire' },
            },
          ],
        }),
      },
      tags: [
        { key: 'ecs-lanes:service', value: Fn.ref('ServiceName') },
        { key: 'ecs-lanes:env', value: env.valueAsString },
      ],
    });
    repo.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.sharedLogicalIds = [this.getLogicalId(repo)];

    const [uriKey, nameKey] = EXPORT_KEYS.ecr;
    exportValue(this, uriKey, repo.attrRepositoryUri, 'Repository URI (without tag)');
    exportValue(this, nameKey, repo.ref, 'Repository name');
  }
}
