export type RestoreRequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';

/** A restore into a protected target, waiting for a second person's approval. */
export interface RestoreRequest {
  id: string;
  backupId: string;
  parts: string;
  destApp: string;
  destEnv: string;
  safetyBackup: boolean;
  requestedBy: string;
  status: RestoreRequestStatus;
  createdAt: Date;
  expiresAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  restoreId: string | null;
  /** Where its cards were posted (adapter references), so every copy can be updated. */
  cards: string[];
  /** What its cards last showed: a status, or `restore-succeeded` / `restore-failed` once an approved one ran. */
  cardsShown: string;
}

export type NewRestoreRequest = Pick<
  RestoreRequest,
  'backupId' | 'parts' | 'destApp' | 'destEnv' | 'safetyBackup' | 'requestedBy' | 'expiresAt'
> & {
  /** True when the surface that opened it posts no card of its own: chat posts its cards to the bound channels. */
  postCards: boolean;
};
