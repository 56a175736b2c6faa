import type { Selectable } from 'kysely';
import type { BackstopEvent, EventType, NewEvent } from '../domain/events.ts';
import type { StateDb } from './state.ts';
import type { EventsTable } from './tables.ts';

/**
 * The event log in the state database: every outcome is recorded here, durably, and the notifiers deliver from it.
 */
export class EventLog {
  constructor(private readonly db: StateDb) {}

  /** Records an event; returns false when an event with the same dedupe key exists. */
  async record(event: NewEvent, now: Date): Promise<boolean> {
    const result = await this.db
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
