import type { RetentionCandidate, RetentionPolicy } from '../../src/retention/index.ts';

/**
 * The retention rules of DESIGN.md for completed backups, transcribed as plainly as possible (lists, includes, Intl
 * asked for every backup, the textbook ISO week) to check the fast planRetention against. Returns the reason each
 * backup is kept for by its trigger's policy; backups it would delete are absent. Pinning and the newest-backup rule
 * are left to the caller.
 */
export function referencePlan(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: Date,
): Map<string, string> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: policy.timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const local = (backup: RetentionCandidate) => {
    const parts = format.formatToParts(backup.createdAt);
    const value = (type: string) => parts.find((part) => part.type === type)!.value;
    return { year: value('year'), month: value('month'), day: value('day') };
  };
  const day = (backup: RetentionCandidate) => {
    const { year, month, day } = local(backup);
    return `${year}-${month}-${day}`;
  };
  const month = (backup: RetentionCandidate) => day(backup).slice(0, 7);
  const isoWeek = (backup: RetentionCandidate) => {
    const { year, month, day } = local(backup);
    const thursday = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
    const first = Date.UTC(thursday.getUTCFullYear(), 0, 1);
    const week = Math.floor((thursday.getTime() - first) / 86_400_000 / 7) + 1;
    return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
  };

  const kept = new Map<string, string>();
  const newestFirst = backups
    .filter((backup) => backup.status === 'completed')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.id > a.id ? 1 : -1));

  let rest = newestFirst.filter((backup) => backup.trigger === 'scheduled');
  const tiers = [
    { name: 'daily', periodOf: day, pick: 'newest', count: policy.scheduled.daily },
    { name: 'weekly', periodOf: isoWeek, pick: 'oldest', count: policy.scheduled.weekly },
    { name: 'monthly', periodOf: month, pick: 'oldest', count: policy.scheduled.monthly },
  ];
  for (const tier of tiers) {
    const periods: string[] = [];
    for (const backup of rest) if (!periods.includes(tier.periodOf(backup))) periods.push(tier.periodOf(backup));
    const chosen = periods.slice(0, tier.count).map((period) => {
      const members = rest.filter((backup) => tier.periodOf(backup) === period);
      return tier.pick === 'newest' ? members[0]! : members[members.length - 1]!;
    });
    for (const backup of chosen) kept.set(backup.id, `${tier.name} ${tier.periodOf(backup)}`);
    // The next tier looks only at backups older than the oldest this one kept.
    if (chosen.length > 0) rest = rest.slice(Math.max(...chosen.map((backup) => rest.indexOf(backup))) + 1);
  }

  const { keepLast, maxAgeDays } = policy.onDemand;
  newestFirst
    .filter((backup) => backup.trigger === 'on-demand')
    .forEach((backup, index) => {
      if (index < keepLast) kept.set(backup.id, keepLast === 1 ? 'the newest' : `one of ${keepLast} newest`);
      else if (now.getTime() - backup.createdAt.getTime() <= maxAgeDays * 86_400_000)
        kept.set(backup.id, `within ${maxAgeDays} days`);
    });
  return kept;
}
