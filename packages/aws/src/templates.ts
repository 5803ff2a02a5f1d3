/**
 * Where template bodies come from. This package never synthesizes templates (it must not depend on
 * aws-cdk-lib): the CLI wires a {@link TemplateSource} to `@ecs-lanes/cdk`'s synth; tests use small fixture
 * templates that declare the same parameters as core's contracts.
 */
import type { AwsEnvironmentConfig, LanesConfig, ServiceConfig } from '@ecs-lanes/core';
import { UserError } from '@ecs-lanes/core';

/** Largest template CloudFormation accepts inline (`TemplateBody`), in bytes. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** One stack to deploy: its name, template and inputs. */
export interface StackTemplate {
  /** Stack name (from core's naming). */
  readonly stackName: string;
  /** Template body (JSON or YAML). */
  readonly templateBody: string;
  /** Parameter values by name; every name must be declared by the template. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Stack tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Service role CloudFormation assumes to create the stack's resources (`RoleARN` of the change set).
   * @default the caller's credentials
   */
  readonly roleArn?: string;
  /** Whether the stack creates IAM resources with names (CAPABILITY_NAMED_IAM). @default true */
  readonly namedIam?: boolean;
  /** Turn on termination protection after creation (shared stacks). @default false */
  readonly terminationProtection?: boolean;
  /** Stack policy (JSON) set after every successful deploy (shared stacks). @default none */
  readonly stackPolicy?: string;
}

/** Gives the control plane its templates. */
export interface TemplateSource {
  /** The lane stack template (`ci/service-stack.yaml`), parameters as in core's `LANE_STACK_PARAMETER_NAMES`. */
  laneStackTemplate(): Promise<string>;
  /** The environment layer's stacks, in deploy order (network, namespace, the `infra-{env}` pipeline). */
  environmentStacks(config: LanesConfig, env: AwsEnvironmentConfig): Promise<StackTemplate[]>;
  /** The service layer's stacks, in deploy order (Cloud Map service, logs, ALB, ECR, pipelines). */
  serviceStacks(
    config: LanesConfig,
    service: ServiceConfig,
    env: AwsEnvironmentConfig,
  ): Promise<StackTemplate[]>;
}

/** A source that has no templates: every call says how to get them. */
export const missingTemplates: TemplateSource = {
  laneStackTemplate: () => Promise.reject(noTemplates()),
  environmentStacks: () => Promise.reject(noTemplates()),
  serviceStacks: () => Promise.reject(noTemplates()),
};

function noTemplates(): UserError {
  return new UserError(
    'no templates available to this command; run it through the lanes CLI (which synthesizes them with @ecs-lanes/cdk)',
  );
}

/**
 * The body to send inline: as given when it fits in {@link MAX_TEMPLATE_BODY_BYTES}; re-serialized without
 * whitespace when it is JSON and that makes it fit.
 * @throws UserError naming the stack, its size and the fix when it still does not fit
 */
export function inlineTemplateBody(stackName: string, body: string): string {
  if (Buffer.byteLength(body, 'utf8') <= MAX_TEMPLATE_BODY_BYTES) return body;
  try {
    const compact = JSON.stringify(JSON.parse(body));
    if (Buffer.byteLength(compact, 'utf8') <= MAX_TEMPLATE_BODY_BYTES) return compact;
  } catch {
    // Not JSON (YAML): cannot be compacted here.
  }
  throw new UserError(
    `the template of stack ${stackName} is ${Buffer.byteLength(body, 'utf8')} bytes, over CloudFormation's ${MAX_TEMPLATE_BODY_BYTES}-byte limit for an inline template; split the stack or synthesize it as compact JSON`,
  );
}
