import schedule from 'node-schedule';
import { expect, test } from 'vitest';
import { NodeScheduleTimers } from '../../src/jobs/node-schedule-timers.ts';

const jobCount = () => Object.keys(schedule.scheduledJobs).length;

test('an every-second cron really fires, with the scheduled time of the firing; cancel removes its job', async () => {
  const timers = new NodeScheduleTimers();
  const jobsBefore = jobCount();
  const setAt = Date.now();
  let fired!: (slot: Date) => void;
  const firstFiring = new Promise<Date>((resolve) => {
    fired = resolve;
  });
  const timer = timers.schedule('* * * * * *', 'UTC', async (slot) => fired(slot));
  expect(timer).toBeDefined();
  expect(jobCount()).toBe(jobsBefore + 1);

  // The next whole second, about a second away at most; the test's timeout is the bound.
  const slot = await firstFiring;
  const firedBy = Date.now();
  timer!.cancel();

  expect(slot.getTime() % 1000).toBe(0);
  expect(slot.getTime()).toBeGreaterThan(setAt);
  expect(slot.getTime()).toBeLessThanOrEqual(firedBy);
  expect(jobCount()).toBe(jobsBefore);
}, 10_000);
