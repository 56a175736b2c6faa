import { describe, expect, test } from 'vitest';
import { type CronSchedule, nextSlot, previousSlot, schedulePeriodMs } from '../../src/jobs/cron-slots.ts';

const hour = 60 * 60 * 1000;
const at = (iso: string) => new Date(iso);

/** The wall-clock time of an instant in a zone, "YYYY-MM-DD HH:MM:SS". */
function wallClock(instant: Date, timezone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}

/** Every `stepMs` from `from` to `to`. */
function instants(from: string, to: string, stepMs: number): Date[] {
  const found: Date[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) found.push(new Date(t));
  return found;
}

describe('a daily cron in UTC', () => {
  const daily: CronSchedule = { cron: '0 2 * * *', timezone: 'UTC' };

  test('the previous slot includes a slot at exactly that time; the next one is strictly after', () => {
    expect(previousSlot(daily, at('2026-11-27T02:00:00.000Z'))).toEqual(at('2026-11-27T02:00:00Z'));
    expect(previousSlot(daily, at('2026-11-27T01:59:59.999Z'))).toEqual(at('2026-11-26T02:00:00Z'));
    expect(previousSlot(daily, at('2026-11-27T17:45:12.345Z'))).toEqual(at('2026-11-27T02:00:00Z'));
    expect(nextSlot(daily, at('2026-11-27T02:00:00.000Z'))).toEqual(at('2026-11-28T02:00:00Z'));
    expect(nextSlot(daily, at('2026-11-27T01:59:59.999Z'))).toEqual(at('2026-11-27T02:00:00Z'));
  });

  test('its period is one day', () => {
    expect(schedulePeriodMs(daily, at('2026-11-27T12:00:00Z'))).toBe(24 * hour);
  });
});

describe('a cron with a seconds field', () => {
  const everyFiveSeconds: CronSchedule = { cron: '*/5 * * * * *', timezone: 'UTC' };

  test('slots fall on every fifth second, to the millisecond', () => {
    expect(previousSlot(everyFiveSeconds, at('2026-11-27T10:00:07.300Z'))).toEqual(at('2026-11-27T10:00:05.000Z'));
    expect(previousSlot(everyFiveSeconds, at('2026-11-27T10:00:05.000Z'))).toEqual(at('2026-11-27T10:00:05.000Z'));
    expect(nextSlot(everyFiveSeconds, at('2026-11-27T10:00:05.000Z'))).toEqual(at('2026-11-27T10:00:10.000Z'));
    expect(nextSlot(everyFiveSeconds, at('2026-11-27T10:00:59.999Z'))).toEqual(at('2026-11-27T10:01:00.000Z'));
    expect(schedulePeriodMs(everyFiveSeconds, at('2026-11-27T10:00:07.300Z'))).toBe(5000);
  });
});

describe('02:30 daily in Europe/Zurich across DST changes', () => {
  const zurich: CronSchedule = { cron: '30 2 * * *', timezone: 'Europe/Zurich' };

  test('in spring, when 02:30 does not exist, cron-parser shifts the firing to 03:30 summer time', () => {
    const shifted = nextSlot(zurich, at('2026-03-28T12:00:00Z'));
    expect(shifted).toEqual(at('2026-03-29T01:30:00Z'));
    expect(wallClock(shifted, 'Europe/Zurich')).toBe('2026-03-29 03:30:00');
    expect(previousSlot(zurich, at('2026-03-29T12:00:00Z'))).toEqual(shifted);
    const after = nextSlot(zurich, shifted);
    expect(wallClock(after, 'Europe/Zurich')).toBe('2026-03-30 02:30:00');
    expect(schedulePeriodMs(zurich, at('2026-03-29T12:00:00Z'))).toBe(24 * hour);
    expect(after.getTime() - shifted.getTime()).toBe(23 * hour);
  });

  test('in autumn, when 02:30 happens twice, it fires once, at the first (summer time) 02:30', () => {
    const once = previousSlot(zurich, at('2026-10-25T12:00:00Z'));
    expect(once).toEqual(at('2026-10-25T00:30:00Z'));
    expect(wallClock(once, 'Europe/Zurich')).toBe('2026-10-25 02:30:00');
    // The winter-time 02:30 (01:30Z) is no slot: the day after comes next, 25 hours later.
    expect(previousSlot(zurich, at('2026-10-25T01:45:00Z'))).toEqual(once);
    expect(nextSlot(zurich, once)).toEqual(at('2026-10-26T01:30:00Z'));
    expect(schedulePeriodMs(zurich, at('2026-10-24T12:00:00Z'))).toBe(25 * hour);
  });

  test('around both changes, previous and next slot agree: no slot between them, each slot is its own previous', () => {
    // Both changes happen at 01:00Z and the slots nearby at 00:30Z or 01:30Z: half-hour steps hit each of them.
    // (cron-parser's prev() is slow, so only the hours around each change.)
    const around = [
      ...instants('2026-03-28T21:00:00Z', '2026-03-29T05:00:00Z', 30 * 60 * 1000),
      ...instants('2026-10-24T21:00:00Z', '2026-10-25T05:00:00Z', 30 * 60 * 1000),
    ];
    for (const instant of around) {
      const previous = previousSlot(zurich, instant);
      const next = nextSlot(zurich, instant);
      expect(previous.getTime()).toBeLessThanOrEqual(instant.getTime());
      expect(next.getTime()).toBeGreaterThan(instant.getTime());
      expect(nextSlot(zurich, previous)).toEqual(next);
      expect(previousSlot(zurich, next)).toEqual(next);
      // Real instants: on the minute, and shown in the zone as an existing 02:30 or the shifted 03:30.
      expect(previous.getTime() % 60_000).toBe(0);
      expect(wallClock(previous, 'Europe/Zurich')).toMatch(/ 0[23]:30:00$/);
    }
  });

  test('an hourly cron fires 25 times, an hour apart, on the day that has 25 hours', () => {
    const hourly: CronSchedule = { cron: '0 * * * *', timezone: 'Europe/Zurich' };
    const slots: Date[] = [];
    // 2026-10-25 in Zurich runs from 2026-10-24T22:00Z to 2026-10-25T23:00Z.
    for (let slot = nextSlot(hourly, at('2026-10-24T21:59:59Z')); slot < at('2026-10-25T23:00:00Z'); ) {
      slots.push(slot);
      slot = nextSlot(hourly, slot);
    }
    expect(slots).toHaveLength(25);
    for (const [index, slot] of slots.entries()) {
      expect(slot.getTime() - at('2026-10-24T22:00:00Z').getTime()).toBe(index * hour);
    }
  });
});
