/**
 * Shared building blocks of the generic templates: the app and stack setup that makes templates deployable
 * with the plain AWS CLI into an account that was never CDK-bootstrapped, name parameters constrained by
 * core's rules, and the export/import naming of `naming.ts` (`{stackName}:{key}`).
 */
import type { AwsNameRule, NameParameterRule } from '@ecs-lanes/core';
import {
  App,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  type IResolvable,
  type Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A CDK app whose templates carry no CDK metadata and whose synthesis fails on any finding of the
 * CloudFormation validation built into aws-cdk-lib (warnings included).
 * @param outdir where the cloud assembly goes @default a fresh temporary directory
 */
export function newInfraApp(outdir?: string): App {
  return new App({
    ...(outdir ? { outdir } : {}),
    analyticsReporting: false,
    context: {
      'aws:cdk:enable-path-metadata': false,
      'aws:cdk:enable-asset-metadata': false,
      'aws:cdk:version-reporting': false,
      '@aws-cdk/core:strictCfnValidateErrors': true,
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  });
}

/**
 * Stack props for a template deployed with `aws cloudformation deploy`: no BootstrapVersion parameter or
 * rule, no version reporting.
 */
export function templateStackProps(description: string, props: StackProps = {}): StackProps {
  return {
    ...props,
    description,
    analyticsReporting: false,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  };
}

/** A String parameter constrained by an AWS naming rule or a config name rule. */
export function nameParameter(
  scope: Stack,
  id: string,
  rule: AwsNameRule | NameParameterRule,
  description: string,
): CfnParameter {
  const pattern = typeof rule.pattern === 'string' ? rule.pattern : rule.pattern.source;
  return new CfnParameter(scope, id, {
    type: 'String',
    description,
    minLength: 1,
    maxLength: rule.maxLength,
    allowedPattern: pattern,
    constraintDescription: `must match ${pattern} and have at most ${rule.maxLength} characters`,
  });
}

/** A `true`/`false` parameter. */
export function booleanParameter(
  scope: Stack,
  id: string,
  description: string,
  defaultValue?: 'true' | 'false',
): CfnParameter {
  return new CfnParameter(scope, id, {
    type: 'String',
    description,
    allowedValues: ['true', 'false'],
    ...(defaultValue ? { default: defaultValue } : {}),
  });
}

/** A condition true when the boolean parameter is `true`. */
export function isTrue(scope: Stack, id: string, parameter: CfnParameter): CfnCondition {
  return new CfnCondition(scope, id, { expression: Fn.conditionEquals(parameter.valueAsString, 'true') });
}

/**
 * Exports `value` as `{this stack's name}:{key}`: the name core's `exportName(stackName, key)` computes.
 */
export function exportValue(stack: Stack, key: string, value: string, description: string): CfnOutput {
  return new CfnOutput(stack, `${key}Output`, {
    value,
    description,
    exportName: Fn.sub(`\${AWS::StackName}:${key}`),
  });
}

/**
 * Imports `{stackNameParameter}:{key}`, the export of the stack whose name the parameter carries.
 * The cross-stack contract test resolves each of these against the exporting template.
 */
export function importFrom(stackNameParameter: CfnParameter, key: string): string {
  return Fn.importValue(Fn.sub(`\${${stackNameParameter.node.id}}:${key}`));
}

/** `Fn::If(condition, whenTrue, whenFalse)` as a string. */
export function ifString(condition: CfnCondition, whenTrue: unknown, whenFalse: unknown): string {
  return Fn.conditionIf(condition.logicalId, whenTrue, whenFalse).toString();
}

/** `Fn::If(condition, value, AWS::NoValue)`. */
export function onlyIf(condition: CfnCondition, value: unknown): IResolvable {
  return Fn.conditionIf(condition.logicalId, value, Fn.ref('AWS::NoValue'));
}

/**
 * Acknowledges a cdk-nag (or built-in validation) finding on `construct`, with the reason it is accepted.
 * Each acknowledgement is one finding id, for example `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** A piece of text: `Fn::Sub` only when it references a variable (cfn-lint W1020: a Sub without variables). */
function literal(text: string): string {
  return text.includes('${') ? Fn.sub(text) : text;
}

/**
 * `arn:{partition}:{service}:{region}:{account}:{resource}`. `${Name}` placeholders in `resource` are
 * `Fn::Sub` references to parameters (or `vars`, joined in so cdk-nag can name the finding).
 */
export function arn(service: string, resource: string, vars?: Record<string, string>, region = true): string {
  const head = `arn:\${AWS::Partition}:${service}:${region ? '${AWS::Region}' : ''}:\${AWS::AccountId}:`;
  if (!vars) return Fn.sub(`${head}${resource}`);
  const parts: string[] = [];
  let rest = resource;
  for (const m of resource.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
    const name = m[1]!;
    if (!(name in vars)) continue;
    const [before, after] = rest.split(m[0]);
    parts.push(literal(before ?? ''), vars[name]!);
    rest = after ?? '';
  }
  return Fn.join(
    '',
    [Fn.sub(head), ...parts, literal(rest)].filter((p) => p !== ''),
  );
}
