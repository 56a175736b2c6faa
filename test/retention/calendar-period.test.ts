import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { periodKey, periodLabel } from '../../src/retention/calendar-period.ts';

const dayNumber = (date: string) => Date.parse(`${date}T00:00Z`) / 86_400_000;
const label = (unit: 'day' | 'week' | 'month', date: string) => periodLabel(unit, periodKey(unit, dayNumber(date)));

describe('calendar periods', () => {
  test.each([
    ['2026-11-26', '2026-W48'],
    ['2026-11-22', '2026-W47'], // a Sunday ends its week
    ['2026-11-23', '2026-W48'], // a Monday starts one
    ['2025-12-29', '2026-W01'], // week 1 of 2026 starts in 2025: 1 January 2026 is a Thursday
    ['2026-12-28', '2026-W53'],
    ['2027-01-03', '2026-W53'], // 2026-12-28..2027-01-03 has its Thursday in 2026
    ['2027-01-04', '2027-W01'],
    ['2021-01-03', '2020-W53'],
    ['2024-12-30', '2025-W01'],
    ['1969-12-31', '1970-W01'], // before day 0 as well
  ])('%s is in ISO week %s', (date, week) => {
    expect(label('week', date)).toBe(week);
  });

  test.each([
    ['day', '2026-11-26', '2026-11-26'],
    ['month', '2026-11-26', '2026-11'],
    ['month', '2024-02-29', '2024-02'],
    ['month', '2027-01-01', '2027-01'],
    ['month', '1969-12-31', '1969-12'],
  ] as const)('the %s of %s is %s', (unit, date, expected) => {
    expect(label(unit, date)).toBe(expected);
  });

  test('ISO weeks and months agree with a Date-based reckoning on any day from 1696 to 2243', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (day) => {
        const date = new Date(day * 86_400_000);
        expect(periodKey('month', day)).toBe(date.getUTCFullYear() * 12 + date.getUTCMonth());
        // The textbook method: move to the Thursday of the week; its year is the ISO year.
        const thursday = new Date(date);
        thursday.setUTCDate(date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7));
        const week = Math.ceil(((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
        expect(periodLabel('week', periodKey('week', day))).toBe(
          `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
