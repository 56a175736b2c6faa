import { expect, test } from 'vitest';
import { waitAtMost } from '../../commands/chat/wait-at-most.ts';

test('waitAtMost returns when the work ends, or when the time is up if it never does, and never rejects', async () => {
  let ended = false;
  await waitAtMost(
    new Promise((resolve) => setTimeout(resolve, 5)).then(() => {
      ended = true;
    }),
    60_000,
  );
  expect(ended).toBe(true);
  const started = Date.now();
  await waitAtMost(new Promise(() => undefined), 20);
  expect(Date.now() - started).toBeLessThan(5_000);
  await expect(waitAtMost(Promise.reject(new Error('chat down')), 1_000)).resolves.toBeUndefined();
});
