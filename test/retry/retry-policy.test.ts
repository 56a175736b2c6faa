import { describe, expect, test } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { defaultRetryPolicy, withRetries } from '../../src/retry/retry-policy.ts';
import { fakeRetryTools } from '../support/fake-retry-tools.ts';

const transient = () => new BackstopError('storage-failed', 'connection reset', { retryable: true });
const permanent = () => new BackstopError('not-found', 'no such object');

describe('withRetries', () => {
  test('tries a transient failure again after growing, jittered waits, then succeeds', async () => {
    const tools = fakeRetryTools();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls <= 3) throw transient();
        return 'done';
      },
      { tools },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    // random() = 0.5 takes each step at three quarters: 500, 1000, 2000 ms steps.
    expect(tools.waits).toEqual([375, 750, 1500]);
  });

  test('a permanent failure is thrown at once', async () => {
    const tools = fakeRetryTools();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw permanent();
        },
        { tools },
      ),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect(calls).toBe(1);
    expect(tools.waits).toEqual([]);
  });

  test('by default it keeps trying for at least 60 s, bounded, before giving up with the last error', async () => {
    const tools = fakeRetryTools();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw transient();
        },
        { tools },
      ),
    ).rejects.toMatchObject({ code: 'storage-failed', retryable: true });
    expect(tools.elapsedMs()).toBeGreaterThanOrEqual(60_000);
    expect(tools.elapsedMs()).toBeLessThanOrEqual(defaultRetryPolicy.budgetMs);
    expect(Math.max(...tools.waits)).toBeLessThanOrEqual(defaultRetryPolicy.maxDelayMs);
    expect(calls).toBe(tools.waits.length + 1);
  });

  test('waits are jittered between half and all of each step', async () => {
    const low = fakeRetryTools();
    low.random = () => 0;
    const high = fakeRetryTools();
    high.random = () => 0.999999;
    const failTwice = () => {
      let calls = 0;
      return async () => {
        calls += 1;
        if (calls <= 2) throw transient();
      };
    };
    await withRetries(failTwice(), { tools: low });
    await withRetries(failTwice(), { tools: high });
    expect(low.waits).toEqual([250, 500]);
    expect(high.waits).toEqual([500, 1000]);
  });

  test('an aborted signal stops the retrying', async () => {
    const tools = fakeRetryTools();
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          controller.abort();
          throw transient();
        },
        { tools, signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'storage-failed' });
    expect(calls).toBe(1);
  });
});
