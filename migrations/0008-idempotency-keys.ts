import type { Kysely } from 'kysely';

/**
 * The answers to API requests sent with an `Idempotency-Key`, by the principal that sent them and the key, so that a
 * request retried to any instance of the fleet is answered again instead of done again. `fingerprint` tells a retry
 * from another request reusing the key; `status` is null while the first request is still being handled.
 * `expires_at` is indexed for the sweep of old rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('location', 'text')
    .addColumn('body', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['principal', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute();
}
