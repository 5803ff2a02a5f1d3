/**
 * Time, injectable: every wait of the control plane (stack and pipeline pollers, retry backoff) goes through a
 * {@link Clock}, so tests run against virtual time (see `fake/virtual-clock.ts`) and never sleep for real.
 */

/** Reads the time and waits. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
