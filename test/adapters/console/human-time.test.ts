import { expect, test } from 'vitest';
import { relativeTime } from '../../../adapters/console/human-time.ts';

const now = new Date('2026-12-05T21:32:19Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

test('within a day a time reads relative; a moment to come within the minute in seconds, never as "just now"', () => {
  expect(relativeTime(at(41), now)).toBe('in 41 s');
  expect(relativeTime(at(0.4), now)).toBe('just now');
  expect(relativeTime(at(-20), now)).toBe('just now');
  expect(relativeTime(at(-3 * 60), now)).toBe('3 min ago');
  expect(relativeTime(at(40 * 60), now)).toBe('in 40 min');
  expect(relativeTime(at(5 * 3600 + 10), now)).toBe('in 5 h');
  expect(relativeTime(at(-86_400), now)).toBeUndefined();
});
