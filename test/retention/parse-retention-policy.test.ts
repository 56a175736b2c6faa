import { describe, expect, test } from 'vitest';
import { defaultRetentionPolicy, parseRetentionPolicy } from '../../src/retention/index.ts';

describe('parseRetentionPolicy', () => {
  test('reads the scheduled counts and takes the rest from the base policy', () => {
    expect(parseRetentionPolicy('daily=14,weekly=8,monthly=24')).toEqual({
      onDemand: { keepLast: 3, maxAgeDays: 30 },
      scheduled: { daily: 14, weekly: 8, monthly: 24 },
      timezone: 'UTC',
    });
    const base = { ...defaultRetentionPolicy, timezone: 'Europe/Zurich' };
    expect(parseRetentionPolicy(' monthly=0 , keepLast=5,daily=1,maxAgeDays=90,weekly=2', base)).toEqual({
      onDemand: { keepLast: 5, maxAgeDays: 90 },
      scheduled: { daily: 1, weekly: 2, monthly: 0 },
      timezone: 'Europe/Zurich',
    });
  });

  test.each([
    ['', 'it is empty'],
    ['daily=7,weekly=4', 'missing monthly=<n>'],
    ['keepLast=3', 'missing daily=<n>, weekly=<n>, monthly=<n>'],
    ['daily=7,,weekly=4,monthly=12', 'an empty part (a comma too many?)'],
    ['daily=7,weekly=4,monthly=12,', 'an empty part (a comma too many?)'],
    ['daily=7,weekly,monthly=12', "'weekly' is not name=number"],
    ['daily=7=8,weekly=4,monthly=12', "'daily=7=8' is not name=number"],
    ['daily=7,weekly=4,montly=12', "unknown setting 'montly' (did you mean 'monthly'?)"],
    ['daily=7,weekly=4,monthly=12,yearly=3', "unknown setting 'yearly'"],
    ['daily=7,weekly=4,monthly=12,daily=3', 'daily is given twice'],
    ['daily=-1,weekly=4,monthly=12', "'daily=-1': daily needs a whole number (0 or more)"],
    ['daily=7,weekly=4.5,monthly=12', "'weekly=4.5': weekly needs a whole number (0 or more)"],
    ['daily=7,weekly=4,monthly=', "'monthly=': monthly needs a whole number (0 or more)"],
    ['daily=99999999999999999999,weekly=4,monthly=12', 'daily needs a whole number'],
  ])('%j is refused: %s', (text, problem) => {
    expect(() => parseRetentionPolicy(text)).toThrow(
      expect.objectContaining({
        code: 'bad-policy',
        message: expect.stringContaining(problem),
        userMessage: expect.stringContaining('expected daily=7,weekly=4,monthly=12[,keepLast=3,maxAgeDays=30]'),
      }),
    );
  });
});
