/**
 * `@ecs-lanes/cdk`: the CDK stacks of every layer and pipeline, the unified buildspec, and
 * {@link synthInfraRepo}, which writes the Infra-repo layout.
 */
export { AlbStack, type AlbStackProps } from './alb-stack.js';
export { BLUE_GREEN_HOOK_CODE } from './blue-green-hook.js';
export { buildspecYaml } from './buildspec.js';
export { EcrStack, type EcrStackProps } from './ecr-stack.js';
export { INFRA_REPO_PACKAGE, type SynthOptions, synthInfraRepo } from './infra-repo.js';
export { LANE_ROLE_PATH, LaneServiceStack, type LaneServiceStackProps } from './lane-service-stack.js';
export { LogStack, type LogStackProps } from './log-stack.js';
export { NamespaceStack, type NamespaceStackProps } from './namespace-stack.js';
export { NetworkStack, type NetworkStackProps } from './network-stack.js';
export { PipelineAppStack, type PipelineAppStackProps } from './pipeline-app-stack.js';
export { PipelineBootStack, type PipelineBootStackProps } from './pipeline-boot-stack.js';
export { PipelineInfraStack, type PipelineInfraStackProps } from './pipeline-infra-stack.js';
export { PARAMETER_FILES, TEMPLATE_FILES } from './pipeline-kit.js';
export { SdStack, type SdStackProps } from './sd-stack.js';
export { type StackPolicy, stackPolicy } from './stack-policies.js';
