import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Restore drills: `drills`, one row per drill of a backup (queued, running, and how it ended), with the scheduled slot
 * it was fired for (unique per target, so any number of instances fire a slot once); and on `backups`, the outcome of
 * the newest drill of each: `proven_at` (when it was last proven restorable), `proof_seconds` (how long that drill
 * took) and `proof_error` (what the last drill found wrong; null when it passed). Written for PostgreSQL and SQLite
 * alike: SQLite keeps timestamps as ISO text (src/state/sqlite-values.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const embedded = db.getExecutor().adapter instanceof SqliteAdapter;
  const timestamp = embedded ? 'text' : 'timestamptz';
  const seconds = embedded ? 'real' : 'double precision';
  await db.schema.alterTable('backups').addColumn('proven_at', timestamp).execute();
  await db.schema.alterTable('backups').addColumn('proof_seconds', seconds).execute();
  await db.schema.alterTable('backups').addColumn('proof_error', 'text').execute();
  await db.schema
    .createTable('drills')
    .addColumn('id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('backup_id', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('requested_by', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('started_at', timestamp)
    .addColumn('finished_at', timestamp)
    .addColumn('error', 'text')
    .addColumn('seconds', seconds)
    .addColumn('slot', timestamp)
    .execute();
  await db.schema.createIndex('drills_backup').on('drills').column('backup_id').execute();
  await db.schema.createIndex('drills_slot').on('drills').columns(['app', 'env', 'slot']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('drills').execute();
  await db.schema.alterTable('backups').dropColumn('proof_error').execute();
  await db.schema.alterTable('backups').dropColumn('proof_seconds').execute();
  await db.schema.alterTable('backups').dropColumn('proven_at').execute();
}
