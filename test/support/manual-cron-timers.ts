import { previousSlot } from '../../src/jobs/cron-slots.ts';
import type { CronTimer, CronTimers } from '../../src/jobs/cron-timers.ts';

interface SetTimer {
  cron: string;
  timezone: string;
  onFire: (slot: Date) => Promise<void>;
  /** When it was set, on the clock given to the constructor. */
  setAt: Date | undefined;
}

/**
 * Cron timers that fire only when a test says so: pass as `timers`, then `fire` the slots the test is about. With the
 * code's clock, `fire` also refuses a slot that had passed when the timer was set, which node-schedule never fires.
 */
export class ManualCronTimers implements CronTimers {
  readonly #set = new Set<SetTimer>();

  constructor(private readonly clock?: () => Date) {}

  schedule(cron: string, timezone: string, onFire: (slot: Date) => Promise<void>): CronTimer {
    const timer = { cron, timezone, onFire, setAt: this.clock?.() };
    this.#set.add(timer);
    return {
      cancel: () => {
        this.#set.delete(timer);
      },
    };
  }

  /** The timers set and not cancelled. */
  get scheduled(): Array<{ cron: string; timezone: string }> {
    return [...this.#set].map(({ cron, timezone }) => ({ cron, timezone }));
  }

  /**
   * Fires every set timer of `cron` for `slot`, as node-schedule does when the slot comes, and resolves once the work
   * of the firings has ended. Throws when no timer of `cron` is set, `slot` is not one of its slots, or (with a clock)
   * `slot` had passed when a timer was set: the test would prove nothing.
   */
  async fire(cron: string, slot: Date): Promise<void> {
    const timers = [...this.#set].filter((timer) => timer.cron === cron);
    if (timers.length === 0) throw new Error(`no timer of "${cron}" is set`);
    for (const { timezone, setAt } of timers) {
      if (previousSlot({ cron, timezone }, slot).getTime() !== slot.getTime()) {
        throw new Error(`${slot.toISOString()} is not a slot of "${cron}" in ${timezone}`);
      }
      if (setAt !== undefined && setAt.getTime() >= slot.getTime()) {
        throw new Error(`the timer of "${cron}" was set at ${setAt.toISOString()}, after ${slot.toISOString()}`);
      }
    }
    await Promise.all(timers.map((timer) => timer.onFire(slot)));
  }
}
