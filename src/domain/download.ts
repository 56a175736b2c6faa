import type { PartKind } from './part-kind.ts';
export type DownloadStatus = 'queued' | 'running' | 'ready' | 'failed' | 'expired';

/** One plaintext file of a prepared download and the link it is fetched by. */
export interface DownloadFile {
  kind: PartKind;
  key: string;
  filename: string;
  url: string;
  sizeBytes: number;
}

/** A download: a backup's parts decrypted into plaintext objects under `downloads/<id>/`, with expiring links. */
export interface Download {
  id: string;
  backupId: string;
  parts: string;
  status: DownloadStatus;
  requestedBy: string | null;
  email: string | null;
  createdAt: Date;
  readyAt: Date | null;
  expiresAt: Date | null;
  error: string | null;
  files: DownloadFile[];
}

export type NewDownload = Pick<Download, 'backupId' | 'parts' | 'requestedBy' | 'email'>;
