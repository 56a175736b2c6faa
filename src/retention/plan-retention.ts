import { BackstopError } from '../domain/backstop-error.ts';
import type { RetentionPolicy } from '../domain/retention-policy.ts';
import { planOnDemand } from './plan-on-demand.ts';
import { planScheduled } from './plan-scheduled.ts';
import type { RetentionCandidate } from './retention-candidate.ts';
import type { RetentionDecision, RetentionVerdict } from './retention-decision.ts';

const failedGraceMs = 7 * 86_400_000;

/**
 * Decides, for every backup of ONE target, whether retention keeps or deletes it and why; one decision per input
 * backup, in input order. Pure and deterministic: `now` is passed in, and the order of the input does not matter
 * (backups created at the same instant are ordered by id).
 *
 * In order of precedence: pinned backups are kept; queued and running ones are kept; failed ones are kept for 7 days
 * and count for nothing; completed ones follow their trigger's policy (planOnDemand, planScheduled); and whatever
 * those say, the target's newest completed backup is kept, so a target is never left without a restorable backup.
 * Pinned backups still take their place in the tiers, so pinning one never changes what happens to the others.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: Date,
): RetentionDecision[] {
  const times = backups.map(timeOf);
  const newestFirst = backups
    .map((_, index) => index)
    .sort((a, b) => times[b]! - times[a]! || compareIds(backups[b]!.id, backups[a]!.id) || a - b);
  const completed = (trigger: RetentionCandidate['trigger']) =>
    newestFirst.filter((index) => backups[index]!.status === 'completed' && backups[index]!.trigger === trigger);
  const scheduled = completed('scheduled');
  const onDemand = completed('on-demand');
  const verdicts: RetentionVerdict[] = new Array(backups.length);
  const place = (indices: number[], planned: RetentionVerdict[]) =>
    indices.forEach((index, position) => {
      verdicts[index] = planned[position]!;
    });
  const timesOf = (indices: number[]) => indices.map((index) => times[index]!);
  place(scheduled, planScheduled(timesOf(scheduled), policy));
  place(onDemand, planOnDemand(timesOf(onDemand), policy, now));
  const newest = newestFirst.find((index) => backups[index]!.status === 'completed');
  return backups.map((backup, index) => {
    const verdict = overriding(backup, times[index]!, now) ?? verdicts[index]!;
    return { id: backup.id, ...(index === newest && !verdict.keep ? keptAsNewest : verdict) };
  });
}

const keptAsNewest: RetentionVerdict = { keep: true, tier: 'newest', reason: 'newest completed backup of the target' };

/** The verdict that takes precedence over the trigger's policy, if any. */
function overriding(backup: RetentionCandidate, time: number, now: Date): RetentionVerdict | undefined {
  if (backup.pinned) return { keep: true, tier: 'pinned', reason: 'pinned' };
  if (backup.status === 'queued' || backup.status === 'running')
    return { keep: true, tier: 'in-progress', reason: 'in progress' };
  if (backup.status === 'failed' || backup.status === 'cancelled') {
    // Neither holds data; the row stays a week so people can see what happened to it.
    return now.getTime() - time > failedGraceMs
      ? { keep: false, reason: `${backup.status} more than 7 days ago` }
      : { keep: true, tier: 'failed', reason: `${backup.status}, kept for 7 days` };
  }
  return undefined;
}

function timeOf(backup: RetentionCandidate): number {
  const time = backup.createdAt.getTime();
  if (Number.isNaN(time)) throw new BackstopError('bad-backup', `backup ${backup.id} has an invalid createdAt`);
  return time;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
