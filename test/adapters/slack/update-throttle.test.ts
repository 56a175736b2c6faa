import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UpdateThrottle } from '../../../adapters/slack/update-throttle.ts';
import { ManualClock } from '../../support/manual-clock.ts';

/** A send that records what went out and when, and how many sends overlapped. */
function recordingSend(sendMs = 0) {
  const sent: Array<{ value: number; at: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (value: number) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (sendMs > 0) await sleep(sendMs);
    sent.push({ value, at: Date.now() });
    inFlight -= 1;
  };
  return { sent, send, maxInFlight: () => maxInFlight };
}

const noErrors = (error: unknown) => {
  throw error;
};

describe('UpdateThrottle', () => {
  it('sends the first value at once, drops superseded ones and sends the newest after the interval', async () => {
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: 200, now: Date.now, onError: noErrors });
    const start = Date.now();
    const pushed = Array.from({ length: 10 }, (_, i) => throttle.push(i));
    await Promise.all(pushed);
    expect(sent.map((s) => s.value)).toEqual([0, 9]);
    expect(sent[1]!.at - start).toBeGreaterThanOrEqual(190);
  });

  it('never overlaps or reorders sends, however slow they are', async () => {
    const { sent, send, maxInFlight } = recordingSend(30);
    const throttle = new UpdateThrottle(send, { intervalMs: 10, now: Date.now, onError: noErrors });
    for (let i = 0; i < 20; i += 1) {
      void throttle.push(i);
      await sleep(5);
    }
    await throttle.finish();
    const values = sent.map((s) => s.value);
    expect(maxInFlight()).toBe(1);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(19);
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

  it('with an infinite interval sends the first value, then the newest only on finish', async () => {
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, {
      intervalMs: Number.POSITIVE_INFINITY,
      now: Date.now,
      onError: noErrors,
    });
    await throttle.push(1);
    void throttle.push(2);
    void throttle.push(3);
    await sleep(50);
    expect(sent.map((s) => s.value)).toEqual([1]);
    await throttle.finish();
    expect(sent.map((s) => s.value)).toEqual([1, 3]);
  });

  it('does not hold a value forever when the injected clock stands still', async () => {
    const clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
    const { sent, send } = recordingSend();
    const throttle = new UpdateThrottle(send, { intervalMs: 50, now: () => clock.now().getTime(), onError: noErrors });
    await throttle.push(1);
    await throttle.push(2);
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
  });

  it('reports a failed send and goes on with the next', async () => {
    const errors: unknown[] = [];
    const sent: number[] = [];
    const throttle = new UpdateThrottle(
      async (value: number) => {
        if (value === 1) throw new Error('chat.update failed');
        sent.push(value);
      },
      { intervalMs: 0, now: Date.now, onError: (error) => errors.push(error) },
    );
    await throttle.push(1);
    await throttle.push(2);
    expect(sent).toEqual([2]);
    expect(errors).toHaveLength(1);
  });
});
