import { type Selectable, sql } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import type { ListPosition } from '../domain/list-position.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import type { NewOperation, Operation, OperationKind, OperationStatus } from '../domain/operation.ts';
import { comesAfter } from '../state/newest-first.ts';
import type { StateDb } from '../state/state.ts';
import { isEmbeddedState, timestampValue } from '../state/state-dialect.ts';
import type { OperationsTable } from '../state/tables.ts';

/**
 * A claimed operation, or one that ended when its last worker vanished (`exhausted`: already marked failed because
 * its attempts ran out, or cancelled because a cancel was asked for); its subject is then the claimer's to clean up.
 */
export type Claim = { operation: Operation; exhausted: false } | { operation: Operation; exhausted: true };

export const DEFAULT_MAX_ATTEMPTS = 3;

/** Serialises claims across every process sharing the state, so the per-target check cannot race. */
const CLAIM_LOCK = 0x6b_5c_0b_ac;

/**
 * The durable job queue in the state database.
 *
 * Contract:
 * - `enqueue` records a queued operation; operations of one target run one at a time, in the order enqueued.
 * - `claim` hands the oldest runnable operation to one worker: queued, or running with an expired lease (its worker
 *   vanished), and not behind an earlier unfinished operation of the same target nor beside a running one. Rows are
 *   locked `FOR UPDATE SKIP LOCKED` and claims are serialised by an advisory lock, so two workers never get the same
 *   operation and never two of one target. Each claim counts an attempt; an expired operation that has used all its
 *   attempts is marked failed and returned as `exhausted` for its subject to be cleaned up.
 * - `heartbeat` renews the lease and records progress, only while `owner` still holds it; it tells the worker when
 *   the lease was lost or a cancel was asked for.
 * - `finish` records the outcome, only while `owner` holds the lease (a worker that lost it changes nothing).
 */
export class OperationQueue {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly db: StateDb,
    private readonly newId: () => string,
    /** Attempts an operation gets when its enqueuer does not say. */
    private readonly defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS,
  ) {}

  /** The same queue, working inside the transaction `db`. */
  within(db: StateDb): OperationQueue {
    return new OperationQueue(db, this.newId, this.defaultMaxAttempts);
  }

  /** Calls `listener` when work was queued in this process (the workers here then claim it at once). */
  onEnqueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells this process's listeners that work was queued (after the enqueueing transaction committed). */
  notifyEnqueued(): void {
    for (const listener of this.listeners) listener();
  }

  async enqueue(operation: NewOperation, now: Date): Promise<Operation> {
    // A drawn id that is taken makes the insert do nothing, and another is drawn: a failed insert would abort the
    // transaction it may run in (PostgreSQL). A clash on the subject fails: the subject has its operation already.
    for (let attempt = 0; attempt < 6; attempt++) {
      const row = await this.db
        .insertInto('operations')
        .values({
          id: this.newId(),
          kind: operation.kind,
          subject_id: operation.subjectId,
          target: operation.target,
          status: 'queued',
          max_attempts: operation.maxAttempts ?? this.defaultMaxAttempts,
          requested_by: operation.requestedBy,
          created_at: now,
          run_after: operation.runAfter ?? null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) return toOperation(row);
    }
    throw new Error('six ids drawn in a row for a new operation were all taken');
  }

  /**
   * Claims the next runnable operation for `owner` with a lease of `leaseMs` (only `onlyId` or only operations of
   * `onlyTarget`, if given, and only operations of `kinds`). Undefined when there is nothing to run.
   */
  async claim(
    owner: string,
    leaseMs: number,
    now: Date,
    options: { onlyId?: string; onlyTarget?: string; kinds?: readonly string[] } = {},
  ): Promise<Claim | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // The embedded state runs one transaction at a time: nothing to lock against.
      const embedded = isEmbeddedState(trx);
      if (!embedded) await sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(trx);
      const onlyId = options.onlyId === undefined ? sql`` : sql`and o.id = ${options.onlyId}`;
      const onlyTarget = options.onlyTarget === undefined ? sql`` : sql`and o.target = ${options.onlyTarget}`;
      const kinds = options.kinds === undefined ? sql`` : sql`and o.kind in (${sql.join(options.kinds)})`;
      const found = await sql<{
        id: string;
        status: OperationStatus;
        attempts: number;
        max_attempts: number;
        cancel_requested_by: string | null;
      }>`
        select o.id, o.status, o.attempts, o.max_attempts, o.cancel_requested_by from operations o
        where ((o.status = 'queued' and (o.run_after is null or o.run_after <= ${now}))
            or (o.status = 'running' and o.lease_expires_at < ${now}))
          ${onlyId}
          ${onlyTarget}
          ${kinds}
          and (o.target is null or not exists (
            select 1 from operations p
            where p.target = o.target and p.id <> o.id and (
              (p.status = 'running' and p.lease_expires_at >= ${now})
              or (p.status in ('queued', 'running') and p.seq < o.seq)
            )
          ))
        order by o.seq
        limit 1
        ${embedded ? sql`` : sql`for update of o skip locked`}
      `.execute(trx);
      const candidate = found.rows[0];
      if (!candidate) return undefined;
      if (candidate.status === 'running' && candidate.cancel_requested_by !== null) {
        // Cancelled while its worker vanished: nothing more to run.
        const row = await trx
          .updateTable('operations')
          .set({
            status: 'cancelled',
            finished_at: now,
            lease_owner: null,
            lease_expires_at: null,
            error: `cancelled by ${candidate.cancel_requested_by}`,
          })
          .where('id', '=', candidate.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { operation: toOperation(row), exhausted: true };
      }
      if (candidate.status === 'running' && candidate.attempts >= candidate.max_attempts) {
        const row = await trx
          .updateTable('operations')
          .set({
            status: 'failed',
            finished_at: now,
            lease_owner: null,
            lease_expires_at: null,
            error:
              `its worker stopped responding during each of ${candidate.attempts} attempts ` +
              '(killed, out of memory, or cut off from the state database); see the workers’ logs',
          })
          .where('id', '=', candidate.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { operation: toOperation(row), exhausted: true };
      }
      const row = await trx
        .updateTable('operations')
        .set((eb) => ({
          status: 'running',
          attempts: eb('attempts', '+', 1),
          lease_generation: eb('lease_generation', '+', 1),
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          started_at: eb.fn.coalesce('started_at', timestampValue(trx, now)),
          phase: null,
          bytes_done: 0,
          bytes_expected: null,
        }))
        .where('id', '=', candidate.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { operation: toOperation(row), exhausted: false };
    });
  }

  /**
   * Ends, as cancelled, every running operation someone asked to cancel whose worker is gone (its lease ran out or
   * was given up): one conditional update, so with several processes each is returned to one only, which then removes
   * what it wrote. Such an operation is never run again.
   */
  async takeAbandonedCancellations(now: Date): Promise<Operation[]> {
    const rows = await this.db
      .updateTable('operations')
      .set({
        status: 'cancelled',
        finished_at: now,
        lease_owner: null,
        lease_expires_at: null,
        error: sql<string>`'cancelled by ' || cancel_requested_by`,
      })
      .where('status', '=', 'running')
      .where('cancel_requested_by', 'is not', null)
      .where('lease_expires_at', '<', now)
      .returningAll()
      .execute();
    return rows.map(toOperation);
  }

  /**
   * Lets `owner`'s lease run out now, for a process that leaves without finishing (a second Ctrl-C): whoever looks
   * next need not wait for it. False when `owner` did not hold it.
   */
  async expireLease(id: string, owner: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('operations')
      .set({ lease_expires_at: new Date(now.getTime() - 1) })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Renews `owner`'s lease and records progress. `held: false` when the lease was lost (another worker took over). */
  async heartbeat(
    id: string,
    owner: string,
    leaseMs: number,
    now: Date,
    progress?: { phase: string; bytesDone: number; bytesExpected: number | null },
  ): Promise<{ held: boolean; cancelRequestedBy: string | null }> {
    const row = await this.db
      .updateTable('operations')
      .set({
        lease_expires_at: new Date(now.getTime() + leaseMs),
        ...(progress && {
          phase: progress.phase,
          bytes_done: progress.bytesDone,
          bytes_expected: progress.bytesExpected,
        }),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returning(['cancel_requested_by'])
      .executeTakeFirst();
    return row ? { held: true, cancelRequestedBy: row.cancel_requested_by } : { held: false, cancelRequestedBy: null };
  }

  /** Records the outcome of `owner`'s attempt; false (and nothing changed) when `owner` no longer holds the lease. */
  async finish(
    id: string,
    owner: string,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: string | null },
    now: Date,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('operations')
      .set({
        status: outcome.status,
        error: outcome.error ?? null,
        finished_at: now,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Puts `owner`'s running operation back in the queue to be tried again at `runAfter` (a delivery whose endpoint
   * failed), keeping the attempt counted and the error for people to read. False when `owner` no longer held it.
   */
  async retryLater(id: string, owner: string, runAfter: Date, error: string): Promise<boolean> {
    const result = await this.db
      .updateTable('operations')
      .set({ status: 'queued', run_after: runAfter, error, lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Gives a running operation back to the queue (its worker is shutting down and has cleaned up after itself); the
   * attempt is not counted. False when `owner` no longer held it.
   */
  async release(id: string, owner: string): Promise<boolean> {
    const result = await this.db
      .updateTable('operations')
      .set((eb) => ({
        status: 'queued',
        attempts: eb('attempts', '-', 1),
        lease_owner: null,
        lease_expires_at: null,
        phase: null,
        bytes_done: 0,
        bytes_expected: null,
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Asks for an operation to stop. A queued one is cancelled at once (returned with `status: 'cancelled'`); a running
   * one is flagged, and its worker stops it at its next heartbeat. Finished operations are refused.
   */
  async requestCancel(id: string, by: string, now: Date): Promise<Operation> {
    if (!isWellFormedId(id)) throw notFound(id);
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('operations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw notFound(id);
      if (row.status === 'queued') {
        const cancelled = await trx
          .updateTable('operations')
          .set({ status: 'cancelled', cancel_requested_by: by, finished_at: now, error: `cancelled by ${by}` })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toOperation(cancelled);
      }
      if (row.status === 'running') {
        const flagged = await trx
          .updateTable('operations')
          .set({ cancel_requested_by: by })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toOperation(flagged);
      }
      const message = `Operation ${id} has already ${row.status === 'succeeded' ? 'succeeded' : `ended (${row.status})`}: there is nothing to cancel.`;
      throw new BackstopError('operation-finished', message, { userMessage: message });
    });
  }

  /** The operation with this id, or undefined (also for text that cannot be an id, which never reaches the database). */
  async find(id: string): Promise<Operation | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOperation(row) : undefined;
  }

  async get(id: string): Promise<Operation> {
    const operation = await this.find(id);
    if (!operation) throw notFound(id);
    return operation;
  }

  /** The operation that runs a backup, a restore or a download. */
  async findBySubject(kind: OperationKind, subjectId: string): Promise<Operation | undefined> {
    if (!isWellFormedId(subjectId)) return undefined;
    const row = await this.db
      .selectFrom('operations')
      .selectAll()
      .where('kind', '=', kind)
      .where('subject_id', '=', subjectId)
      .executeTakeFirst();
    return row ? toOperation(row) : undefined;
  }

  /** Queued and running operations (of one lane, with `target`), in the order they run. */
  async listActive(filter: { target?: string } = {}): Promise<Operation[]> {
    let query = this.db.selectFrom('operations').selectAll().where('status', 'in', ['queued', 'running']);
    if (filter.target !== undefined) query = query.where('target', '=', filter.target);
    const rows = await query.orderBy('seq').execute();
    return rows.map(toOperation);
  }

  /** The `limit` operations that finished last (succeeded, failed or cancelled), newest first. */
  async listFinished(limit: number): Promise<Operation[]> {
    const rows = await this.db
      .selectFrom('operations')
      .selectAll()
      .where('status', 'in', ['succeeded', 'failed', 'cancelled'])
      .orderBy('finished_at', 'desc')
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toOperation);
  }

  /**
   * Operations newest first (ties by id), of the given statuses, at most `limit`; with `after`, those that come after
   * it in this order (the next page of a listing that ended with it).
   */
  async list(filter: {
    statuses: readonly OperationStatus[];
    limit: number;
    after?: ListPosition;
  }): Promise<Operation[]> {
    let query = this.db
      .selectFrom('operations')
      .selectAll()
      .where('status', 'in', [...filter.statuses]);
    if (filter.after !== undefined) query = query.where(comesAfter(filter.after));
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
    return rows.map(toOperation);
  }

  /** Removes operations that finished before `before` (the queue's history); returns how many. */
  async deleteFinishedBefore(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('operations')
      .where('status', 'in', ['succeeded', 'failed', 'cancelled'])
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Operations by status, for figures (queue depth, outcomes). */
  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const rows = await this.db
      .selectFrom('operations')
      .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
      .groupBy('status')
      .execute();
    const counts: Record<OperationStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }
}

function notFound(id: string): BackstopError {
  const message = noSuchId('operation', id);
  return new BackstopError('operation-not-found', message, { userMessage: message });
}

function toOperation(row: Selectable<OperationsTable>): Operation {
  return {
    id: row.id,
    kind: row.kind,
    subjectId: row.subject_id,
    target: row.target,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequestedBy: row.cancel_requested_by,
    phase: row.phase,
    bytesDone: Number(row.bytes_done),
    bytesExpected: row.bytes_expected === null ? null : Number(row.bytes_expected),
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    runAfter: row.run_after,
    leaseGeneration: row.lease_generation,
  };
}
