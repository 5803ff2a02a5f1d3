/**
 * `@ecs-lanes/aws/fake`: the in-memory AWS fake the control plane is tested against, its SDK plug, virtual
 * time, and fixtures (templates declaring core's parameter contracts). Test support: not for production use.
 */
export * from './fake-aws.js';
export * from './fixtures.js';
export * from './plug.js';
export * from './template.js';
export * from './virtual-clock.js';
