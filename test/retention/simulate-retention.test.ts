import { describe, expect, test } from 'vitest';
import { periodKey, periodLabel } from '../../src/retention/calendar-period.ts';
import {
  defaultRetentionPolicy,
  type RetentionPolicy,
  type SimulatedBackup,
  simulateRetention,
  ZoneCalendar,
} from '../../src/retention/index.ts';

const dayMs = 86_400_000;
const zurich: RetentionPolicy = { ...defaultRetentionPolicy, timezone: 'Europe/Zurich' };
const calendar = ZoneCalendar.of('Europe/Zurich');
const day = (ms: number) => calendar.dayNumberOf(ms);
const week = (ms: number) => periodKey('week', day(ms));
const month = (ms: number) => periodKey('month', day(ms));
const times = (backups: SimulatedBackup[]) => backups.map((backup) => backup.at.getTime());
const steps = (keys: number[]) => keys.slice(1).map((key, index) => key - keys[index]!);

describe('simulateRetention', () => {
  // 01:30 UTC is 02:30 in Zurich in winter and 03:30 in summer: the run crosses two daylight-saving changes.
  const start = new Date('2025-10-22T01:30:00Z');
  const result = simulateRetention({ days: 400, everyMinutes: 24 * 60, policy: zurich, start });
  const made = Array.from({ length: 400 }, (_, n) => start.getTime() + (n + 1) * dayMs);
  const tier = (name: string) => result.kept.filter((backup) => backup.tier === name);

  test('400 days of daily backups keep exactly 7 daily, 4 weekly and 12 monthly', () => {
    expect(result.kept.map((backup) => backup.tier)).toEqual([
      ...new Array(12).fill('monthly'),
      ...new Array(4).fill('weekly'),
      ...new Array(7).fill('daily'),
    ]);
    expect(result.deleted).toBe(400 - 23);
    expect(result.kept.at(-1)?.at).toEqual(new Date('2026-11-26T01:30:00Z'));
  });

  test('the dailies are the newest backups, on 7 consecutive days', () => {
    const dailies = times(tier('daily'));
    expect(dailies).toEqual(made.slice(-7));
    expect(steps(dailies.map(day))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(tier('daily').map((backup) => backup.reason)).toEqual(
      dailies.map((ms) => `daily ${periodLabel('day', day(ms))}`),
    );
  });

  test('the weeklies are in 4 consecutive ISO weeks, each the oldest backup of its week', () => {
    const weeklies = times(tier('weekly'));
    expect(steps(weeklies.map(week))).toEqual([7, 7, 7]);
    for (const ms of weeklies) expect(ms).toBe(Math.min(...made.filter((other) => week(other) === week(ms))));
    expect(Math.max(...weeklies)).toBeLessThan(Math.min(...times(tier('daily'))));
    expect(tier('weekly').map((backup) => backup.reason)).toEqual([
      'weekly 2026-W44',
      'weekly 2026-W45',
      'weekly 2026-W46',
      'weekly 2026-W47',
    ]);
  });

  test('the monthlies are in 12 consecutive months, each the oldest of its month that was a weekly', () => {
    const monthlies = times(tier('monthly'));
    expect(steps(monthlies.map(month))).toEqual(new Array(11).fill(1));
    expect(Math.max(...monthlies)).toBeLessThan(Math.min(...times(tier('weekly'))));
    // Pruning after every backup: the 1st of a month goes as soon as it leaves the dailies, because the oldest
    // backup of its week is the Monday before. What stays of a month is its oldest weekly, its first Monday.
    const weekStarts = made.filter((ms) => ms === Math.min(...made.filter((other) => week(other) === week(ms))));
    for (const ms of monthlies) expect(ms).toBe(Math.min(...weekStarts.filter((other) => month(other) === month(ms))));
    expect(tier('monthly').map((backup) => backup.reason)).toEqual(
      monthlies.map((ms) => `monthly ${periodLabel('month', month(ms))}`),
    );
    expect(tier('monthly')[0]?.reason).toBe('monthly 2025-11');
  });

  test('with two backups a day, the daily is the later one of each local day', () => {
    const twice = simulateRetention({ days: 10, everyMinutes: 12 * 60, policy: zurich, start });
    expect(twice.kept.map((backup) => `${backup.at.toISOString().slice(0, 16)} ${backup.reason}`)).toEqual([
      '2025-10-22T13:30 weekly 2025-W43', // the first backup, older than the oldest daily, oldest of its week
      '2025-10-26T13:30 daily 2025-10-26',
      '2025-10-27T13:30 daily 2025-10-27',
      '2025-10-28T13:30 daily 2025-10-28',
      '2025-10-29T13:30 daily 2025-10-29',
      '2025-10-30T13:30 daily 2025-10-30',
      '2025-10-31T13:30 daily 2025-10-31',
      '2025-11-01T01:30 daily 2025-11-01', // the newest day has had one backup so far
    ]);
    expect(twice.deleted).toBe(20 - 8);
  });

  test('a run shorter than one interval makes no backups', () => {
    expect(simulateRetention({ days: 1, everyMinutes: 2 * 24 * 60, policy: zurich, start })).toEqual({
      kept: [],
      deleted: 0,
    });
  });

  test('days and interval must be positive', () => {
    expect(() => simulateRetention({ days: 10, everyMinutes: 0, policy: zurich, start })).toThrow(
      expect.objectContaining({ code: 'bad-simulation' }),
    );
    expect(() => simulateRetention({ days: -1, everyMinutes: 60, policy: zurich, start })).toThrow(
      expect.objectContaining({ code: 'bad-simulation' }),
    );
  });
});
