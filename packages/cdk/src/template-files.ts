/**
 * Where things are in the Infra repo: template files, parameter files, the buildspec and the pipelines'
 * artifact names. Plain constants without aws-cdk-lib, so that writing the Infra repo from prebuilt templates
 * (`lanes synth`) never loads the CDK.
 */

/** Artifact name of the Infra repo source (primary input of every CodeBuild job: the buildspec is there). */
export const INFRA_ARTIFACT = 'InfraOut';
/** Artifact name of the App repo source: CodeBuild mounts it at `$CODEBUILD_SRC_DIR_AppOut`. */
export const APP_ARTIFACT = 'AppOut';
/** Path of the unified buildspec inside the Infra repo. */
export const BUILDSPEC_PATH = 'ci/buildspec.yaml';

/** Where `lanes synth` writes the parameter file of a stack (CodePipeline template-configuration format). */
export const PARAMETER_FILES = {
  network: 'params/${EnvName}/infra-network.json',
  namespace: 'params/${EnvName}/infra-namespace.json',
  sd: 'params/${EnvName}/${ServiceName}/boot-sd.json',
  log: 'params/${EnvName}/${ServiceName}/boot-log.json',
  alb: 'params/${EnvName}/${ServiceName}/boot-alb.json',
  ecr: 'params/${EnvName}/${ServiceName}/boot-ecr.json',
} as const;

/** Paths of the templates in the Infra repo. */
export const TEMPLATE_FILES = {
  network: 'env/network-stack.yaml',
  namespace: 'env/namespace-stack.yaml',
  sd: 'service/sd-stack.yaml',
  log: 'service/log-stack.yaml',
  alb: 'service/alb-stack.yaml',
  ecr: 'service/ecr-stack.yaml',
  lane: 'ci/service-stack.yaml',
  pipelineInfra: 'pipelines/pipeline-infra.yaml',
  pipelineBoot: 'pipelines/pipeline-boot.yaml',
  pipelineApp: 'pipelines/pipeline-app.yaml',
} as const;
