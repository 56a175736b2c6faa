import { type Selectable, sql } from 'kysely';
import type { BackstopEvent, EventType } from '../domain/events.ts';
import { isWellFormedId, newId } from '../domain/new-id.ts';
import type { Catalog } from './catalog.ts';
import { toEvent } from './event-log.ts';
import type { StateDb } from './state.ts';
import { timestampValue } from './state-dialect.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable } from './tables.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One message to one endpoint: an event, or (with `digestDay`) a day's successes. */
export interface Delivery {
  id: string;
  /** The endpoint's name in the config. */
  endpoint: string;
  eventId: string | null;
  /** YYYY-MM-DD (UTC) for a digest; null for an event. */
  digestDay: string | null;
  status: DeliveryStatus;
  createdAt: Date;
  deliveredAt: Date | null;
  /** Why the last attempt failed (pending), or why the delivery was given up (failed). Never holds the URL. */
  error: string | null;
}

/** One attempt to deliver: when, how long, and the endpoint's answer (a status code) or why there was none. */
export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  at: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/**
 * The webhook tables (webhook_deliveries, webhook_attempts, event_cursors) and the reads of the event log that
 * deliveries need. Bind it to a transaction to make several changes at once.
 */
export class WebhookDeliveries {
  constructor(private readonly db: StateDb) {}

  /** Creates the delivery of `eventId` to `endpoint` unless it exists; its id, or undefined when it existed. */
  async insertForEvent(endpoint: string, eventId: string, now: Date): Promise<string | undefined> {
    const row = await this.db
      .insertInto('webhook_deliveries')
      .values({ id: deliveryId(), endpoint, event_id: eventId, status: 'pending', created_at: now })
      .onConflict((oc) => oc.columns(['endpoint', 'event_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  /** Creates `endpoint`'s digest of `day` unless it exists; its id, or undefined when it existed. */
  async insertDigest(endpoint: string, day: string, now: Date): Promise<string | undefined> {
    const row = await this.db
      .insertInto('webhook_deliveries')
      .values({ id: deliveryId(), endpoint, digest_day: day, status: 'pending', created_at: now })
      .onConflict((oc) => oc.columns(['endpoint', 'digest_day']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  async find(id: string): Promise<Delivery | undefined> {
    if (!isWellFormedId(id)) return undefined;
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDelivery(row) : undefined;
  }

  /** Deliveries of an event, or all (oldest first): for tests and people. */
  async list(filter: { eventId?: string; endpoint?: string } = {}): Promise<Delivery[]> {
    let query = this.db.selectFrom('webhook_deliveries').selectAll();
    if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
    if (filter.endpoint !== undefined) query = query.where('endpoint', '=', filter.endpoint);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toDelivery);
  }

  async markDelivered(id: string, now: Date): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivered', delivered_at: now, error: null })
      .where('id', '=', id)
      .execute();
  }

  /** Gives the delivery up with `reason`, unless it was delivered meanwhile. */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', error: reason })
      .where('id', '=', id)
      .where('status', '<>', 'delivered')
      .execute();
  }

  /** Keeps the delivery pending with the last attempt's failure, for people to read while it waits to retry. */
  async notePending(id: string, reason: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', error: reason })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Records an attempt, numbered after the delivery's earlier attempts; returns its number. */
  async recordAttempt(attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<number> {
    const row = await this.db
      .insertInto('webhook_attempts')
      .columns(['delivery_id', 'attempt', 'at', 'duration_ms', 'status_code', 'error'])
      .expression((eb) =>
        eb
          .selectFrom('webhook_attempts')
          .select([
            sql<string>`cast(${attempt.deliveryId} as text)`.as('delivery_id'),
            sql<number>`coalesce(max(attempt), 0) + 1`.as('attempt'),
            timestampValue(this.db, attempt.at).as('at'),
            sql<number>`cast(${Math.round(attempt.durationMs)} as integer)`.as('duration_ms'),
            sql<number | null>`cast(${attempt.statusCode} as integer)`.as('status_code'),
            sql<string | null>`cast(${attempt.error} as text)`.as('error'),
          ])
          .where('delivery_id', '=', attempt.deliveryId),
      )
      .returning('attempt')
      .executeTakeFirstOrThrow();
    return row.attempt;
  }

  /** A delivery's attempts, first first. */
  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .orderBy('attempt')
      .execute();
    return rows.map(toAttempt);
  }

  /**
   * Locks the cursor `name` until the transaction ends (instances take turns) and returns the id of the last event
   * it has read. A new cursor starts at the newest event: a new install, or a new kind of reader, does not replay
   * history.
   */
  async lockCursor(name: string): Promise<string> {
    const existing = await this.db
      .selectFrom('event_cursors')
      .select('last_event_id')
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    if (existing) return String(existing.last_event_id);
    await this.db
      .insertInto('event_cursors')
      .values((eb) => ({
        name,
        last_event_id: eb.selectFrom('events').select(sql<string>`coalesce(max(id), 0)`.as('max')),
      }))
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const created = await this.db
      .selectFrom('event_cursors')
      .select('last_event_id')
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirstOrThrow();
    return String(created.last_event_id);
  }

  async advanceCursor(name: string, lastEventId: string): Promise<void> {
    await this.db.updateTable('event_cursors').set({ last_event_id: lastEventId }).where('name', '=', name).execute();
  }

  /** Events after `afterId`, oldest first. */
  async eventsAfter(afterId: string, limit: number): Promise<BackstopEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  async event(id: string): Promise<BackstopEvent | undefined> {
    const row = await this.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEvent(row) : undefined;
  }

  /** Events of `types` recorded on `day` (YYYY-MM-DD, UTC), oldest first. */
  async eventsOfDay(day: string, types: readonly EventType[], limit = 1000): Promise<BackstopEvent[]> {
    if (types.length === 0) return [];
    const { start, end } = utcDayBounds(day);
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      .where('type', 'in', [...types])
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }
}

/** Runs `fn` in one short transaction of the state database (the engine exposes it through its catalogue). */
export function withDeliveries<T>(
  ctx: { catalog: Catalog },
  fn: (deliveries: WebhookDeliveries, db: StateDb) => Promise<T>,
): Promise<T> {
  return ctx.catalog.transaction((_catalog, db) => fn(new WebhookDeliveries(db), db));
}

/** The first instant of `day` (YYYY-MM-DD, UTC) and of the day after. */
export function utcDayBounds(day: string): { start: Date; end: Date } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  const start = new Date(`${day}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== day) {
    throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  }
  return { start, end: new Date(start.getTime() + 24 * 3600 * 1000) };
}

/** The UTC day before `now`'s, as YYYY-MM-DD. */
export function previousUtcDay(now: Date): string {
  return new Date(now.getTime() - 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/** Delivery ids are also the Standard Webhooks message id: long enough never to repeat. */
function deliveryId(): string {
  return `wh${newId(10)}`;
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): Delivery {
  return {
    id: row.id,
    endpoint: row.endpoint,
    eventId: row.event_id === null ? null : String(row.event_id),
    digestDay: row.digest_day,
    status: row.status,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    error: row.error,
  };
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): DeliveryAttempt {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    at: row.at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
  };
}
