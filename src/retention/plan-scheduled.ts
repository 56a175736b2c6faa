import type { RetentionPolicy } from '../domain/retention-policy.ts';
import { type PeriodUnit, periodKey, periodLabel } from './calendar-period.ts';
import type { RetentionVerdict } from './retention-decision.ts';
import { ZoneCalendar } from './zone-calendar.ts';

interface Tier {
  tier: 'daily' | 'weekly' | 'monthly';
  unit: PeriodUnit;
  count: number;
  /** Which backup of a period the tier keeps. */
  pick: 'newest' | 'oldest';
}

/**
 * Grandfather-father-son over the completed scheduled backups of one target, given newest first (`times` in ms).
 * Returns a verdict per backup, aligned with `times` (deletions may share one verdict object: copy, never mutate).
 *
 * Each tier looks only at the backups older than the oldest one the tier before it kept, so every kept backup has one
 * label: daily keeps the newest backup of each of the newest `daily` days; weekly, among the older ones, the oldest
 * of each of the newest `weekly` ISO weeks; monthly, among the ones older still, the oldest of each of the newest
 * `monthly` months. Weekly and monthly keep the *oldest* of a period so that pruning after every backup is stable:
 * the first backup of a week to leave the daily tier becomes its weekly and stays it, later ones of that week go.
 * Periods are counted only when they hold a backup, so when backups stop, nothing more is deleted. The clock plays no
 * part: the same backups always get the same verdicts.
 */
export function planScheduled(times: readonly number[], policy: RetentionPolicy): RetentionVerdict[] {
  const calendar = ZoneCalendar.of(policy.timezone);
  const days = times.map((ms) => calendar.dayNumberOf(ms));
  const verdicts: RetentionVerdict[] = new Array(times.length);
  const { daily, weekly, monthly } = policy.scheduled;
  const tiers: Tier[] = [
    { tier: 'daily', unit: 'day', count: daily, pick: 'newest' },
    { tier: 'weekly', unit: 'week', count: weekly, pick: 'oldest' },
    { tier: 'monthly', unit: 'month', count: monthly, pick: 'oldest' },
  ];
  let from = 0;
  for (const tier of tiers) {
    const keys = days.map((day) => periodKey(tier.unit, day));
    const chosen = choose(keys, from, tier);
    let oldestChosen = from - 1;
    for (const [position, key] of chosen) {
      verdicts[position] = { keep: true, tier: tier.tier, reason: `${tier.tier} ${periodLabel(tier.unit, key)}` };
      oldestChosen = Math.max(oldestChosen, position);
    }
    // Many backups share a period, and formatting its label is the slowest step: one verdict per period, shared.
    const passedOver = new Map<number, RetentionVerdict>();
    for (let position = from; position <= oldestChosen; position++) {
      if (verdicts[position] !== undefined) continue;
      const key = keys[position]!;
      let verdict = passedOver.get(key);
      if (verdict === undefined) {
        const reason = `scheduled, not the ${tier.pick} of its ${tier.unit} (${periodLabel(tier.unit, key)})`;
        verdict = { keep: false, reason };
        passedOver.set(key, verdict);
      }
      verdicts[position] = verdict;
    }
    from = oldestChosen + 1;
  }
  const beyond: RetentionVerdict = {
    keep: false,
    reason: `scheduled, older than the policy keeps (${daily} daily, ${weekly} weekly, ${monthly} monthly)`,
  };
  verdicts.fill(beyond, from);
  return verdicts;
}

/**
 * The backup a tier keeps in each of its newest `count` periods, as position -> period key, among the positions from
 * `from` on. Grouping goes through a map rather than assuming a period's backups are adjacent, because local dates are
 * not monotonic in time where a zone turns its clocks back across midnight.
 */
function choose(keys: readonly number[], from: number, tier: Tier): Map<number, number> {
  const byPeriod = new Map<number, number>();
  for (let position = from; position < keys.length; position++) {
    const key = keys[position]!;
    // Newest first: the first backup seen of a period is its newest, the last one its oldest.
    if (tier.pick === 'oldest' || !byPeriod.has(key)) byPeriod.set(key, position);
  }
  const newestPeriods = [...byPeriod.keys()].sort((a, b) => b - a).slice(0, Math.max(0, tier.count));
  return new Map(newestPeriods.map((key) => [byPeriod.get(key)!, key]));
}
