import { type Kysely, sql } from 'kysely';

/**
 * Prepared downloads, webhook deliveries with their attempts, API tokens, and the queue's "not before" time that
 * retries with backoff need.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // An operation is not claimed before run_after (a delivery waiting out its backoff).
  await db.schema.alterTable('operations').addColumn('run_after', 'timestamptz').execute();

  await db.schema
    .createTable('downloads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('backup_id', 'text', (c) => c.notNull())
    .addColumn('parts', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'ready', 'failed', 'expired')`),
    )
    .addColumn('requested_by', 'text')
    // Where the links are emailed; null when nobody's address is known.
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ready_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('error', 'text')
    // JSON: [{ kind, key, filename, url, sizeBytes }]
    .addColumn('files', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('downloads_expires').on('downloads').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The endpoint's name in the config (its index when unnamed).
    .addColumn('endpoint', 'text', (c) => c.notNull())
    // One event, or, for a digest, null with the digest's day.
    .addColumn('event_id', 'bigint')
    .addColumn('digest_day', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute();
  // However many instances fan events out, each endpoint gets each event (and each day's digest) once.
  await db.schema
    .createIndex('webhook_deliveries_event')
    .on('webhook_deliveries')
    .columns(['endpoint', 'event_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_digest')
    .on('webhook_deliveries')
    .columns(['endpoint', 'digest_day'])
    .unique()
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  // How far each fan-out has read the event log.
  await db.schema
    .createTable('event_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_event_id', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // sha256 of the secret: the secret itself is shown once, at creation, and never stored.
    .addColumn('secret_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('viewer', 'operator', 'restorer', 'approver')`))
    // JSON array of app names, or ["*"].
    .addColumn('apps', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.dropTable('event_cursors').execute();
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('downloads').execute();
  await db.schema.alterTable('operations').dropColumn('run_after').execute();
}
