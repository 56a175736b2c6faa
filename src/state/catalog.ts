import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, BackupPart, NewBackup, NewRestore, Restore, Trigger } from '../domain/backup.ts';
import { fencedOut, type LeaseFence } from '../domain/lease-fence.ts';
import type { ListPosition } from '../domain/list-position.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import { DrillBook } from './drill-book.ts';
import { comesAfter } from './newest-first.ts';
import type { StateDb } from './state.ts';
import type { BackupPartsTable, BackupsTable, RestoresTable } from './tables.ts';

/**
 * The catalogue of backups and restores in the state database. It records; it does not decide: the use cases in
 * engine/ call it at each step, and a row says `completed` only after every object of the backup was written.
 */
export class Catalog {
  constructor(
    private readonly db: StateDb,
    private readonly newId: () => string,
    private readonly toolVersion: string,
  ) {}

  async insertBackup(backup: NewBackup, now: Date, id?: string): Promise<Backup> {
    const row = await this.withFreshId(id, async (candidate, drawn) => {
      if (drawn && (await this.namedByAnOperation(candidate))) return undefined;
      const insert = this.db.insertInto('backups').values(this.newBackupRow(candidate, backup, now, null));
      return (drawn ? insert.onConflict((oc) => oc.column('id').doNothing()) : insert)
        .returningAll()
        .executeTakeFirst();
    });
    return toBackup(row, []);
  }

  /**
   * Records the scheduled backup of one slot, unless it exists: however many instances fire the schedule, exactly
   * one insert wins. Returns undefined to the others, and to an instance that fires a slot late, once a later slot
   * of the target was taken: the slot's own backup may already be gone (retention prunes as it goes, which frees
   * the unique slot), and taking it then would run it twice. (An instance cut off from the state fires on time and
   * its insert arrives when the link is back.)
   */
  async insertScheduledBackup(
    backup: Pick<Backup, 'app' | 'env' | 'parts'>,
    slot: Date,
    now: Date,
  ): Promise<Backup | undefined> {
    const scheduled: NewBackup = { ...backup, trigger: 'scheduled', note: null, requestedBy: 'schedule' };
    for (let attempt = 0; attempt < ID_DRAWS; attempt++) {
      // The slot, or a later one, taken already (most instances firing a slot find it so).
      const taken = await this.db
        .selectFrom('backups')
        .select('id')
        .where('app', '=', backup.app)
        .where('env', '=', backup.env)
        .where('slot', '>=', slot)
        .limit(1)
        .executeTakeFirst();
      if (taken) return undefined;
      const id = this.newId();
      if (await this.namedByAnOperation(id)) continue;
      // Any conflict does nothing: the slot's, when another instance took it meanwhile (the next turn finds it), or
      // the drawn id's (the next turn draws another).
      const row = await this.db
        .insertInto('backups')
        .values(this.newBackupRow(id, scheduled, now, slot))
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) return toBackup(row, []);
    }
    throw tooManyClashes('backup');
  }

  /**
   * Whether a backup operation the queue still keeps names `id`: the id of a backup that retention deleted, whose
   * finished operation stays for 30 days. A new backup under it could not have an operation of its own (one per
   * subject), so such an id counts as taken.
   */
  private async namedByAnOperation(id: string): Promise<boolean> {
    const operation = await this.db
      .selectFrom('operations')
      .select('id')
      .where('kind', '=', 'backup')
      .where('subject_id', '=', id)
      .executeTakeFirst();
    return operation !== undefined;
  }

  private newBackupRow(id: string, backup: NewBackup, now: Date, slot: Date | null) {
    return {
      id,
      app: backup.app,
      env: backup.env,
      trigger: backup.trigger,
      status: 'queued' as const,
      parts: backup.parts,
      note: backup.note,
      requested_by: backup.requestedBy,
      created_at: now,
      started_at: null,
      completed_at: null,
      error: null,
      tool_version: this.toolVersion,
      verified_at: null,
      verify_error: null,
      slot,
    };
  }

  /** Puts a backup back to queued for another attempt (its objects were discarded). */
  async requeueBackup(id: string): Promise<void> {
    await this.db
      .updateTable('backups')
      .set({ status: 'queued', started_at: null, completed_at: null, error: null })
      .where('id', '=', id)
      .execute();
  }

  /** Runs `fn` in one transaction of the state database, with a catalogue bound to it. */
  transaction<T>(fn: (catalog: Catalog, db: StateDb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Catalog(trx, this.newId, this.toolVersion), trx));
  }

  async markBackupRunning(id: string, now: Date): Promise<void> {
    await this.db.updateTable('backups').set({ status: 'running', started_at: now }).where('id', '=', id).execute();
  }

  /**
   * Records the parts and marks the backup completed, in one transaction. With `fence`, only while the operation still
   * runs under the fence's lease generation (checked in the same transaction); otherwise nothing changes and it
   * throws `fenced`.
   */
  async completeBackup(
    id: string,
    parts: BackupPart[],
    now: Date,
    fence?: LeaseFence,
    details: { codeVersion?: string | null } = {},
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (fence) await holdLease(trx, fence);
      await trx.deleteFrom('backup_parts').where('backup_id', '=', id).execute();
      await insertParts(trx, id, parts);
      await trx
        .updateTable('backups')
        .set({ status: 'completed', completed_at: now, error: null, code_version: details.codeVersion ?? null })
        .where('id', '=', id)
        .execute();
    });
  }

  /** Marks the backup failed; with `fence`, only as completeBackup says (else it throws `fenced`). */
  async failBackup(id: string, error: string, now: Date, fence?: LeaseFence): Promise<void> {
    await this.endBackup(id, { status: 'failed', completed_at: now, error }, fence);
  }

  /** Someone cancelled it: it ends cancelled, with who did as its reason; `fence` as for failBackup. */
  async cancelBackup(id: string, reason: string, now: Date, fence?: LeaseFence): Promise<void> {
    await this.endBackup(id, { status: 'cancelled', completed_at: now, error: reason }, fence);
  }

  private async endBackup(
    id: string,
    end: { status: 'failed' | 'cancelled'; completed_at: Date; error: string },
    fence: LeaseFence | undefined,
  ): Promise<void> {
    const update = (db: StateDb) => db.updateTable('backups').set(end).where('id', '=', id).execute();
    if (fence === undefined) await update(this.db);
    else
      await this.db.transaction().execute(async (trx) => {
        await holdLease(trx, fence);
        await update(trx);
      });
  }

  async recordVerification(id: string, now: Date, error: string | null): Promise<void> {
    await this.db.updateTable('backups').set({ verified_at: now, verify_error: error }).where('id', '=', id).execute();
  }

  /**
   * Records what a drill of the backup found: passed (`error` null: proven restorable at `at`, in `seconds`) or the
   * check that failed (the earlier proof, if any, stays: it was true when made).
   */
  async recordProof(id: string, at: Date, seconds: number, error: string | null): Promise<void> {
    const update =
      error === null ? { proven_at: at, proof_seconds: seconds, proof_error: null } : { proof_error: error };
    await this.db.updateTable('backups').set(update).where('id', '=', id).execute();
  }

  /** The drills of the state database, inside this catalogue's transaction when it has one. */
  get drills(): DrillBook {
    return new DrillBook(this.db, this.newId);
  }

  /** Adds a completed backup known from its backup.json; returns false when its id is already catalogued. */
  async importBackup(backup: Backup): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('backups').select('id').where('id', '=', backup.id).executeTakeFirst();
      if (existing) return false;
      await trx
        .insertInto('backups')
        .values({
          id: backup.id,
          app: backup.app,
          env: backup.env,
          trigger: backup.trigger,
          status: 'completed',
          parts: backup.parts,
          note: backup.note,
          requested_by: backup.requestedBy,
          created_at: backup.createdAt,
          started_at: backup.startedAt,
          completed_at: backup.completedAt,
          error: null,
          tool_version: backup.toolVersion,
          code_version: backup.codeVersion,
          verified_at: null,
          verify_error: null,
          slot: backup.slot,
        })
        .execute();
      await insertParts(trx, backup.id, backup.storedParts);
      return true;
    });
  }

  async setPinned(id: string, pinned: boolean): Promise<void> {
    await this.db.updateTable('backups').set({ pinned }).where('id', '=', id).execute();
  }

  /** Removes a backup's row and its parts' rows; the caller has deleted its objects first. */
  async deleteBackup(id: string): Promise<void> {
    await this.db.deleteFrom('backups').where('id', '=', id).execute();
  }

  /** The backup with this id, or undefined (also for text that cannot be an id, which never reaches the database). */
  async findBackup(id: string): Promise<Backup | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const parts = await this.db.selectFrom('backup_parts').selectAll().where('backup_id', '=', id).execute();
    return toBackup(row, parts);
  }

  /** The backup with this id, or a `backup-not-found` error that a person can act on. */
  async getBackup(id: string): Promise<Backup> {
    const backup = await this.findBackup(id);
    if (!backup) {
      const message = `${noSuchId('backup', id)} List backups with: backstop list`;
      throw new BackstopError('backup-not-found', message, { userMessage: message });
    }
    return backup;
  }

  /**
   * Backups newest first (ties by id), at most `limit` (default 1000); optionally of one app, env or trigger, and
   * `apps` limits to those apps (none: no backups). With `after`, only those that come after that one in this order
   * (the next page of a listing that ended with it).
   */
  async listBackups(
    filter: {
      app?: string;
      apps?: readonly string[];
      env?: string;
      trigger?: Trigger;
      limit?: number;
      after?: ListPosition;
    } = {},
  ): Promise<Backup[]> {
    if (filter.apps !== undefined && filter.apps.length === 0) return [];
    let query = this.db.selectFrom('backups').selectAll();
    if (filter.after !== undefined) query = query.where(comesAfter(filter.after));
    if (filter.app !== undefined) query = query.where('app', '=', filter.app);
    if (filter.apps !== undefined) query = query.where('app', 'in', [...filter.apps]);
    if (filter.env !== undefined) query = query.where('env', '=', filter.env);
    if (filter.trigger !== undefined) query = query.where('trigger', '=', filter.trigger);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? 1000)
      .execute();
    if (rows.length === 0) return [];
    const parts = await this.db
      .selectFrom('backup_parts')
      .selectAll()
      .where(
        'backup_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((row) =>
      toBackup(
        row,
        parts.filter((p) => p.backup_id === row.id),
      ),
    );
  }

  async insertRestore(restore: NewRestore, now: Date): Promise<Restore> {
    const row = await this.withFreshId(undefined, (candidate) =>
      this.db
        .insertInto('restores')
        .values({
          id: candidate,
          backup_id: restore.backupId,
          parts: restore.parts,
          dest_app: restore.destApp,
          dest_env: restore.destEnv,
          status: 'queued',
          safety_backup: restore.safetyBackup,
          safety_backup_id: null,
          requested_by: restore.requestedBy,
          created_at: now,
          started_at: null,
          completed_at: null,
          error: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst(),
    );
    return toRestore(row);
  }

  async updateRestore(
    id: string,
    changes: Partial<Pick<Restore, 'status' | 'safetyBackupId' | 'startedAt' | 'completedAt' | 'error'>>,
  ): Promise<void> {
    await this.db
      .updateTable('restores')
      .set({
        ...(changes.status !== undefined && { status: changes.status }),
        ...('safetyBackupId' in changes && { safety_backup_id: changes.safetyBackupId ?? null }),
        ...(changes.startedAt !== undefined && { started_at: changes.startedAt }),
        ...(changes.completedAt !== undefined && { completed_at: changes.completedAt }),
        ...('error' in changes && { error: changes.error ?? null }),
      })
      .where('id', '=', id)
      .execute();
  }

  async findRestore(id: string): Promise<Restore | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('restores').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRestore(row) : undefined;
  }

  async getRestore(id: string): Promise<Restore> {
    const restore = await this.findRestore(id);
    if (!restore) {
      const message = noSuchId('restore', id);
      throw new BackstopError('restore-not-found', message, { userMessage: message });
    }
    return restore;
  }

  /**
   * Inserts with `given` as is (a clash fails), or with drawn ids until one is free: `insert` makes a drawn id that is
   * taken do nothing (`on conflict (id) do nothing`) and return undefined, rather than fail, because a failed statement
   * aborts the transaction it runs in on PostgreSQL, and drawing again in it would fail too.
   */
  private async withFreshId<T>(
    given: string | undefined,
    insert: (id: string, drawn: boolean) => Promise<T | undefined>,
  ): Promise<T> {
    if (given !== undefined) {
      const row = await insert(given, false);
      if (row === undefined) throw new Error(`the insert of ${given} returned nothing`);
      return row;
    }
    for (let attempt = 0; attempt < ID_DRAWS; attempt++) {
      const row = await insert(this.newId(), true);
      if (row !== undefined) return row;
    }
    throw tooManyClashes('row');
  }
}

/** Ids drawn for one insert before giving up: six-letter ids clash rarely, six clashes in a row do not happen. */
const ID_DRAWS = 6;

function tooManyClashes(what: string): Error {
  return new Error(`${ID_DRAWS} ids drawn in a row for a new ${what} were all taken`);
}

async function insertParts(db: StateDb, backupId: string, parts: readonly BackupPart[]): Promise<void> {
  if (parts.length === 0) return;
  await db
    .insertInto('backup_parts')
    .values(
      parts.map((part) => ({
        backup_id: backupId,
        kind: part.kind,
        key: part.key,
        size_bytes: part.sizeBytes,
        sha256: part.sha256,
        stored_size_bytes: part.storedSizeBytes,
        stored_sha256: part.storedSha256,
        tables_without_rows: part.tablesWithoutRows?.length ? JSON.stringify(part.tablesWithoutRows) : null,
        table_rows: part.tableRows === undefined ? null : JSON.stringify(part.tableRows),
      })),
    )
    .execute();
}

function toBackup(row: Selectable<BackupsTable>, parts: Selectable<BackupPartsTable>[]): Backup {
  return {
    id: row.id,
    app: row.app,
    env: row.env,
    trigger: row.trigger,
    status: row.status,
    parts: row.parts,
    note: row.note,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    error: row.error,
    pinned: row.pinned,
    toolVersion: row.tool_version,
    codeVersion: row.code_version ?? null,
    verifiedAt: row.verified_at,
    verifyError: row.verify_error,
    provenAt: row.proven_at ?? null,
    proofSeconds: row.proof_seconds === null || row.proof_seconds === undefined ? null : Number(row.proof_seconds),
    proofError: row.proof_error ?? null,
    slot: row.slot ?? null,
    storedParts: parts
      .map((p) => ({
        kind: p.kind,
        key: p.key,
        sizeBytes: Number(p.size_bytes),
        sha256: p.sha256,
        storedSizeBytes: Number(p.stored_size_bytes),
        storedSha256: p.stored_sha256,
        ...(p.tables_without_rows !== null && { tablesWithoutRows: JSON.parse(p.tables_without_rows) as string[] }),
        ...(p.table_rows !== null && { tableRows: JSON.parse(p.table_rows) as Record<string, number> }),
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind)),
  };
}

function toRestore(row: Selectable<RestoresTable>): Restore {
  return {
    id: row.id,
    backupId: row.backup_id,
    parts: row.parts,
    destApp: row.dest_app,
    destEnv: row.dest_env,
    status: row.status,
    safetyBackup: row.safety_backup,
    safetyBackupId: row.safety_backup_id,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    error: row.error,
  };
}

/**
 * Throws `fenced` unless the fence's operation is running under the fence's lease generation. The operation's row is
 * locked until the transaction ends, so no claim can start a new generation between this check and the change it
 * guards.
 */
async function holdLease(trx: StateDb, fence: LeaseFence): Promise<void> {
  const row = await trx
    .selectFrom('operations')
    .select(['status', 'lease_generation'])
    .where('id', '=', fence.operationId)
    .forUpdate()
    .executeTakeFirst();
  if (row?.status !== 'running' || row.lease_generation !== fence.generation) throw fencedOut(fence);
}
