import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Download, DownloadFile, NewDownload } from '../domain/download.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import type { StateDb } from './state.ts';
import type { DownloadsTable } from './tables.ts';

/** The downloads in the state database. Records; the use cases in engine/ decide. */
export class DownloadBook {
  constructor(
    private readonly db: StateDb,
    private readonly newId: () => string,
  ) {}

  within(db: StateDb): DownloadBook {
    return new DownloadBook(db, this.newId);
  }

  async insert(download: NewDownload, now: Date): Promise<Download> {
    const row = await this.db
      .insertInto('downloads')
      .values({
        id: this.newId(),
        backup_id: download.backupId,
        parts: download.parts,
        status: 'queued',
        requested_by: download.requestedBy,
        email: download.email,
        created_at: now,
        files: '[]',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDownload(row);
  }

  async update(
    id: string,
    changes: Partial<Pick<Download, 'status' | 'readyAt' | 'expiresAt' | 'error' | 'files'>>,
  ): Promise<void> {
    await this.db
      .updateTable('downloads')
      .set({
        ...(changes.status !== undefined && { status: changes.status }),
        ...('readyAt' in changes && { ready_at: changes.readyAt ?? null }),
        ...('expiresAt' in changes && { expires_at: changes.expiresAt ?? null }),
        ...('error' in changes && { error: changes.error ?? null }),
        ...(changes.files !== undefined && { files: JSON.stringify(changes.files) }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The download with this id, or undefined (also for text that cannot be an id, which never reaches the database). */
  async find(id: string): Promise<Download | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('downloads').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDownload(row) : undefined;
  }

  async get(id: string): Promise<Download> {
    const download = await this.find(id);
    if (!download) {
      const message = noSuchId('download', id);
      throw new BackstopError('download-not-found', message, { userMessage: message });
    }
    return download;
  }

  /** Ready downloads whose links have expired by `now`: their objects are to be deleted. */
  async listExpired(now: Date): Promise<Download[]> {
    const rows = await this.db
      .selectFrom('downloads')
      .selectAll()
      .where('status', '=', 'ready')
      .where('expires_at', '<=', now)
      .execute();
    return rows.map(toDownload);
  }
}

function toDownload(row: Selectable<DownloadsTable>): Download {
  return {
    id: row.id,
    backupId: row.backup_id,
    parts: row.parts,
    status: row.status,
    requestedBy: row.requested_by,
    email: row.email,
    createdAt: row.created_at,
    readyAt: row.ready_at,
    expiresAt: row.expires_at,
    error: row.error,
    files: JSON.parse(row.files) as DownloadFile[],
  };
}
