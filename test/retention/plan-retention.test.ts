import { describe, expect, test } from 'vitest';
import {
  defaultRetentionPolicy,
  planRetention,
  type RetentionCandidate,
  type RetentionDecision,
  type RetentionPolicy,
} from '../../src/retention/index.ts';
import { candidate, series } from './candidate.ts';
import { expectGoldenDecisions } from './golden.ts';

const zurich: RetentionPolicy = { ...defaultRetentionPolicy, timezone: 'Europe/Zurich' };
const utc: RetentionPolicy = { ...defaultRetentionPolicy, timezone: 'UTC' };

function decide(backups: RetentionCandidate[], policy: RetentionPolicy, now: string): Map<string, RetentionDecision> {
  return new Map(planRetention(backups, policy, new Date(now)).map((decision) => [decision.id, decision]));
}

function kept(decisions: Map<string, RetentionDecision>): string[] {
  return [...decisions.values()].filter((decision) => decision.keep).map((decision) => decision.reason);
}

describe('planRetention, scheduled backups', () => {
  test('several backups on one day: the newest of the day is its daily, the others of the newest days go', () => {
    const backups = series('2026-11-17T00:00Z', '2026-11-26T18:00Z', 6);
    const decisions = decide(backups, utc, '2026-11-26T19:00Z');
    expect(decisions.get('2026-11-26T18:00Z')).toEqual({
      id: '2026-11-26T18:00Z',
      keep: true,
      tier: 'daily',
      reason: 'daily 2026-11-26',
    });
    expect(decisions.get('2026-11-26T12:00Z')).toEqual({
      id: '2026-11-26T12:00Z',
      keep: false,
      reason: 'scheduled, not the newest of its day (2026-11-26)',
    });
    // Older than the oldest daily (2026-11-20 18:00): the oldest of ISO week 47 (Mon 16 to Sun 22) is kept.
    expect(decisions.get('2026-11-17T00:00Z')?.reason).toBe('weekly 2026-W47');
    expect(decisions.get('2026-11-20T12:00Z')?.reason).toBe('scheduled, not the oldest of its week (2026-W47)');
    expect(kept(decisions)).toEqual([
      'weekly 2026-W47',
      'daily 2026-11-20',
      'daily 2026-11-21',
      'daily 2026-11-22',
      'daily 2026-11-23',
      'daily 2026-11-24',
      'daily 2026-11-25',
      'daily 2026-11-26',
    ]);
    expectGoldenDecisions('several-per-day', [...decisions.values()]);
  });

  test('a year of daily backups planned at once keeps 7 daily, 4 weekly and 12 monthly, each the 1st of its month', () => {
    const backups = series('2025-10-20T01:00Z', '2026-11-26T01:00Z', 24);
    const decisions = decide(backups, zurich, '2026-11-26T02:00Z');
    const reasons = kept(decisions);
    expect(reasons).toHaveLength(23);
    expect(reasons.filter((reason) => reason.startsWith('daily'))).toHaveLength(7);
    expect(reasons.filter((reason) => reason.startsWith('weekly'))).toEqual([
      'weekly 2026-W44',
      'weekly 2026-W45',
      'weekly 2026-W46',
      'weekly 2026-W47',
    ]);
    // Planned at once, nothing was pruned before, so each month's oldest backup is its 1st.
    expect(decisions.get('2026-10-01T01:00Z')?.reason).toBe('monthly 2026-10');
    expect(decisions.get('2025-12-01T01:00Z')?.reason).toBe('monthly 2025-12');
    expect(decisions.get('2025-11-01T01:00Z')?.reason).toBe('monthly 2025-11');
    expect(decisions.get('2025-11-30T01:00Z')?.reason).toBe('scheduled, not the oldest of its month (2025-11)');
    expect(decisions.get('2025-10-31T01:00Z')?.reason).toBe(
      'scheduled, older than the policy keeps (7 daily, 4 weekly, 12 monthly)',
    );
    expectGoldenDecisions('year-of-daily', [...decisions.values()]);
  });

  test('weeks without backups are skipped, not counted, and once backups stop nothing more is deleted', () => {
    const backups = [
      ...series('2026-01-05T02:00Z', '2026-01-31T02:00Z', 24),
      // Nothing from February to mid-March: those weeks and that month are not counted.
      ...series('2026-03-16T02:00Z', '2026-03-25T02:00Z', 24),
    ];
    const decisions = decide(backups, utc, '2026-03-25T03:00Z');
    expect(kept(decisions)).toEqual([
      'monthly 2026-01',
      'weekly 2026-W03',
      'weekly 2026-W04',
      'weekly 2026-W05',
      'weekly 2026-W12',
      'daily 2026-03-19',
      'daily 2026-03-20',
      'daily 2026-03-21',
      'daily 2026-03-22',
      'daily 2026-03-23',
      'daily 2026-03-24',
      'daily 2026-03-25',
    ]);
    expect(decisions.get('2026-01-05T02:00Z')?.reason).toBe('monthly 2026-01');
    expect(decisions.get('2026-01-06T02:00Z')?.reason).toBe('scheduled, not the oldest of its month (2026-01)');
    const longAfter = decide(backups, utc, '2027-03-25T03:00Z');
    expect(longAfter).toEqual(decisions);
    expectGoldenDecisions('gap-of-weeks', [...decisions.values()]);
  });

  test('days follow the zone: 23:30 UTC is already the next day in Zurich', () => {
    const backups = [candidate('2026-11-25T12:00Z'), candidate('2026-11-25T23:30Z'), candidate('2026-11-26T00:30Z')];
    expect(kept(decide(backups, zurich, '2026-11-26T06:00Z'))).toEqual(['daily 2026-11-25', 'daily 2026-11-26']);
    expect(decide(backups, zurich, '2026-11-26T06:00Z').get('2026-11-25T23:30Z')?.reason).toBe(
      'scheduled, not the newest of its day (2026-11-26)',
    );
    // In UTC, 23:30 is the newest of 25 November; 12:00 is then older than the oldest daily, so it is the oldest
    // backup of its ISO week among those, and weekly.
    expect(kept(decide(backups, utc, '2026-11-26T06:00Z'))).toEqual([
      'weekly 2026-W48',
      'daily 2026-11-25',
      'daily 2026-11-26',
    ]);
  });

  test('daylight-saving changes in Zurich: days run midnight to midnight local, 23 or 25 hours long', () => {
    const backups = [
      candidate('2026-03-28T01:30Z'), // 02:30 CET, 28 March
      candidate('2026-03-29T00:30Z'), // 01:30 CET, 29 March: clocks go from 02:00 to 03:00 that night
      candidate('2026-03-29T01:30Z'), // 03:30 CEST, 29 March (02:30 does not exist that day)
      candidate('2026-03-29T22:30Z'), // 00:30 CEST, 30 March although UTC still says 29 March
      candidate('2026-03-30T00:30Z'), // 02:30 CEST, 30 March
      candidate('2026-10-24T22:30Z'), // 00:30 CEST, 25 October
      candidate('2026-10-25T00:30Z'), // 02:30 CEST, 25 October: the first 02:30
      candidate('2026-10-25T01:30Z'), // 02:30 CET, 25 October: the second 02:30, clocks went from 03:00 to 02:00
      candidate('2026-10-25T23:30Z'), // 00:30 CET, 26 October
      candidate('2026-10-26T01:30Z'), // 02:30 CET, 26 October
    ];
    const decisions = decide(backups, zurich, '2026-10-26T06:00Z');
    expect(kept(decisions)).toEqual([
      'daily 2026-03-28',
      'daily 2026-03-29',
      'daily 2026-03-30',
      'daily 2026-10-25',
      'daily 2026-10-26',
    ]);
    expect(decisions.get('2026-03-29T01:30Z')?.reason).toBe('daily 2026-03-29');
    expect(decisions.get('2026-03-29T22:30Z')?.reason).toBe('scheduled, not the newest of its day (2026-03-30)');
    expect(decisions.get('2026-10-25T01:30Z')?.reason).toBe('daily 2026-10-25');
    expect(decisions.get('2026-10-25T00:30Z')?.reason).toBe('scheduled, not the newest of its day (2026-10-25)');
    expect(decisions.get('2026-10-24T22:30Z')?.reason).toBe('scheduled, not the newest of its day (2026-10-25)');
    expectGoldenDecisions('daylight-saving-zurich', [...decisions.values()]);
  });

  test('an ISO week across New Year belongs to the year of its Thursday: 2026-12-28..2027-01-03 is 2026-W53', () => {
    const backups = [
      ...series('2026-12-14T06:00Z', '2026-12-27T06:00Z', 24),
      // No backups on 28 to 31 December, so the oldest of 2026-W53 is on 1 January 2027.
      ...series('2027-01-01T06:00Z', '2027-01-20T06:00Z', 24),
    ];
    const decisions = decide(backups, utc, '2027-01-20T07:00Z');
    expect(decisions.get('2027-01-01T06:00Z')?.reason).toBe('weekly 2026-W53');
    expect(decisions.get('2027-01-04T06:00Z')?.reason).toBe('weekly 2027-W01');
    expect(decisions.get('2027-01-11T06:00Z')?.reason).toBe('weekly 2027-W02');
    expect(decisions.get('2026-12-21T06:00Z')?.reason).toBe('weekly 2026-W52');
    expect(decisions.get('2026-12-14T06:00Z')?.reason).toBe('monthly 2026-12');
    expectGoldenDecisions('new-year-week', [...decisions.values()]);
  });

  test('policy counts of 0 switch a tier off; the newest completed backup is still kept', () => {
    const backups = series('2026-11-01T02:00Z', '2026-11-26T02:00Z', 24);
    const none: RetentionPolicy = { ...utc, scheduled: { daily: 0, weekly: 0, monthly: 0 } };
    expect(kept(decide(backups, none, '2026-11-26T03:00Z'))).toEqual(['newest completed backup of the target']);
    const weeklyOnly: RetentionPolicy = { ...utc, scheduled: { daily: 0, weekly: 2, monthly: 0 } };
    expect(kept(decide(backups, weeklyOnly, '2026-11-26T03:00Z'))).toEqual([
      'weekly 2026-W47',
      'weekly 2026-W48',
      'newest completed backup of the target',
    ]);
  });
});

describe('planRetention, on-demand, pinned, failed and running backups', () => {
  const now = '2026-11-26T12:00Z';
  const backups = [
    candidate('2026-11-25T12:00Z', { trigger: 'on-demand' }),
    candidate('2026-09-01T12:00Z', { trigger: 'on-demand' }), // old, but one of the 3 newest on-demand
    candidate('2026-11-26T11:00Z', { trigger: 'on-demand', status: 'failed' }), // failed and running ones do not count
    candidate('2026-08-01T12:00Z', { trigger: 'on-demand' }),
    candidate('2026-07-01T12:00Z', { trigger: 'on-demand' }),
    candidate('2026-06-01T12:00Z', { trigger: 'on-demand', pinned: true }),
    candidate('2026-11-26T11:30Z', { trigger: 'on-demand', status: 'running' }),
    candidate('2026-11-26T11:45Z', { status: 'queued' }),
    candidate('2026-11-20T02:00Z', { status: 'failed' }),
    candidate('2026-11-18T02:00Z', { status: 'failed' }),
    candidate('2026-10-01T02:00Z', { status: 'failed', pinned: true }),
    candidate('2026-11-26T02:00Z'),
    candidate('2026-11-26T01:00Z', { pinned: true }), // not the newest of its day, but pinned
  ];

  test('each gets the reason a person reads in list', () => {
    const decisions = planRetention(backups, utc, new Date(now));
    expect(decisions.map(({ id, keep, reason }) => [id, keep, reason])).toEqual([
      ['on-demand 2026-11-25T12:00Z', true, 'one of 3 newest'],
      ['on-demand 2026-09-01T12:00Z', true, 'one of 3 newest'],
      ['on-demand failed 2026-11-26T11:00Z', true, 'failed, kept for 7 days'],
      ['on-demand 2026-08-01T12:00Z', true, 'one of 3 newest'],
      ['on-demand 2026-07-01T12:00Z', false, 'on-demand, older than 30 days and not among the 3 newest'],
      ['on-demand pinned 2026-06-01T12:00Z', true, 'pinned'],
      ['on-demand running 2026-11-26T11:30Z', true, 'in progress'],
      ['queued 2026-11-26T11:45Z', true, 'in progress'],
      ['failed 2026-11-20T02:00Z', true, 'failed, kept for 7 days'],
      ['failed 2026-11-18T02:00Z', false, 'failed more than 7 days ago'],
      ['failed pinned 2026-10-01T02:00Z', true, 'pinned'],
      ['2026-11-26T02:00Z', true, 'daily 2026-11-26'],
      ['pinned 2026-11-26T01:00Z', true, 'pinned'],
    ]);
    expectGoldenDecisions('on-demand-pinned-failed', decisions);
  });

  test('on-demand backups beyond the newest are kept while at most maxAgeDays old', () => {
    const recent = [
      candidate('2026-11-26T10:00Z', { trigger: 'on-demand' }),
      candidate('2026-11-25T10:00Z', { trigger: 'on-demand' }),
      candidate('2026-11-24T10:00Z', { trigger: 'on-demand' }),
      candidate('2026-10-27T12:00Z', { trigger: 'on-demand' }), // exactly 30 days old
      candidate('2026-10-27T11:59Z', { trigger: 'on-demand' }), // one minute more
    ];
    expect(kept(decide(recent, utc, now))).toEqual([
      'one of 3 newest',
      'one of 3 newest',
      'one of 3 newest',
      'within 30 days',
    ]);
    const one: RetentionPolicy = { ...utc, onDemand: { keepLast: 1, maxAgeDays: 0 } };
    expect(kept(decide(recent, one, now))).toEqual(['the newest']);
  });

  test('a failed backup is deleted once more than 7 days old, to the millisecond', () => {
    const failed = [candidate('2026-11-19T12:00Z', { status: 'failed' })];
    expect(kept(decide(failed, utc, '2026-11-26T12:00Z'))).toEqual(['failed, kept for 7 days']);
    expect(kept(decide(failed, utc, '2026-11-26T12:00:00.001Z'))).toEqual([]);
  });

  test('the newest completed backup is kept even when its policy keeps nothing', () => {
    const onDemandOnly = [
      candidate('2026-01-01T00:00Z', { trigger: 'on-demand' }),
      candidate('2026-02-01T00:00Z', { trigger: 'on-demand' }),
      candidate('2026-03-01T00:00Z', { trigger: 'on-demand', status: 'failed' }),
    ];
    const keepNone: RetentionPolicy = { ...utc, onDemand: { keepLast: 0, maxAgeDays: 0 } };
    expect(planRetention(onDemandOnly, keepNone, new Date(now))).toEqual([
      {
        id: 'on-demand 2026-01-01T00:00Z',
        keep: false,
        reason: 'on-demand, older than 0 days and not among the 0 newest',
      },
      {
        id: 'on-demand 2026-02-01T00:00Z',
        keep: true,
        tier: 'newest',
        reason: 'newest completed backup of the target',
      },
      { id: 'on-demand failed 2026-03-01T00:00Z', keep: false, reason: 'failed more than 7 days ago' },
    ]);
  });

  test('backups created at the same instant are ordered by id, whatever the input order', () => {
    const twins = [candidate('2026-11-26T02:00Z', { id: 'a' }), candidate('2026-11-26T02:00Z', { id: 'b' })];
    const forward = planRetention(twins, utc, new Date(now));
    const backward = planRetention([...twins].reverse(), utc, new Date(now));
    // b counts as the newer one: it is the daily, and a, older than the oldest daily, the weekly.
    expect(forward.map((decision) => [decision.id, decision.reason])).toEqual([
      ['a', 'weekly 2026-W48'],
      ['b', 'daily 2026-11-26'],
    ]);
    expect([...backward].reverse()).toEqual(forward);
  });

  test('an unknown time zone and an invalid date are refused with a coded error', () => {
    const backup = [candidate('2026-11-26T02:00Z')];
    expect(() => planRetention(backup, { ...utc, timezone: 'Europe/Zurch' }, new Date(now))).toThrow(
      expect.objectContaining({ code: 'bad-timezone', message: expect.stringContaining("'Europe/Zurch'") }),
    );
    expect(() => planRetention([candidate('not a date')], utc, new Date(now))).toThrow(
      expect.objectContaining({ code: 'bad-backup' }),
    );
  });
});
