import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { periodLabel } from '../../src/retention/calendar-period.ts';
import { ZoneCalendar } from '../../src/retention/index.ts';

const localDay = (zone: string, at: string) => periodLabel('day', ZoneCalendar.of(zone).dayNumberOf(Date.parse(at)));

const formats = new Map<string, Intl.DateTimeFormat>();

/** The local date straight from Intl at that instant, with no offset cache: the oracle for ZoneCalendar. */
function intlDay(zone: string, ms: number): string {
  if (!formats.has(zone))
    formats.set(
      zone,
      new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }),
    );
  const parts = formats
    .get(zone)!
    .formatToParts(ms)
    .filter((part) => part.type !== 'literal');
  const value = (type: string) => parts.find((part) => part.type === type)!.value;
  return `${value('year')}-${value('month')}-${value('day')}`;
}

describe('ZoneCalendar', () => {
  test.each([
    ['Europe/Zurich', '2026-11-25T22:59:59Z', '2026-11-25'],
    ['Europe/Zurich', '2026-11-25T23:00:00Z', '2026-11-26'], // midnight CET
    ['Europe/Zurich', '2026-07-01T21:59:59Z', '2026-07-01'],
    ['Europe/Zurich', '2026-07-01T22:00:00Z', '2026-07-02'], // midnight CEST
    ['Europe/Zurich', '2026-03-29T00:59:59Z', '2026-03-29'], // 01:59:59 CET, then clocks jump to 03:00
    ['Europe/Zurich', '2026-03-29T21:59:59Z', '2026-03-29'], // a 23-hour day ends at 22:00 UTC
    ['Europe/Zurich', '2026-03-29T22:00:00Z', '2026-03-30'],
    ['Europe/Zurich', '2026-10-25T22:59:59Z', '2026-10-25'], // a 25-hour day ends at 23:00 UTC
    ['Europe/Zurich', '2026-10-25T23:00:00Z', '2026-10-26'],
    ['America/New_York', '2026-11-26T04:59:59Z', '2026-11-25'],
    ['America/New_York', '2026-11-26T05:00:00Z', '2026-11-26'],
    ['Asia/Kolkata', '2026-11-25T18:29:59Z', '2026-11-25'], // UTC+05:30
    ['Asia/Kolkata', '2026-11-25T18:30:00Z', '2026-11-26'],
    ['Pacific/Chatham', '2026-11-25T10:14:59Z', '2026-11-25'], // UTC+13:45 in summer
    ['Pacific/Chatham', '2026-11-25T10:15:00Z', '2026-11-26'],
    ['UTC', '2026-11-25T23:59:59.999Z', '2026-11-25'],
  ])('in %s, %s is on %s', (zone, at, day) => {
    expect(localDay(zone, at)).toBe(day);
  });

  test('agrees with Intl at any instant, also around daylight-saving changes', () => {
    const zones = ['Europe/Zurich', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago'];
    // Half of the instants fall within a day of a change in Zurich or New York, where the cache must not be trusted.
    const changes = ['2026-03-08T07:00Z', '2026-03-29T01:00Z', '2026-10-25T01:00Z', '2026-11-01T06:00Z'].map(
      Date.parse,
    );
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
      fc.tuple(fc.constantFrom(...changes), fc.integer({ min: -86_400_000, max: 86_400_000 })).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(fc.constantFrom(...zones), instant, (zone, ms) => {
        expect(periodLabel('day', ZoneCalendar.of(zone).dayNumberOf(ms))).toBe(intlDay(zone, ms));
      }),
      { numRuns: 3000 },
    );
  });

  test('an unknown zone is a coded error that says what to write', () => {
    expect(() => ZoneCalendar.of('Mars/Olympus')).toThrow(
      expect.objectContaining({ code: 'bad-timezone', message: expect.stringContaining('IANA name') }),
    );
  });
});
