import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import type { NewRestoreRequest, RestoreRequest } from '../domain/restore-request.ts';
import type { StateDb } from './state.ts';
import type { RestoreRequestsTable } from './tables.ts';

/**
 * Restore requests in the state database. `decide` is the only way out of `pending`, and it is one conditional
 * update: of any number of clicks on any number of copies of a card, exactly one decides.
 */
export class RestoreRequests {
  constructor(
    private readonly db: StateDb,
    private readonly newId: () => string,
  ) {}

  within(db: StateDb): RestoreRequests {
    return new RestoreRequests(db, this.newId);
  }

  async insert(request: NewRestoreRequest, now: Date): Promise<RestoreRequest> {
    const row = await this.db
      .insertInto('restore_requests')
      .values({
        id: this.newId(),
        backup_id: request.backupId,
        parts: request.parts,
        dest_app: request.destApp,
        dest_env: request.destEnv,
        safety_backup: request.safetyBackup,
        requested_by: request.requestedBy,
        status: 'pending',
        created_at: now,
        expires_at: request.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRequest(row);
  }

  /** The request with this id, else `request-not-found` (also for text that cannot be an id: a forged button value). */
  async get(id: string): Promise<RestoreRequest> {
    const row = isWellFormedId(id)
      ? await this.db.selectFrom('restore_requests').selectAll().where('id', '=', id).executeTakeFirst()
      : undefined;
    if (!row) {
      const message = noSuchId('restore request', id);
      throw new BackstopError('request-not-found', message, { userMessage: message });
    }
    return toRequest(row);
  }

  async addCard(id: string, reference: string): Promise<void> {
    const request = await this.get(id);
    await this.db
      .updateTable('restore_requests')
      .set({ cards: JSON.stringify([...request.cards, reference]) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Moves a pending, unexpired request to `status`; undefined when it was no longer pending (someone decided first)
   * or had expired (then it is marked expired).
   */
  async decide(
    id: string,
    decision: { status: 'approved' | 'denied' | 'withdrawn'; by: string; restoreId?: string },
    now: Date,
  ): Promise<RestoreRequest | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db
      .updateTable('restore_requests')
      .set({
        status: decision.status,
        decided_by: decision.by,
        decided_at: now,
        ...(decision.restoreId !== undefined && { restore_id: decision.restoreId }),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (row) return toRequest(row);
    await this.db
      .updateTable('restore_requests')
      .set({ status: 'expired' })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .execute();
    return undefined;
  }

  /**
   * Marks every pending request whose time ran out as expired and returns them. One conditional update: with several
   * instances calling it, each request is returned to exactly one (which then says so on its cards).
   */
  async expireDue(now: Date): Promise<RestoreRequest[]> {
    const rows = await this.db
      .updateTable('restore_requests')
      .set({ status: 'expired' })
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .returningAll()
      .execute();
    return rows.map(toRequest);
  }

  async setRestore(id: string, restoreId: string): Promise<void> {
    await this.db.updateTable('restore_requests').set({ restore_id: restoreId }).where('id', '=', id).execute();
  }
}

function toRequest(row: Selectable<RestoreRequestsTable>): RestoreRequest {
  return {
    id: row.id,
    backupId: row.backup_id,
    parts: row.parts,
    destApp: row.dest_app,
    destEnv: row.dest_env,
    safetyBackup: row.safety_backup,
    requestedBy: row.requested_by,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    restoreId: row.restore_id,
    cards: JSON.parse(row.cards) as string[],
  };
}
