/**
 * Retries. The SDK retries every call through {@link LanesRetryStrategy} (throttling, transient and server
 * errors, with exponential backoff and jitter, on the injected clock); waiters and our own loops use
 * {@link withThrottleRetry} for what still escapes after the SDK gave up.
 */
import type { Clock } from './clock.js';

/** Attempts per SDK call (first try included). */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** First backoff delay. */
export const BASE_BACKOFF_MS = 200;
/** Longest backoff delay. */
export const MAX_BACKOFF_MS = 20_000;

/** The error types the SDK's retry middleware hands the strategy. */
type RetryErrorType = 'TRANSIENT' | 'SERVER_ERROR' | 'THROTTLING' | 'CLIENT_ERROR';

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

function token(count: number): Token {
  return { getRetryCount: () => count, getRetryDelay: () => 0 };
}

/** Full-jitter exponential backoff: a random delay in `[0, min(max, base * 2^attempt)]`, at least 1 ms. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return Math.max(1, Math.floor(random() * cap));
}

/**
 * An SDK `RetryStrategyV2` that retries throttling, transient and server errors up to `maxAttempts`, sleeping
 * on `clock` (so virtual time drives it in tests) and reporting a zero delay to the SDK.
 */
export class LanesRetryStrategy {
  readonly mode = 'standard';
  constructor(
    private readonly clock: Clock,
    private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS,
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0);
  }

  async refreshRetryTokenForRetry(previous: Token, info: { errorType: RetryErrorType }): Promise<Token> {
    const retries = previous.getRetryCount();
    if (info.errorType === 'CLIENT_ERROR' || retries + 1 >= this.maxAttempts) {
      throw new Error('no more retries');
    }
    await this.clock.sleep(backoffDelay(retries));
    return token(retries + 1);
  }

  recordSuccess(_token: Token): void {}
}

/** True for the errors AWS returns when a caller goes too fast. */
export function isThrottling(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const message = (error as { message?: string } | undefined)?.message ?? '';
  return (
    /^(Throttling|ThrottlingException|ThrottledException|TooManyRequestsException|RequestLimitExceeded|RequestThrottled|RequestThrottledException|SlowDown|PriorRequestNotComplete)$/.test(
      name,
    ) || /rate exceeded/i.test(message)
  );
}

/**
 * Runs `fn`, retrying it on throttling (after the SDK's own retries were used up) with backoff on `clock`,
 * at most `attempts` times in all.
 */
export async function withThrottleRetry<T>(clock: Clock, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isThrottling(error) || attempt + 1 >= attempts) throw error;
      await clock.sleep(backoffDelay(attempt + 3));
    }
  }
}
