import { previousSlot } from '../../src/jobs/cron-slots.ts';
import type { CronTimer, CronTimers } from '../../src/jobs/cron-timers.ts';

interface SetTimer {
  cron: string;
  timezone: string;
  onFire: (slot: Date) => Promise<void>;
}

/** Cron timers that fire only when a test says so: pass as `timers`, then `fire` the slots the test is about. */
export class ManualCronTimers implements CronTimers {
  readonly #set = new Set<SetTimer>();

  schedule(cron: string, timezone: string, onFire: (slot: Date) => Promise<void>): CronTimer {
    const timer = { cron, timezone, onFire };
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
   * of the firings has ended. Throws when no timer of `cron` is set or `slot` is not one of its slots: the test would
   * prove nothing.
   */
  async fire(cron: string, slot: Date): Promise<void> {
    const timers = [...this.#set].filter((timer) => timer.cron === cron);
    if (timers.length === 0) throw new Error(`no timer of "${cron}" is set`);
    for (const { timezone } of timers) {
      if (previousSlot({ cron, timezone }, slot).getTime() !== slot.getTime()) {
        throw new Error(`${slot.toISOString()} is not a slot of "${cron}" in ${timezone}`);
      }
    }
    await Promise.all(timers.map((timer) => timer.onFire(slot)));
  }
}
