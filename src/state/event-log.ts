import type { Selectable } from 'kysely';
import type { BackstopEvent, EventType, NewEvent } from '../domain/events.ts';
import type { StateDb } from './state.ts';
import type { EventsTable } from './tables.ts';

/**
 * The event log in the state database: every outcome is recorded here, durably, and the notifiers deliver from it.
 */
export class EventLog {
  constructor(private readonly db: StateDb) {}

  /**
   * Records an event and counts it (event_counts, in the same transaction); returns false when an event with the same
   * dedupe key exists (it is then not counted again).
   */
  async record(event: NewEvent, now: Date): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await insertEvent(trx, event, now);
      if (inserted && event.app !== null && event.env !== null)
        await countEvent(trx, { ...event, app: event.app, env: event.env });
      return inserted;
    });
  }

  /** Events, oldest first, optionally only of some types or after an event id. */
  async list(
    filter: { types?: readonly EventType[]; afterId?: string; limit?: number } = {},
  ): Promise<BackstopEvent[]> {
    let query = this.db.selectFrom('events').selectAll();
    if (filter.types !== undefined && filter.types.length > 0) query = query.where('type', 'in', [...filter.types]);
    if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
    const rows = await query
      .orderBy('id')
      .limit(filter.limit ?? 1000)
      .execute();
    return rows.map(toEvent);
  }
}

/** An events row as an event. */
export function toEvent(row: Selectable<EventsTable>): BackstopEvent {
  // The data is trusted to match its type: only Backstop writes events, and readers of older events read defensively.
  return {
    id: String(row.id),
    type: row.type as EventType,
    app: row.app,
    env: row.env,
    subjectId: row.subject_id,
    data: JSON.parse(row.data),
    createdAt: row.created_at,
  } as BackstopEvent;
}

async function insertEvent(db: StateDb, event: NewEvent, now: Date): Promise<boolean> {
  const result = await db
    .insertInto('events')
    .values({
      type: event.type,
      app: event.app,
      env: event.env,
      subject_id: event.subjectId,
      data: JSON.stringify(event.data),
      created_at: now,
      dedupe_key: event.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Adds the event to its type's and target's count (and its run time, where it has one). */
async function countEvent(db: StateDb, event: NewEvent & { app: string; env: string }): Promise<void> {
  const data = event.data as { trigger?: unknown; durationMs?: unknown };
  const durationMs = typeof data.durationMs === 'number' ? Math.round(data.durationMs) : 0;
  await db
    .insertInto('event_counts')
    .values({
      type: event.type,
      app: event.app,
      env: event.env,
      trigger: typeof data.trigger === 'string' ? data.trigger : '',
      count: 1,
      duration_ms: durationMs,
    })
    .onConflict((oc) =>
      oc.columns(['type', 'app', 'env', 'trigger']).doUpdateSet((eb) => ({
        count: eb('event_counts.count', '+', 1),
        duration_ms: eb('event_counts.duration_ms', '+', eb.ref('excluded.duration_ms')),
      })),
    )
    .execute();
}
