/** A timer set by `CronTimers.schedule`. */
export interface CronTimer {
  /** No firing starts after this returns. */
  cancel(): void;
}

/**
 * What the scheduler's cron firings come from: node-schedule in production (NodeScheduleTimers); a test fires the
 * slots it wants when it wants, so no test waits for a real cron second.
 */
export interface CronTimers {
  /**
   * Calls `onFire` at each slot of `cron` (5 fields, or 6 with seconds first) read in the IANA zone `timezone`, with
   * the slot's scheduled time (not the wall clock at the call), until cancelled. `onFire` never rejects; its promise
   * is the firing's work. Undefined when the cron has no future firing.
   */
  schedule(cron: string, timezone: string, onFire: (slot: Date) => Promise<void>): CronTimer | undefined;
}
