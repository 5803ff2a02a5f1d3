/**
 * Every benchmark, by the name given to `npm run bench -- <name>`.
 */

import { controlPlaneBenchmark } from './control-plane.js';
import { gatewayBenchmark } from './gateway.js';
import type { Benchmark } from './lib/types.js';
import { localLoadBenchmark } from './local-load.js';
import { sdkBenchmark } from './sdk.js';
import { spinupBenchmark } from './spinup.js';
import { synthBenchmark } from './synth.js';

/** The benchmarks. */
export const BENCHMARKS: Record<string, Benchmark> = {
  'control-plane': controlPlaneBenchmark,
  sdk: sdkBenchmark,
  synth: synthBenchmark,
  gateway: gatewayBenchmark,
  spinup: spinupBenchmark,
  'local-load': localLoadBenchmark,
};
