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
}

export type NewRestoreRequest = Pick<
  RestoreRequest,
  'backupId' | 'parts' | 'destApp' | 'destEnv' | 'safetyBackup' | 'requestedBy' | 'expiresAt'
>;
