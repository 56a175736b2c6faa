import type { RetryTools } from '../../src/retry/retry-policy.ts';

/** Retry tools whose waits pass at once on a clock of their own, recording every wait. */
export function fakeRetryTools(): RetryTools & { waits: number[]; elapsedMs: () => number } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    elapsedMs: () => now,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}
