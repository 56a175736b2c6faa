export type { RetentionPolicy } from '../domain/retention-policy.ts';
export { parseRetentionPolicy } from './parse-retention-policy.ts';
export { planRetention } from './plan-retention.ts';
export { renderRetentionTimeline } from './render-retention-timeline.ts';
export type { RetentionCandidate } from './retention-candidate.ts';
export type { RetentionDecision, RetentionTier } from './retention-decision.ts';
export { defaultRetentionPolicy } from './retention-policy.ts';
export { type RetentionSimulation, type SimulatedBackup, simulateRetention } from './simulate-retention.ts';
export { ZoneCalendar } from './zone-calendar.ts';
