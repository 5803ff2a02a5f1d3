/**
 * Every benchmark, by the name given to `npm run bench -- <name>`.
 */

import { gatewayBenchmark } from './gateway.js';
import type { Benchmark } from './lib/types.js';
import { sdkBenchmark } from './sdk.js';
import { spinupBenchmark } from './spinup.js';

/** The benchmarks. */
export const BENCHMARKS: Record<string, Benchmark> = {
  sdk: sdkBenchmark,
  gateway: gatewayBenchmark,
  spinup: spinupBenchmark,
};
