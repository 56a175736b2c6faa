/**
 * Sends successive versions of one message no faster than one per `intervalMs`, in order, one at a time. A version
 * that arrives while another waits replaces it (the waiting one is dropped), so the newest always goes out and an old
 * one never overwrites a newer one. `send` must not reject; a rejection is swallowed (callers log inside `send`).
 */
export class ThrottledUpdater<T> {
  private pending: { value: T; done: () => void } | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStart: number | undefined;
  private hurry = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly send: (value: T) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Queues `value`; resolves once it has been sent, or replaced by a newer value (then it never will be). */
  push(value: T): Promise<void> {
    return new Promise<void>((resolve) => {
      this.pending?.done();
      this.pending = { value, done: resolve };
      this.schedule();
    });
  }

  /** Resolves when nothing waits and nothing is being sent (the interval is kept: the last value may wait for it). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends the waiting value now, ignoring the interval from here on (shutting down), and resolves when idle. */
  flush(): Promise<void> {
    this.hurry = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.schedule();
    return this.idle();
  }

  private isIdle(): boolean {
    return this.pending === undefined && this.inFlight === undefined;
  }

  private schedule(): void {
    if (this.pending === undefined || this.inFlight !== undefined || this.timer !== undefined) return;
    const wait = this.hurry || this.lastStart === undefined ? 0 : this.lastStart + this.intervalMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const { value, done } = this.pending;
    this.pending = undefined;
    this.lastStart = this.now();
    this.inFlight = this.send(value)
      .catch(() => undefined)
      .then(() => {
        this.inFlight = undefined;
        done();
        this.schedule();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }
}
