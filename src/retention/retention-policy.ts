import type { RetentionPolicy } from '../domain/retention-policy.ts';

/** The defaults of DESIGN.md (Divio's): 3 / 30 days on demand, 7 daily, 4 weekly, 12 monthly, in UTC. */
export const defaultRetentionPolicy: RetentionPolicy = Object.freeze({
  onDemand: Object.freeze({ keepLast: 3, maxAgeDays: 30 }),
  scheduled: Object.freeze({ daily: 7, weekly: 4, monthly: 12 }),
  timezone: 'UTC',
});
