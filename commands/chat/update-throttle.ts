export interface UpdateThrottleOptions {
  /**
   * The least time between the starts of two sends. `Infinity` sends the first value at once, then holds the newest
   * until `finish` (or `flush`): for a message that takes only a few edits, where the first and the last must show.
   */
  intervalMs: number;
  /** Any millisecond clock (only differences are used); injected in tests. Defaults to `performance.now`. */
  now?: () => number;
  /**
   * Called with what a failed send threw (or rejected with), to log it; the failure does not stop later sends, and
   * `push`, `finish` and `flush` never reject because of it. Must not throw.
   */
  onError: (error: unknown) => void;
}

/**
 * Sends the newest of a stream of versions of one chat message (its progress, then its outcome) at most once per
 * interval, whatever the platform.
 *
 * Contract:
 * - One send at a time, in the order the values were pushed: an older value never lands after a newer one.
 * - The first value goes out at once. A value pushed while the interval since the last send's start has not passed
 *   (or while a send runs) waits; a newer push replaces it, and the replaced value is dropped, never sent late.
 * - The newest value always goes out: when the interval has passed (by a timer; a clock that did not move while it
 *   ran, as a test's stopped clock, does not hold the value back), at once after `flush`, and, with an infinite
 *   interval, at once after `finish`.
 * - `push` resolves once its value, or a newer one that replaced it, has been sent or has failed; it never rejects.
 * - `finish` and `flush` resolve once nothing waits and nothing is being sent, values pushed meanwhile included;
 *   `discard` drops what waits and resolves once nothing is being sent.
 */
export class UpdateThrottle<T> {
  readonly #send: (value: T) => Promise<void>;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  #pending: { value: T; waiters: Array<() => void> } | undefined;
  #sending = false;
  #lastSentAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  #hurried = false;
  #idleWaiters: Array<() => void> = [];

  constructor(send: (value: T) => Promise<void>, options: UpdateThrottleOptions) {
    this.#send = send;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError;
  }

  /** Queues `value`, replacing any value still waiting; resolves once it (or its replacement) is sent or failed. */
  push(value: T): Promise<void> {
    return new Promise((resolve) => {
      this.#pending = { value, waiters: [...(this.#pending?.waiters ?? []), resolve] };
      this.#pump(false);
    });
  }

  /**
   * No more values are expected (the work is done): resolves once every value pushed so far is sent, the last one
   * when its interval has passed. With an infinite interval, sends the held value at once, and later ones too.
   */
  finish(): Promise<void> {
    this.#finished = true;
    return this.#idle();
  }

  /**
   * Shutting down: sends the waiting value at once and ignores the interval from here on (later values go out at
   * once too); resolves as `finish` does.
   */
  flush(): Promise<void> {
    this.#hurried = true;
    return this.#idle();
  }

  /**
   * What waits is stale (an outcome is about to replace the message): drops the value waiting, whose `push` resolves
   * as if it had been sent, and resolves once nothing is being sent, so that whatever is sent next lands last.
   */
  discard(): Promise<void> {
    const dropped = this.#pending;
    this.#pending = undefined;
    for (const resolve of dropped?.waiters ?? []) resolve();
    return this.#idle();
  }

  #idle(): Promise<void> {
    this.#pump(false);
    if (!this.#sending && this.#pending === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Sends the waiting value if its turn has come, else arms a timer for it; `due` forces it (a stopped clock). */
  #pump(due: boolean): void {
    if (this.#sending) return;
    const pending = this.#pending;
    if (pending === undefined) {
      this.#clearTimer();
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      return;
    }
    const wait = this.#lastSentAt === undefined ? 0 : this.#lastSentAt + this.#intervalMs - this.#now();
    // After `finish`, an infinite interval (first and last only) lets the last go at once; a finite one still waits.
    const held = wait > 0 && !due && !this.#hurried && !(this.#finished && !Number.isFinite(wait));
    if (held) {
      if (this.#timer === undefined && Number.isFinite(wait)) {
        const armedAt = this.#now();
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          // Timers may fire a little early (the event loop's time is read at the start of its turn): while the clock
          // moves, wait out the rest; a clock that stood still (a test's) must not hold the value forever.
          this.#pump(this.#now() === armedAt);
        }, wait);
      }
      return;
    }
    this.#clearTimer();
    this.#pending = undefined;
    this.#sending = true;
    this.#lastSentAt = this.#now();
    Promise.resolve()
      .then(() => this.#send(pending.value))
      .catch((error: unknown) => this.#onError(error))
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
