import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { UpdateThrottle, type UpdateThrottleOptions } from '../../commands/chat/update-throttle.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** A send that records what went out and when (on `performance.now`), and how many sends overlapped. */
function recordingSend(sendMs = 0) {
  const sent: Array<{ value: number; at: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (value: number) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (sendMs > 0) await sleep(sendMs);
    sent.push({ value, at: performance.now() });
    inFlight -= 1;
  };
  return { sent, send, maxInFlight: () => maxInFlight };
}

/** For sends that never fail: an error here fails the run (as an unhandled rejection). */
const noErrors = (error: unknown) => {
  throw error;
};

const clocks: Array<{ clock: string; now: UpdateThrottleOptions['now'] }> = [
  { clock: 'the default clock', now: undefined },
  { clock: 'an injected clock', now: Date.now },
];

describe('UpdateThrottle', () => {
  it.each(clocks)(
    'sends the first value at once, drops superseded ones, sends the newest after the interval (on $clock)',
    async ({ now }) => {
      const { sent, send } = recordingSend();
      const throttle = new UpdateThrottle(send, { intervalMs: 200, ...(now && { now }), onError: noErrors });
      const start = performance.now();
      const pushed = Array.from({ length: 10 }, (_, i) => throttle.push(i));
      await Promise.all(pushed);
      expect(sent.map((s) => s.value)).toEqual([0, 9]);
      expect(sent[1]!.at - start).toBeGreaterThanOrEqual(190);
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(190);
    },
  );

  it.each([
    { sendMs: 30, intervalMs: 10, values: 20, everyMs: 5 },
    { sendMs: 60, intervalMs: 10, values: 10, everyMs: 15 },
  ])(
    'never overlaps or reorders sends, however slow they are (send $sendMs ms, a value every $everyMs ms)',
    async ({ sendMs, intervalMs, values: count, everyMs }) => {
      const { sent, send, maxInFlight } = recordingSend(sendMs);
      const throttle = new UpdateThrottle(send, { intervalMs, onError: noErrors });
      for (let i = 1; i <= count; i += 1) {
        void throttle.push(i);
        await sleep(everyMs);
      }
      await throttle.finish();
      const values = sent.map((s) => s.value);
      expect(maxInFlight()).toBe(1);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values.at(-1)).toBe(count);
    },
  );

  it('discard drops the value waiting at once and waits only for the send under way', async () => {
    let release!: () => void;
    const sent: number[] = [];
    const send = async (value: number) => {
      if (value === 1) await new Promise<void>((resolve) => (release = resolve));
      sent.push(value);
    };
    const throttle = new UpdateThrottle(send, { intervalMs: 60_000, onError: noErrors });
    const first = throttle.push(1); // goes out at once and is held by the send
    const waiting = throttle.push(2); // waits for an interval of a minute
    let discarded = false;
    const discarding = throttle.discard().then(() => {
      discarded = true;
    });
    await waiting; // resolved by the discard, never sent
    expect(discarded).toBe(false); // the first send is still under way
    release();
    await Promise.all([first, discarding]);
    expect(sent).toEqual([1]);
    void throttle.push(3); // later values still go out
    await throttle.flush();
    expect(sent).toEqual([1, 3]);
  });

  it('resolves a replaced push once the value that replaced it is sent', async () => {
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: 50, onError: noErrors });
    await throttle.push(1);
    const replaced = throttle.push(2);
    void throttle.push(3);
    await replaced;
    expect(sent.map((s) => s.value)).toEqual([1, 3]);
  });

  it('lets the last value wait for its turn on finish, then resolves', async () => {
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: 150, now: Date.now, onError: noErrors });
    await throttle.push(1);
    const start = Date.now();
    void throttle.push(2);
    await throttle.finish();
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('finish resolves at once when nothing waits', async () => {
    await new UpdateThrottle(async () => {}, { intervalMs: 1000, onError: noErrors }).finish();
  });

  it('with an infinite interval sends the first value, then the newest only on finish', async () => {
    // Fake timers, so that whatever the throttle set to run later can be run to the end at once.
    vi.useFakeTimers();
    try {
      const { sent, send } = recordingSend();
      const throttle = new UpdateThrottle(send, {
        intervalMs: Number.POSITIVE_INFINITY,
        now: Date.now,
        onError: noErrors,
      });
      await throttle.push(1);
      void throttle.push(2);
      void throttle.push(3);
      // Every timer it set has fired (a timeout of Infinity would fire after 1 ms): still only the first went out.
      await vi.runAllTimersAsync();
      expect(sent.map((s) => s.value)).toEqual([1]);
      await throttle.finish();
      expect(sent.map((s) => s.value)).toEqual([1, 3]);
      await throttle.push(4);
      expect(sent.map((s) => s.value)).toEqual([1, 3, 4]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush sends a waiting value without waiting for the interval, and later ones too', async () => {
    // The clock stands still, so only `flush` (or the 60 s timer, far past the test's timeout) can let 2 go.
    const clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, {
      intervalMs: 60_000,
      now: () => clock.now().getTime(),
      onError: noErrors,
    });
    await throttle.push(1);
    void throttle.push(2);
    expect(sent.map((s) => s.value)).toEqual([1]);
    await throttle.flush();
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
    await throttle.push(3);
    expect(sent.map((s) => s.value)).toEqual([1, 2, 3]);
  });

  it('flush sends the value an infinite interval holds', async () => {
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: Number.POSITIVE_INFINITY, onError: noErrors });
    await throttle.push(1);
    void throttle.push(2);
    await throttle.flush();
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
  });

  it('does not hold a value forever when the injected clock stands still', async () => {
    const clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: 50, now: () => clock.now().getTime(), onError: noErrors });
    await throttle.push(1);
    await throttle.push(2);
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
  });

  it('reports a failed send and goes on with the next; push does not reject', async () => {
    const errors: unknown[] = [];
    const sent: number[] = [];
    const throttle = new UpdateThrottle(
      async (value: number) => {
        if (value === 1) throw new Error('chat.update failed');
        sent.push(value);
      },
      { intervalMs: 0, onError: (error) => errors.push(error) },
    );
    await expect(throttle.push(1)).resolves.toBeUndefined();
    await throttle.push(2);
    expect(sent).toEqual([2]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('chat.update failed');
  });

  it('reports a send that throws before returning a promise', async () => {
    const errors: unknown[] = [];
    const throttle = new UpdateThrottle<number>(
      (value) => {
        if (value === 1) throw new Error('sync');
        return Promise.resolve();
      },
      { intervalMs: 0, onError: (error) => errors.push(error) },
    );
    await throttle.push(1);
    await throttle.finish();
    expect(errors).toHaveLength(1);
  });
});
