import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('scheduled', 'on-demand')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'completed', 'failed')`))
    .addColumn('parts', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('pinned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('tool_version', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'timestamptz')
    .addColumn('verify_error', 'text')
    .execute();
  await db.schema.createIndex('backups_target_created').on('backups').columns(['app', 'env', 'created_at']).execute();

  await db.schema
    .createTable('backup_parts')
    .addColumn('backup_id', 'text', (c) => c.notNull().references('backups.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('db', 'media')`))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('stored_size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_sha256', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_parts_pk', ['backup_id', 'kind'])
    .execute();

  await db.schema
    .createTable('restores')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('backup_id', 'text', (c) => c.notNull())
    .addColumn('parts', 'text', (c) => c.notNull())
    .addColumn('dest_app', 'text', (c) => c.notNull())
    .addColumn('dest_env', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`))
    .addColumn('safety_backup', 'boolean', (c) => c.notNull())
    .addColumn('safety_backup_id', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('restores').execute();
  await db.schema.dropTable('backup_parts').execute();
  await db.schema.dropTable('backups').execute();
}
