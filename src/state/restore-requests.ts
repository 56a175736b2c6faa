import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import type { ListPosition } from '../domain/list-position.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import type { NewRestoreRequest, RestoreRequest, RestoreRequestStatus } from '../domain/restore-request.ts';
import { comesAfter } from './newest-first.ts';
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
        post_cards: request.postCards,
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

  /**
   * Requests newest first (ties by id), into the given apps, of one status or any, at most `limit`; with `after`,
   * those that come after it in this order.
   */
  async list(filter: {
    apps: readonly string[];
    status?: RestoreRequestStatus;
    limit: number;
    after?: ListPosition;
  }): Promise<RestoreRequest[]> {
    if (filter.apps.length === 0) return [];
    let query = this.db
      .selectFrom('restore_requests')
      .selectAll()
      .where('dest_app', 'in', [...filter.apps]);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.after !== undefined) query = query.where(comesAfter(filter.after));
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
    return rows.map(toRequest);
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

  /**
   * The pending requests whose cards are still to be posted, each returned to exactly one caller however many
   * instances ask at once (the claim is one conditional update).
   */
  async claimCardPosting(): Promise<RestoreRequest[]> {
    const rows = await this.db
      .updateTable('restore_requests')
      .set({ post_cards: false })
      .where('post_cards', '=', true)
      .where('status', '=', 'pending')
      .returningAll()
      .execute();
    return rows.map(toRequest);
  }

  /**
   * Records that the request's cards now show `to`, if they showed `from`: true for exactly one of any number of
   * callers moving them from the same state, who then edits the cards.
   */
  async claimCardsShown(id: string, from: string, to: string): Promise<boolean> {
    const row = await this.db
      .updateTable('restore_requests')
      .set({ cards_shown: to })
      .where('id', '=', id)
      .where('cards_shown', '=', from)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Requests with cards that may show less than what happened since: decided or expired while the cards showed
   * `pending`, or approved with the restore's outcome not shown yet.
   */
  async withCardsBehind(): Promise<RestoreRequest[]> {
    const rows = await this.db
      .selectFrom('restore_requests')
      .selectAll()
      .where('cards', '<>', '[]')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '<>', 'pending'), eb('cards_shown', '=', 'pending')]),
          eb.and([eb('status', '=', 'approved'), eb('cards_shown', '=', 'approved')]),
        ]),
      )
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
    cardsShown: row.cards_shown,
  };
}
