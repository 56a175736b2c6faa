import schedule from 'node-schedule';
import type { CronTimer, CronTimers } from './cron-timers.ts';

/**
 * Cron timers on node-schedule, which walks cron-parser's `next()` from one firing to the next (the walk cron-slots.ts
 * reproduces). It does not refuse a cron it cannot parse (it reads it as an object spec and fires every minute), so
 * callers check a cron before scheduling it.
 */
export class NodeScheduleTimers implements CronTimers {
  schedule(cron: string, timezone: string, onFire: (slot: Date) => Promise<void>): CronTimer | undefined {
    // node-schedule hands the callback the firing's scheduled time, which names the slot.
    const job = schedule.scheduleJob({ rule: cron, tz: timezone }, (fireDate) => onFire(fireDate));
    if (!job) return undefined;
    return {
      cancel: () => {
        job.cancel();
      },
    };
  }
}
