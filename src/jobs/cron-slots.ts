import cronParser from 'cron-parser';

/** A target's schedule as the scheduler reads it: a cron expression (5 fields, or 6 with seconds first) in a zone. */
export interface CronSchedule {
  cron: string;
  /** IANA time zone the cron's wall-clock times are read in. */
  timezone: string;
}

/*
 * Slots are the exact times a running instance fires: node-schedule walks cron-parser's `next()` from one firing to
 * the next. Around a DST change cron-parser's `prev()` disagrees with that walk: it drops the spring-forward firing
 * that `next()` shifts into the following hour, and returns both occurrences of a repeated autumn hour, of which the
 * walk fires only the first. (`next()` started inside the repeated hour also yields the second occurrence.) So
 * `previousSlot` always, and `nextSlot` near a change, find their answer on the walk itself, started from two `prev()`
 * steps back: a catch-up then never invents a slot that no running instance fired, nor misses one it did.
 */

/** The latest slot of `schedule` at or before `at`. */
export function previousSlot(schedule: CronSchedule, at: Date): Date {
  return slotsAround(schedule, at).previous;
}

/** The first slot of `schedule` strictly after `after`. */
export function nextSlot(schedule: CronSchedule, after: Date): Date {
  // Away from a DST change a plain next() is the walk's answer, and much cheaper than finding the walk (prev() is
  // slow in cron-parser).
  if (!nearOffsetChange(schedule.timezone, after)) return parse(schedule, after).next().toDate();
  return slotsAround(schedule, after).next;
}

/**
 * The interval between the two slots that follow `at`: what "every period" means for this schedule around that time
 * (24 h for a daily cron, 23 or 25 h across a DST change).
 */
export function schedulePeriodMs(schedule: CronSchedule, at: Date): number {
  const first = nextSlot(schedule, at);
  return nextSlot(schedule, first).getTime() - first.getTime();
}

/** The slots on either side of `at` on the walk: the last one at or before it and the first one after it. */
function slotsAround(schedule: CronSchedule, at: Date): { previous: Date; next: Date } {
  // prev() from just after `at` counts a slot at exactly `at`; the second step back leaves room for a slot that
  // prev() skips but the walk fires.
  const back = parse(schedule, new Date(at.getTime() + 1));
  back.prev();
  let previous = back.prev().toDate();
  const walk = parse(schedule, previous);
  for (;;) {
    const candidate = walk.next().toDate();
    if (candidate.getTime() > at.getTime()) return { previous, next: candidate };
    previous = candidate;
  }
}

/** Wider than any DST shift (at most two hours, anywhere). */
const NEAR_MS = 3 * 60 * 60 * 1000;

/** True when the zone's UTC offset changes within NEAR_MS of `at`. */
function nearOffsetChange(timezone: string, at: Date): boolean {
  return utcOffset(timezone, at.getTime() - NEAR_MS) !== utcOffset(timezone, at.getTime() + NEAR_MS);
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function utcOffset(timezone: string, at: number): string {
  let format = offsetFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    offsetFormats.set(timezone, format);
  }
  return format.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
}

function parse(schedule: CronSchedule, currentDate: Date) {
  return cronParser.parseExpression(schedule.cron, { tz: schedule.timezone, currentDate });
}
