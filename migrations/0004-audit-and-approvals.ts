import { type Kysely, sql } from 'kysely';

/** The audit log of every command, click and decision, and restore requests waiting for approval. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    // Who: slack:U123, discord:456, cli:ana, api:ci.
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('app', 'text')
    // What was asked or clicked, as written ("restore 7k3qx2 to shop/staging", "approve r4x9ka").
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('ok', 'failed', 'refused')`))
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_log_app_at').on('audit_log').columns(['app', 'at']).execute();

  await db.schema
    .createTable('restore_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('backup_id', 'text', (c) => c.notNull())
    .addColumn('parts', 'text', (c) => c.notNull())
    .addColumn('dest_app', 'text', (c) => c.notNull())
    .addColumn('dest_env', 'text', (c) => c.notNull())
    .addColumn('safety_backup', 'boolean', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'approved', 'denied', 'expired', 'withdrawn')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    // The restore an approval started: set in the same transaction as the approval, so there is never a second.
    .addColumn('restore_id', 'text')
    // Where the card was posted (platform message references, JSON), so every copy can be updated.
    .addColumn('cards', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('restore_requests').execute();
  await db.schema.dropTable('audit_log').execute();
}
