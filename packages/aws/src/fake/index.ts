/**
 * `@ecs-lanes/aws/fake`: the in-memory AWS fake the control plane is tested against, its SDK plug, virtual
 * time, and fixtures (the real lane stack template, small
 * shared-stack templates) and a CloudFormation condition evaluator. Test support: not for production use.
 */
export * from './app-plane.js';
export * from './conditions.js';
export * from './elb-quotas.js';
export * from './fake-aws.js';
export * from './faults.js';
export * from './fixtures.js';
export * from './logs.js';
export * from './plug.js';
export * from './ssm.js';
export * from './template.js';
export * from './virtual-clock.js';
