import { describe, expect, test } from 'vitest';
import {
  defaultRetentionPolicy,
  type RetentionSimulation,
  renderRetentionTimeline,
  simulateRetention,
} from '../../src/retention/index.ts';
import { expectGoldenText } from './golden.ts';

const now = new Date('2026-11-26T01:30:00Z');
const policy = { ...defaultRetentionPolicy, timezone: 'Europe/Zurich' };
const yearAndMore = simulateRetention({
  days: 400,
  everyMinutes: 24 * 60,
  policy,
  start: new Date('2025-10-22T01:30Z'),
});

describe('renderRetentionTimeline', () => {
  test('draws a row per tier over a date axis, with a legend of counts', () => {
    const text = renderRetentionTimeline(yearAndMore, { width: 100, now, timezone: 'Europe/Zurich' });
    const lines = text.split('\n');
    const row = (tier: string) => lines.find((line) => line.startsWith(`${tier.padEnd(9)}`))!.slice(9);
    const marks = (line: string) =>
      [...line].reduce((sum, mark) => sum + (mark === '*' ? 1 : /[2-9]/.test(mark) ? Number(mark) : 0), 0);
    expect(marks(row('daily'))).toBe(7);
    expect(marks(row('weekly'))).toBe(4);
    expect(marks(row('monthly'))).toBe(12);
    // Time runs left to right: the monthlies start the axis, the dailies end it.
    expect(row('monthly').startsWith('*')).toBe(true);
    expect(row('daily').endsWith('3')).toBe(true);
    expect(text).toContain('7 daily, 4 weekly, 12 monthly kept (23), 377 deleted');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expectGoldenText('timeline-400-days', text);
  });

  test('marks where months begin and labels as many as fit', () => {
    const text = renderRetentionTimeline(yearAndMore, { width: 60, now, timezone: 'Europe/Zurich' });
    const [axis, labels] = text.split('\n').slice(4, 6);
    expect(axis?.trim().match(/\+/g)).toHaveLength(12);
    expect(labels?.trim()).toMatch(/^2025-12 +2026-0\d/);
  });

  test('a short run gets a day axis, and nothing kept still draws the rows', () => {
    const empty: RetentionSimulation = { kept: [], deleted: 0 };
    const text = renderRetentionTimeline(empty, { width: 40, now });
    const lines = text.split('\n');
    expect(lines.map((line) => line.slice(0, 9).trim())).toEqual([
      'Kept back',
      'daily',
      'weekly',
      'monthly',
      '',
      '',
      '0 daily,',
      'one colum',
    ]);
    expect(lines[0]).toBe('Kept backups, 2026-11-25 to 2026-11-26 (UTC)');
    expect(lines.slice(1, 4).join('')).not.toMatch(/[*2-9+]/);
    // A day axis: the one midnight is marked, its label does not fit before the end.
    expect(lines[4]).toMatch(/^ {9}-+\+-+$/);
  });

  test('other tiers get a row of their own', () => {
    const newestOnly = simulateRetention({
      days: 5,
      everyMinutes: 24 * 60,
      policy: { ...policy, scheduled: { daily: 0, weekly: 0, monthly: 0 } },
      start: new Date('2026-11-21T01:30Z'),
    });
    const text = renderRetentionTimeline(newestOnly, { width: 60, now });
    expect(text).toMatch(/^newest +-+\*$/m);
    expect(text).toContain('0 daily, 0 weekly, 0 monthly, 1 newest kept (1), 4 deleted');
  });
});
