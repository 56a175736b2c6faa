/**
 * Why a backup is kept: a scheduled tier, the on-demand rules (`keep-last`: one of the newest; `max-age`: young
 * enough), the target's newest completed backup, a pin, a backup still running, or a recent failure.
 */
export type RetentionTier =
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'keep-last'
  | 'max-age'
  | 'newest'
  | 'pinned'
  | 'in-progress'
  | 'failed';

/** Keep or delete one backup, with the reason `list` shows a person. `tier` is set exactly when `keep` is. */
export interface RetentionDecision {
  id: string;
  keep: boolean;
  reason: string;
  tier?: RetentionTier;
}

/** A decision before it is attached to a backup id. */
export type RetentionVerdict = Omit<RetentionDecision, 'id'>;
