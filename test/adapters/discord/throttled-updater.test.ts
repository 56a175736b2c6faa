import { describe, expect, test } from 'vitest';
import { ThrottledUpdater } from '../../../adapters/discord/throttled-updater.ts';
import { sleep } from './discord-fakes.ts';

function recorder(sendMs = 0) {
  const sent: Array<{ value: number; at: number }> = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const send = async (value: number) => {
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await sleep(sendMs);
    sent.push({ value, at: performance.now() });
    concurrent -= 1;
  };
  return { sent, send, maxConcurrent: () => maxConcurrent };
}

describe('ThrottledUpdater', () => {
  test('sends the first value at once, drops the ones replaced while waiting, always sends the last', async () => {
    const { sent, send } = recorder();
    const updater = new ThrottledUpdater(send, 200);
    const promises = [1, 2, 3, 4].map((v) => updater.push(v));
    await Promise.all(promises);
    expect(sent.map((s) => s.value)).toEqual([1, 4]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(190);
  });

  test('one at a time and in order, even when sending is slower than the interval', async () => {
    const { sent, send, maxConcurrent } = recorder(60);
    const updater = new ThrottledUpdater(send, 10);
    for (let v = 1; v <= 10; v += 1) {
      void updater.push(v);
      await sleep(15);
    }
    await updater.idle();
    const values = sent.map((s) => s.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(10);
    expect(maxConcurrent()).toBe(1);
  });

  test('a failing send does not stop later values', async () => {
    const sent: number[] = [];
    const updater = new ThrottledUpdater(async (v: number) => {
      if (v === 1) throw new Error('boom');
      sent.push(v);
    }, 0);
    await updater.push(1);
    await updater.push(2);
    expect(sent).toEqual([2]);
  });

  test('flush sends a waiting value without waiting for the interval', async () => {
    const { sent, send } = recorder();
    const updater = new ThrottledUpdater(send, 60_000);
    await updater.push(1);
    void updater.push(2);
    const started = performance.now();
    await updater.flush();
    // Far less than the 60 s interval (a generous bound, so a loaded machine cannot fail it).
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(sent.map((s) => s.value)).toEqual([1, 2]);
  });

  test('idle resolves at once when nothing waits', async () => {
    await new ThrottledUpdater(async () => {}, 1000).idle();
  });
});
