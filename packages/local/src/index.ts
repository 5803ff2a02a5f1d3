/**
 * `@ecs-lanes/local`: the local target — every lane of every service as a local process, a gateway per service
 * that routes with the ALB's own rule conditions, a registry that answers as Cloud Map does. See
 * docs/local-target.md.
 */
export { readJsonFile, writeFileAtomic } from './atomic.js';
export { ControlApiError, callControl, type DaemonInfo, ensureSupervisor, findSupervisor } from './client.js';
export {
  type DemoHop,
  type DemoOptions,
  type DemoResult,
  firstLocalEnvironment,
  formatRoute,
  prepareDemoProject,
  routeOf,
  runDemo,
} from './demo.js';
export {
  createLocalEnvironment,
  createLocalTarget,
  LocalEnvironment,
  type LocalTargetOptions,
} from './environment.js';
export {
  GATEWAY_LANE_HEADER,
  Gateway,
  type GatewayInstance,
  type GatewayRoutes,
  SERVICE_HEADER,
} from './gateway.js';
export { type AppSource, resolveSource, WORKING_TREE } from './git.js';
export {
  createLocalConfigStore,
  type LocalConfigStoreOptions,
  localConfigFile,
  resolveLocalLaneConfig,
} from './lane-config.js';
export { createLocalLogReader, LOCAL_FOLLOW_INTERVAL_MS } from './lane-logs.js';
export { type LockOptions, LockTimeoutError, processAlive, withLock } from './lock.js';
export {
  DEFAULT_CONFIG_FILE_NAME,
  type LocalPaths,
  type LocalPorts,
  laneKey,
  laneLogFile,
  localPaths,
  localPorts,
  localStateDir,
} from './paths.js';
export { freePort, INSTANCE_ID_ENV, killGroup, stopOrphan } from './process.js';
export { Registry, type RegistryInstance, toDiscoveredInstance } from './registry.js';
export {
  EMPTY_STATE,
  type LaneRecord,
  type LocalState,
  STATE_VERSION,
  StateStore,
  withLaneRecord,
} from './state.js';
export { type DeployCommand, type RuntimeLane, Supervisor, type SupervisorSpec } from './supervisor.js';
