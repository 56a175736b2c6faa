import type { BackstopConfig } from '../config/backstop-config.ts';

/** Background-work settings from the config (`workers:`), with defaults: 2 side by side, 30-second leases. */
export function workerSettings(config: BackstopConfig) {
  const workers = config.raw.workers;
  const leaseMs = (workers?.leaseSeconds ?? 30) * 1000;
  return {
    concurrency: workers?.concurrency ?? 2,
    leaseMs,
    // Often enough that progress looks live and a cancel is heard within a second or two.
    heartbeatMs: Math.min(1000, leaseMs / 3),
    pollMs: 1000,
  };
}
