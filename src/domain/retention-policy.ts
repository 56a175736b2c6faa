/**
 * How many backups of one target to keep. On-demand backups: the `keepLast` newest completed ones always, the others
 * while younger than `maxAgeDays`. Scheduled backups: grandfather-father-son over calendar days, ISO weeks and months
 * counted in `timezone` (the schedule's IANA zone). Counts of 0 switch a tier off.
 */
export interface RetentionPolicy {
  onDemand: { keepLast: number; maxAgeDays: number };
  scheduled: { daily: number; weekly: number; monthly: number };
  timezone: string;
}
