/**
 * `@ecs-lanes/core`: the pure lane model shared by every package (config, naming, lanes, tracestate,
 * ALB match values, rule priorities, discovery, the target contract). No I/O.
 */
export * from './alb-match.js';
export * from './app-pipeline.js';
export * from './config.js';
export * from './cost.js';
export * from './discovery.js';
export * from './gc.js';
export * from './hop-report.js';
export * from './lane.js';
export * from './lane-config.js';
export * from './lane-logs.js';
export * from './lane-stack.js';
export * from './lifecycle.js';
export * from './naming.js';
export * from './not-expired.js';
export * from './policy.js';
export * from './priority.js';
export * from './stack-parameters.js';
export * from './target.js';
export * from './trace.js';
export * from './tracestate.js';
