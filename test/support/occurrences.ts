/**
 * Records each occurrence of an event (pass `record` as the callback) and lets a test wait, without polling, until a
 * number of them have happened.
 */
export class Occurrences<T> {
  readonly seen: T[] = [];
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly record = (value: T): void => {
    this.seen.push(value);
    for (const waiter of [...this.#waiters]) {
      if (this.seen.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  /**
   * Resolves with every occurrence so far once there have been `count` in all; rejects after `timeoutMs`, saying how
   * many came, so a missing event fails the test with a reason rather than hanging it.
   */
  async reached(count: number, timeoutMs = 10_000): Promise<T[]> {
    if (this.seen.length < count) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          this.#waiters.push({ count, resolve });
          timer = setTimeout(
            () => reject(new Error(`waited for ${count} occurrences, saw ${this.seen.length}`)),
            timeoutMs,
          );
        });
      } finally {
        clearTimeout(timer);
      }
    }
    return [...this.seen];
  }
}
