export interface UpdateThrottleOptions {
  /** The least time between the starts of two sends; `Infinity` sends the first value, then only after `finish`. */
  intervalMs: number;
  /** Milliseconds since the epoch (an injected clock in tests). */
  now: () => number;
  /** A failed send is reported here and does not stop later ones. */
  onError: (error: unknown) => void;
}

/**
 * Sends the newest of a stream of values (a message's progress, then its outcome) at most once per interval.
 * Contract: sends run one at a time in the order the values came, so an older value never lands after a newer one; a
 * value that arrives while the interval has not passed waits, and a newer one replaces it (the older is dropped, never
 * sent late); the newest value always goes out, once the interval has passed. `push` resolves once
 * its value is sent (or failed) or replaced by a newer value that is.
 */
export class UpdateThrottle<T> {
  #pending: { value: T; waiters: Array<() => void> } | undefined;
  #sending = false;
  #lastSentAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  #idleWaiters: Array<() => void> = [];

  constructor(
    private readonly send: (value: T) => Promise<void>,
    private readonly options: UpdateThrottleOptions,
  ) {}

  push(value: T): Promise<void> {
    return new Promise((resolve) => {
      this.#pending = { value, waiters: [...(this.#pending?.waiters ?? []), resolve] };
      this.#pump(false);
    });
  }

  /**
   * Resolves once every value pushed so far is sent (the last one when its interval has passed). With an infinite
   * interval, sends the waiting value at once, and later ones too.
   */
  finish(): Promise<void> {
    this.#finished = true;
    this.#pump(false);
    if (!this.#sending && this.#pending === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(due: boolean): void {
    if (this.#sending) return;
    const pending = this.#pending;
    if (pending === undefined) {
      this.#clearTimer();
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      return;
    }
    const wait = this.#lastSentAt === undefined ? 0 : this.#lastSentAt + this.options.intervalMs - this.options.now();
    // After `finish`, an infinite interval (send the first and the last only) lets the last go at once; a finite one
    // still waits for its turn.
    const held = wait > 0 && !due && !(this.#finished && !Number.isFinite(wait));
    if (held) {
      // A timer that fires sends regardless of the clock, so a stopped test clock cannot hold a value back forever.
      if (this.#timer === undefined && Number.isFinite(wait)) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump(true);
        }, wait);
      }
      return;
    }
    this.#clearTimer();
    this.#pending = undefined;
    this.#sending = true;
    this.#lastSentAt = this.options.now();
    Promise.resolve()
      .then(() => this.send(pending.value))
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.#sending = false;
        for (const resolve of pending.waiters) resolve();
        this.#pump(false);
      });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
