/**
 * `@ecs-lanes/sdk`: what a Node service embeds so that a lane follows a request through every hop
 * (ARCHITECTURE.md, decision 10). Start with `configureFromEnv()`; see README.md.
 *
 * The Cloud Map resolver is a separate entry point, `@ecs-lanes/sdk/cloudmap`, so that the AWS SDK is loaded only
 * by services that use it.
 */
export {
  currentLane,
  currentLaneContext,
  currentTraceState,
  LANE_CONTEXT_KEY,
  LaneContext,
  laneContextFromHeaders,
  laneContextFromTraceState,
  outgoingTraceHeaders,
  outgoingTraceState,
  runInLane,
  runWithLaneContext,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './context.js';
export {
  type ConfigureFromEnvOptions,
  configureFromEnv,
  LANES_ENV_VARIABLES,
  type Lanes,
  LanesConfigError,
} from './env.js';
export {
  createLanesFetch,
  isLogicalServiceHost,
  type LaneRoute,
  type LanesFetch,
  type LanesFetchOptions,
  NoInstanceError,
} from './lanes-fetch.js';
export { type LocalRegistryResolverOptions, localRegistryResolver } from './local.js';
export {
  LanePropagator,
  laneFromOtelContext,
  laneSpanContext,
  otelInjectsUndiciCalls,
  runWithLaneInOtelContext,
} from './otel.js';
export { createPropagatingFetch, type FetchLike, laneInterceptor, propagatingFetch } from './propagation.js';
export {
  DiscoveryCache,
  type DiscoveryCacheOptions,
  type DiscoveryLoader,
  type InstanceResolver,
  namespaceOf,
  type StaticInstance,
  type StaticServiceMap,
  staticResolver,
} from './resolver.js';
export {
  createLanePlugin,
  DEFAULT_LANE_RESPONSE_HEADER,
  type LaneServerOptions,
  laneHandler,
  laneMiddleware,
  lanePlugin,
} from './server.js';
export { type CallDecision, currentTrace, sendTraced, serveTraced, TraceCollector } from './trace.js';
export {
  type OutgoingTraceHeaders,
  randomParentId,
  randomTraceId,
  TraceContextOut,
} from './trace-context.js';
