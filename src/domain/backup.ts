import type { PartKind } from './part-kind.ts';
export type BackupStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export type Trigger = 'scheduled' | 'on-demand';

export type RestoreStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface BackupPart {
  kind: PartKind;
  key: string;
  /** Size and sha256 of the plaintext (the pg_dump file, the tar). */
  sizeBytes: number;
  sha256: string;
  /** Size and sha256 of the stored, encrypted object. */
  storedSizeBytes: number;
  storedSha256: string;
  /** A database part's tables kept without their rows (`excludeTableData`), as `schema.table`; absent when none. */
  tablesWithoutRows?: string[];
  /** A database part's tables (`schema.table`) and their exact row counts as of the dump's snapshot. */
  tableRows?: Record<string, number>;
}

export interface Backup {
  id: string;
  app: string;
  env: string;
  trigger: Trigger;
  status: BackupStatus;
  parts: string;
  note: string | null;
  requestedBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  error: string | null;
  pinned: boolean;
  toolVersion: string;
  /** The application's code version when the backup ran (a commit, a release), where the environment says how. */
  codeVersion: string | null;
  verifiedAt: Date | null;
  verifyError: string | null;
  /** When a drill last restored this backup and every check passed; null if none did yet. */
  provenAt: Date | null;
  /** How long that drill took. */
  proofSeconds: number | null;
  /** What the newest drill of this backup found wrong; null when it passed or none ran. */
  proofError: string | null;
  /** For a scheduled backup, the scheduled time it was taken for. */
  slot: Date | null;
  storedParts: BackupPart[];
}

export interface Restore {
  id: string;
  backupId: string;
  parts: string;
  destApp: string;
  destEnv: string;
  status: RestoreStatus;
  safetyBackup: boolean;
  safetyBackupId: string | null;
  requestedBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  error: string | null;
}

export type NewBackup = Pick<Backup, 'app' | 'env' | 'trigger' | 'parts' | 'note' | 'requestedBy'>;

export type NewRestore = Pick<Restore, 'backupId' | 'parts' | 'destApp' | 'destEnv' | 'requestedBy' | 'safetyBackup'>;
