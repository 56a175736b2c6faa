import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Drill, DrillStatus, NewDrill } from '../domain/drill.ts';
import { isWellFormedId, noSuchId } from '../domain/new-id.ts';
import type { StateDb } from './state.ts';
import type { DrillsTable } from './tables.ts';

/** The drills in the state database. Records; the engine decides (src/engine/run-drill.ts). */
export class DrillBook {
  constructor(
    private readonly db: StateDb,
    private readonly newId: () => string,
  ) {}

  /** Records a queued drill; with `slot`, only once per target and slot (undefined when that slot's drill exists). */
  async insert(drill: NewDrill, now: Date, slot?: Date): Promise<Drill | undefined> {
    for (let attempt = 0; attempt < 6; attempt++) {
      if (slot !== undefined) {
        const taken = await this.db
          .selectFrom('drills')
          .select('id')
          .where('app', '=', drill.app)
          .where('env', '=', drill.env)
          .where('slot', '=', slot)
          .executeTakeFirst();
        if (taken) return undefined;
      }
      // Any conflict does nothing: the drawn id's (the next turn draws another) or the slot's (the next turn sees it).
      const row = await this.db
        .insertInto('drills')
        .values({
          id: this.newId(),
          backup_id: drill.backupId,
          app: drill.app,
          env: drill.env,
          status: 'queued',
          requested_by: drill.requestedBy,
          created_at: now,
          slot: slot ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) return toDrill(row);
    }
    throw new Error('six ids drawn in a row for a new drill were all taken');
  }

  async update(
    id: string,
    changes: Partial<Pick<Drill, 'status' | 'startedAt' | 'finishedAt' | 'error' | 'seconds'>>,
  ): Promise<void> {
    await this.db
      .updateTable('drills')
      .set({
        ...(changes.status !== undefined && { status: changes.status }),
        ...('startedAt' in changes && { started_at: changes.startedAt ?? null }),
        ...('finishedAt' in changes && { finished_at: changes.finishedAt ?? null }),
        ...('error' in changes && { error: changes.error ?? null }),
        ...('seconds' in changes && { seconds: changes.seconds ?? null }),
      })
      .where('id', '=', id)
      .execute();
  }

  async find(id: string): Promise<Drill | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('drills').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDrill(row) : undefined;
  }

  async get(id: string): Promise<Drill> {
    const drill = await this.find(id);
    if (!drill) {
      const message = noSuchId('drill', id);
      throw new BackstopError('drill-not-found', message, { userMessage: message });
    }
    return drill;
  }

  /**
   * Whether a drill of the backup is queued or running: retention then leaves the backup alone (deleting it would
   * pull the objects from under the drill), and deletes it at a later prune.
   */
  async isBeingDrilled(backupId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('drills')
      .select('id')
      .where('backup_id', '=', backupId)
      .where('status', 'in', ['queued', 'running'])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The target's drill that failed last (by when it ended), or undefined when none failed. */
  async newestFailed(app: string, env: string): Promise<Drill | undefined> {
    const row = await this.db
      .selectFrom('drills')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .where('status', '=', 'failed')
      .where('finished_at', 'is not', null)
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDrill(row) : undefined;
  }

  /** When the first scheduled drill of a target was queued, or undefined when none was. */
  async firstScheduled(app: string, env: string): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('drills')
      .select('created_at')
      .where('app', '=', app)
      .where('env', '=', env)
      .where('slot', 'is not', null)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return row?.created_at;
  }
}

function toDrill(row: Selectable<DrillsTable>): Drill {
  return {
    id: row.id,
    backupId: row.backup_id,
    app: row.app,
    env: row.env,
    status: row.status as DrillStatus,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    seconds: row.seconds === null ? null : Number(row.seconds),
    slot: row.slot ?? null,
  };
}
