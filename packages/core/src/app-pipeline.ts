/**
 * The app pipeline `{service}-{env}`: its variables (CodePipeline V2 pipeline-level variables) and what their
 * values mean, and the time budget of its Deploy job; the pipeline template, the buildspec, the config schema
 * and `lanes deploy` share them from here.
 */

/** The pipeline variables of the app pipeline `{service}-{env}`. */
export const APP_PIPELINE_VARIABLES = {
  /** The lane to deploy. */
  lane: 'lane',
  /** The App repo branch the build takes (its tip unless `commit` names a commit). */
  branch: 'branch',
  /** An explicit commit to build, or {@link BRANCH_TIP}. */
  commit: 'commit',
} as const;

/**
 * The value of the `commit` variable that means "no explicit commit: build the tip of `branch`". A variable's
 * default must be 1 to 1,000 characters
 * (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineVariableDeclaration.html), so an
 * empty value cannot stand for "none".
 */
export const BRANCH_TIP = 'tip';

/** A full git commit id: 40 lowercase hexadecimal digits (CodePipeline's COMMIT_ID source revision takes one). */
export const FULL_COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** Why `commit` cannot be given as an explicit commit to build, or undefined when it can. */
export function checkCommitId(commit: string): string | undefined {
  if (FULL_COMMIT_PATTERN.test(commit)) return undefined;
  return `"${commit}" is not a full commit id (40 lowercase hexadecimal digits); get it with: git rev-parse <branch or short id>`;
}

/**
 * The Deploy job's timeout in minutes, which waits for the lane stack (so for blue/green hooks and the bake
 * time). The CodeBuild API allows 5 to 2,160 minutes
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html), but CloudFormation's
 * resource schema for `AWS::CodeBuild::Project` `TimeoutInMinutes` (as cfn-lint carries it) stops at 480: the
 * stricter limit is kept.
 */
export const DEPLOY_JOB_TIMEOUT_MINUTES = 480;

/** What the Deploy job keeps beside the bake time: the change set, the rollout, the lifecycle hooks (minutes). */
export const DEPLOY_MARGIN_MINUTES = 120;

/** The longest blue/green bake time `lanes.yaml` accepts, so that a deploy fits in its Deploy job (minutes). */
export const MAX_BAKE_TIME_MINUTES = DEPLOY_JOB_TIMEOUT_MINUTES - DEPLOY_MARGIN_MINUTES;
