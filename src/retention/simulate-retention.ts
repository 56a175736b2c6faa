import { BackstopError } from '../domain/backstop-error.ts';
import type { RetentionPolicy } from '../domain/retention-policy.ts';
import { planRetention } from './plan-retention.ts';
import type { RetentionCandidate } from './retention-candidate.ts';
import type { RetentionDecision } from './retention-decision.ts';

/** A backup the simulation ends with: when it was taken and why the policy keeps it. */
export interface SimulatedBackup {
  at: Date;
  tier: string;
  reason: string;
}

/** What a policy keeps after the simulated run (oldest first) and how many backups it deleted along the way. */
export interface RetentionSimulation {
  kept: SimulatedBackup[];
  deleted: number;
}

const minuteMs = 60_000;

/**
 * Runs a schedule through a policy: a completed scheduled backup every `everyMinutes`, the first one interval after
 * `start`, the last at or before `start` + `days`. After each backup it prunes as production does: planRetention over
 * the backups still there, with `now` = the new backup's time, and whatever it says to delete is gone for the next
 * round. That order matters: a backup deleted early can no longer be picked later (the 1st of a month is pruned as a
 * non-weekly before it could become that month's monthly), so the result can differ from one plan over the whole run.
 */
export function simulateRetention(options: {
  days: number;
  everyMinutes: number;
  policy: RetentionPolicy;
  start: Date;
}): RetentionSimulation {
  const { days, everyMinutes, policy, start } = options;
  if (!(days > 0 && everyMinutes > 0))
    throw new BackstopError('bad-simulation', `days (${days}) and everyMinutes (${everyMinutes}) must be positive`);
  const end = start.getTime() + days * 24 * 60 * minuteMs;
  let survivors: RetentionCandidate[] = [];
  let decisions: RetentionDecision[] = [];
  let deleted = 0;
  for (let n = 1; start.getTime() + n * everyMinutes * minuteMs <= end; n++) {
    const at = new Date(start.getTime() + n * everyMinutes * minuteMs);
    survivors.push({ id: String(n), trigger: 'scheduled', status: 'completed', createdAt: at, pinned: false });
    const plan = planRetention(survivors, policy, at);
    survivors = survivors.filter((_, index) => plan[index]!.keep);
    decisions = plan.filter((decision) => decision.keep);
    deleted += plan.length - decisions.length;
  }
  return {
    kept: survivors.map((backup, index) => ({
      at: backup.createdAt,
      tier: decisions[index]!.tier!,
      reason: decisions[index]!.reason,
    })),
    deleted,
  };
}
