/**
 * `@ecs-lanes/aws`: the control plane on AWS SDK v3 (ARCHITECTURE.md, "Code shape"): stack deploys through
 * change sets with progress, pipeline runs with variables, lane list/status/verify/rollback/remove.
 */
export * from './ci.js';
export * from './clients.js';
export * from './clock.js';
export * from './context.js';
export * from './errors.js';
export * from './inspect.js';
export * from './lane-config.js';
export * from './lane-deploy.js';
export * from './lane-logs.js';
export * from './layers.js';
export * from './pipeline.js';
export * from './retry.js';
export * from './stacks.js';
export * from './target.js';
export * from './templates.js';
export * from './trace.js';
