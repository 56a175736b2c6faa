import type { RetentionPolicy } from '../domain/retention-policy.ts';
import type { RetentionVerdict } from './retention-decision.ts';

const dayMs = 86_400_000;

/**
 * The completed on-demand backups of one target, given newest first (`times` in ms): the `keepLast` newest are kept
 * however old, the others while at most `maxAgeDays` (of 24 hours) old at `now`. Returns verdicts aligned with `times`.
 */
export function planOnDemand(times: readonly number[], policy: RetentionPolicy, now: Date): RetentionVerdict[] {
  const { keepLast, maxAgeDays } = policy.onDemand;
  const newest = keepLast === 1 ? 'the newest' : `one of ${keepLast} newest`;
  return times.map((ms, position): RetentionVerdict => {
    if (position < keepLast) return { keep: true, tier: 'keep-last', reason: newest };
    if (now.getTime() - ms <= maxAgeDays * dayMs)
      return { keep: true, tier: 'max-age', reason: `within ${maxAgeDays} days` };
    return { keep: false, reason: `on-demand, older than ${maxAgeDays} days and not among the ${keepLast} newest` };
  });
}
