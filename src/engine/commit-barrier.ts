/**
 * Lets the parts of a restore commit together: each part calls `arrive()` when it is ready to commit and waits until
 * every part is ready. If any part fails first (`fail`), every waiting and later `arrive()` rejects, so no part
 * commits: a database is never restored without its media, or the other way round.
 */
export class CommitBarrier {
  private arrived = 0;
  private failure: { error: unknown } | undefined;
  private readonly waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly parties: number) {}

  arrive(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    this.arrived += 1;
    const waiting = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.arrived === this.parties) for (const waiter of this.waiters.splice(0)) waiter.resolve();
    return waiting;
  }

  fail(error: unknown): void {
    if (this.failure || this.arrived === this.parties) return;
    this.failure = { error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
