/**
 * `service/log-stack.yaml`, deployed as `boot-log-{service}-{env}`: the log group `/ecs/{env}/{service}`
 * (30 days) when `InitLog`; otherwise the existing group of that name is only exported.
 */
import { AWS_NAME_RULES, EXPORT_KEYS, NAME_PARAMETER_RULES } from '@ecs-lanes/core';
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { booleanParameter, exportValue, isTrue, nameParameter, templateStackProps } from './template-kit.js';

/** Properties of {@link LogStack}. */
export interface LogStackProps extends StackProps {
  /**
   * Retention of the log group, in days.
   * @default 30
   */
  readonly retentionDays?: number;
}

/** The service's log group stack. Parameters: `LOG_STACK_PARAMETER_NAMES` of core. */
export class LogStack extends Stack {
  /** Logical ids of the shared resources (used by the stack policy). */
  readonly sharedLogicalIds: readonly string[];

  constructor(scope: Construct, id: string, props: LogStackProps = {}) {
    super(
      scope,
      id,
      templateStackProps('ecs-lanes service layer: the log group /ecs/{env}/{service}', props),
    );
    const service = nameParameter(this, 'ServiceName', NAME_PARAMETER_RULES.service, 'Service name');
    const env = nameParameter(this, 'EnvName', NAME_PARAMETER_RULES.env, 'Environment name');
    const name = nameParameter(
      this,
      'LogGroupName',
      AWS_NAME_RULES.logGroup,
      'Log group: /ecs/{env}/{service}',
    );
    const init = booleanParameter(this, 'InitLog', 'Create the log group (false: it exists already)');

    const group = new CfnLogGroup(this, 'LogGroup', {
      logGroupName: name.valueAsString,
      retentionInDays: props.retentionDays ?? 30,
      tags: [
        { key: 'ecs-lanes:service', value: service.valueAsString },
        { key: 'ecs-lanes:env', value: env.valueAsString },
      ],
    });
    group.cfnOptions.condition = isTrue(this, 'CreateLogGroup', init);
    group.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.sharedLogicalIds = [this.getLogicalId(group)];

    exportValue(this, EXPORT_KEYS.log[0], name.valueAsString, 'Log group name');
  }
}
