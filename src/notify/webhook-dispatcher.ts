import { inDigest, sendsNow, type WebhookEndpoint } from '../config/webhook-config.ts';
import { eventTypes } from '../domain/events.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import { withDeliveries } from '../state/webhook-deliveries.ts';

/** The event cursor webhooks read the event log with. */
export const WEBHOOK_CURSOR = 'webhooks';

/**
 * What dispatching needs of an endpoint: a webhook, or an app's email alerts (which hear only of their `app`).
 */
export type DispatchedEndpoint = Pick<WebhookEndpoint, 'name' | 'events' | 'success'> & {
  retry: { attempts: number };
  /** Only this app's events (email alerts); every app's when absent (webhooks). */
  app?: string;
};

/** Events read per transaction. */
const BATCH = 200;

/** Events older than this when first read are not announced (news of a week-old backup helps nobody). */
export const DEFAULT_MAX_EVENT_AGE_MS = 24 * 3600 * 1000;

/** How long a gap in event ids is waited out before the events after it are read (see `dispatchEvents`). */
export const DEFAULT_GAP_SETTLE_MS = 5000;

/**
 * Turns new events into deliveries (webhooks, and email alerts): for each event after the `webhooks` cursor and each
 * endpoint that wants it now (`sendsNow`: its filter matches, and its success policy is `each` or the event is a
 * failure or a missed backup; and its app, for an endpoint of one app), one `webhook_deliveries` row and one queued
 * `delivery` operation, then moves the cursor past the event.
 *
 * Contract:
 * - Exactly once: the cursor row is locked `FOR UPDATE` in the same transaction as the rows it creates, so instances
 *   dispatching at once take turns, and (endpoint, event) is unique besides.
 * - The first call ever starts the cursor at the newest event: a new install does not replay history.
 * - Events older than `maxAgeMs` (default a day) when read are skipped: an instance that was down for a week does
 *   not announce the week's news, and a cursor left behind while no webhooks were configured does not replay its
 *   backlog when one is added.
 * - No event is passed over: ids come from a sequence, so with several instances an event with a lower id may still
 *   be committing when a higher one is visible. The cursor stops before a gap in the ids until the event after it
 *   is `settleMs` old (default 5 s); a gap still there by then is an id that was never used (an insert that was
 *   rolled back, or a repeat that a dedupe key refused).
 * - Delivery runs later, in workers: nothing here waits for an endpoint.
 * Returns how many deliveries this call created.
 */
export async function dispatchEvents(
  ctx: JobsContext,
  endpoints: readonly DispatchedEndpoint[],
  now: Date,
  options: { maxAgeMs?: number; settleMs?: number } = {},
): Promise<number> {
  const oldest = now.getTime() - (options.maxAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS);
  const settleMs = options.settleMs ?? DEFAULT_GAP_SETTLE_MS;
  let created = 0;
  try {
    for (;;) {
      const batch = await withDeliveries(ctx, async (deliveries, db) => {
        const after = await deliveries.lockCursor(WEBHOOK_CURSOR);
        const read = await deliveries.eventsAfter(after, BATCH);
        const events = untilUnsettledGap(read, after, now.getTime() - settleMs);
        const queue = ctx.operations.within(db);
        let made = 0;
        for (const event of events) {
          if (event.createdAt.getTime() < oldest) continue;
          for (const endpoint of endpoints) {
            if (!sendsNow(endpoint, event.type)) continue;
            if (endpoint.app !== undefined && endpoint.app !== event.app) continue;
            const id = await deliveries.insertForEvent(endpoint.name, event.id, now);
            if (id === undefined) continue;
            await queue.enqueue(
              {
                kind: 'delivery',
                subjectId: id,
                target: null,
                requestedBy: null,
                maxAttempts: endpoint.retry.attempts,
              },
              now,
            );
            made += 1;
          }
        }
        const last = events.at(-1);
        if (last) await deliveries.advanceCursor(WEBHOOK_CURSOR, last.id);
        return { made, more: read.length === BATCH && events.length === read.length };
      });
      created += batch.made;
      if (!batch.more) break;
    }
  } finally {
    if (created > 0) ctx.operations.notifyEnqueued();
  }
  return created;
}

/**
 * Queues the digest of `day` (YYYY-MM-DD, UTC) for each endpoint with `success: digest`: one delivery per endpoint
 * and day (unique, so any number of instances and repeated calls create it once), listing that day's successes its
 * filter wants. An endpoint with nothing to list that day gets no digest. Call it after the day has ended (the serve
 * loop calls it for yesterday shortly after midnight UTC and on start). Returns how many digests it queued.
 */
export async function enqueueDigests(
  ctx: JobsContext,
  endpoints: readonly DispatchedEndpoint[],
  day: string,
  now: Date,
): Promise<number> {
  let created = 0;
  try {
    for (const endpoint of endpoints) {
      if (endpoint.success !== 'digest') continue;
      const types = digestTypes(endpoint);
      const made = await withDeliveries(ctx, async (deliveries, db) => {
        const events = await deliveries.eventsOfDay(day, types, 1);
        if (events.length === 0) return false;
        const id = await deliveries.insertDigest(endpoint.name, day, now);
        if (id === undefined) return false;
        await ctx.operations
          .within(db)
          .enqueue(
            { kind: 'delivery', subjectId: id, target: null, requestedBy: null, maxAttempts: endpoint.retry.attempts },
            now,
          );
        return true;
      });
      if (made) created += 1;
    }
  } finally {
    if (created > 0) ctx.operations.notifyEnqueued();
  }
  return created;
}

/**
 * The events up to the first gap in ids that may still be filling (the event after it was recorded after
 * `settledBefore`).
 */
function untilUnsettledGap<T extends { id: string; createdAt: Date }>(
  events: readonly T[],
  after: string,
  settledBefore: number,
): T[] {
  const taken: T[] = [];
  let expected = BigInt(after) + 1n;
  for (const event of events) {
    const id = BigInt(event.id);
    if (id !== expected && event.createdAt.getTime() > settledBefore) break;
    taken.push(event);
    expected = id + 1n;
  }
  return taken;
}

/** The event types an endpoint's digest lists. */
export function digestTypes(endpoint: Pick<WebhookEndpoint, 'events' | 'success'>) {
  return eventTypes.filter((type) => inDigest(endpoint, type));
}
