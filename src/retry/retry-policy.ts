import { setTimeout as delay } from 'node:timers/promises';
import { isBackstopError } from '../domain/backstop-error.ts';

/**
 * How long to keep trying a call that fails with a retryable error: waits that grow by `factor` from `firstDelayMs`
 * up to `maxDelayMs`, each jittered down by up to half (so instances that failed together do not retry together),
 * until the next wait would end more than `budgetMs` after the first failure. The defaults keep trying for about
 * 75 seconds, so a storage outage of a minute is ridden out.
 */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  factor: number;
  budgetMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  firstDelayMs: 500,
  maxDelayMs: 15_000,
  factor: 2,
  budgetMs: 75_000,
});

/** The collaborators of retrying, injected so tests run without waiting. */
export interface RetryTools {
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1). */
  random: () => number;
  /** Monotonic milliseconds. */
  now: () => number;
  /** Told of each failure that will be tried again, and after which wait. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
}

export const realRetryTools: RetryTools = {
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  },
  random: Math.random,
  now: () => performance.now(),
};

/** True for BackstopErrors a driver marked `retryable` (a network blip, a 5xx, a timeout). */
export function isRetryable(error: unknown): boolean {
  return isBackstopError(error) && error.retryable;
}

/**
 * The waits between the attempts of one call: `wait(error)` waits before the next attempt, or rethrows `error` when it
 * is not retryable, the budget is spent or `signal` aborted.
 */
export class Backoff {
  private started: number | undefined;
  private step: number;
  private attempt = 0;

  constructor(
    private readonly options: {
      policy?: RetryPolicy;
      tools?: RetryTools;
      signal?: AbortSignal;
      retryable?: (error: unknown) => boolean;
    } = {},
  ) {
    this.step = (options.policy ?? defaultRetryPolicy).firstDelayMs;
  }

  async wait(error: unknown): Promise<void> {
    const policy = this.options.policy ?? defaultRetryPolicy;
    const tools = this.options.tools ?? realRetryTools;
    this.attempt += 1;
    if (!(this.options.retryable ?? isRetryable)(error) || this.options.signal?.aborted) throw error;
    this.started ??= tools.now();
    const wait = Math.round(this.step * (0.5 + tools.random() / 2));
    if (tools.now() + wait - this.started > policy.budgetMs) throw error;
    tools.onRetry?.(error, this.attempt, wait);
    await tools.sleep(wait, this.options.signal);
    this.step = Math.min(this.step * policy.factor, policy.maxDelayMs);
  }
}

/**
 * Runs `call` until it succeeds, fails with an error that is not retryable, or the policy's budget is spent (then
 * the last error is thrown). `call` gets the attempt number, from 1.
 */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  options: { policy?: RetryPolicy; tools?: RetryTools; signal?: AbortSignal; retryable?: (error: unknown) => boolean },
): Promise<T> {
  const backoff = new Backoff(options);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      await backoff.wait(error);
    }
  }
}
