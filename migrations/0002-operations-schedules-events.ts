import { type Kysely, sql } from 'kysely';

/**
 * The job queue (operations), the scheduler's memory (schedules, and each scheduled backup's slot) and the event
 * log that notifications deliver from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Claim order: first queued, first run (per target).
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    // "app/env" for work that must not overlap on one target (backups, restores); null for work that may.
    .addColumn('target', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('cancel_requested_by', 'text')
    .addColumn('phase', 'text')
    .addColumn('bytes_done', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_expected', 'bigint')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('operations_subject').on('operations').columns(['kind', 'subject_id']).unique().execute();
  await db.schema
    .createIndex('operations_active')
    .on('operations')
    .columns(['target', 'seq'])
    .where(sql.ref('status'), 'in', sql`('queued', 'running')`)
    .execute();

  // One scheduled backup per target and slot, however many instances fire the schedule.
  await db.schema.alterTable('backups').addColumn('slot', 'timestamptz').execute();
  await db.schema.createIndex('backups_slot').on('backups').columns(['app', 'env', 'slot']).unique().execute();

  await db.schema
    .createTable('schedules')
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    // When an instance first ran this target's schedule: slots before it are not "missed".
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('schedules_pk', ['app', 'env'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('app', 'text')
    .addColumn('env', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    // Events that must be recorded once however many instances notice them (a missed backup).
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .execute();
  await db.schema.createIndex('events_created').on('events').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('events').execute();
  await db.schema.dropTable('schedules').execute();
  await db.schema.dropIndex('backups_slot').execute();
  await db.schema.alterTable('backups').dropColumn('slot').execute();
  await db.schema.dropTable('operations').execute();
}
