import type { Kysely } from 'kysely';

/**
 * The chat requests whose work was started, by key (a request's signature, the platform's id for it), until they
 * could no longer arrive again: every instance sharing the state reads and writes it, so a request replayed or
 * retried to any of them runs once. `expires_at` is indexed for the sweep of old rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delivered_chat_requests')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('delivered_chat_requests_expires_at')
    .on('delivered_chat_requests')
    .column('expires_at')
    .execute();
}
