import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * What a backup holds beyond its bytes: `backups.code_version`, the application's code version read when the backup
 * ran (an environment variable or a command of the process taking it, per environment), and
 * `backup_parts.tables_without_rows`, a JSON array of the tables (`schema.table`) a database part kept without their
 * rows (`excludeTableData`), and `backup_parts.table_rows`, a JSON object of each table's exact row count in the dump's
 * snapshot (what a drill checks a restore against). Null when not known or not asked for.
 *
 * And `event_counts`: how many events of each type each target has had (per trigger, for backups), with the summed
 * run time of those that carry one, kept up by every event recorded and filled here from the events so far. The
 * metrics' counters read it: counting the event log itself at every scrape took 1.2 s a scrape behind a million
 * events (a hundred days of 10,000 daily targets), and the log keeps every event. Written for PostgreSQL and SQLite alike (one
 * column per statement: SQLite adds one at a time).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backups').addColumn('code_version', 'text').execute();
  await db.schema.alterTable('backup_parts').addColumn('tables_without_rows', 'text').execute();
  await db.schema.alterTable('backup_parts').addColumn('table_rows', 'text').execute();
  await db.schema
    .createTable('event_counts')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_counts_key', ['type', 'app', 'env', 'trigger'])
    .execute();
  const embedded = db.getExecutor().adapter instanceof SqliteAdapter;
  const trigger = embedded ? sql`json_extract(data, '$.trigger')` : sql`(data::json ->> 'trigger')`;
  const duration = embedded ? sql`json_extract(data, '$.durationMs')` : sql`(data::json ->> 'durationMs')`;
  await sql`insert into event_counts (type, app, env, trigger, count, duration_ms)
    select type, app, env, coalesce(${trigger}, ''), count(*),
           coalesce(sum(cast(round(cast(${duration} as double precision)) as bigint)), 0)
    from events where app is not null and env is not null
    group by type, app, env, coalesce(${trigger}, '')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_counts').execute();
  await db.schema.alterTable('backup_parts').dropColumn('table_rows').execute();
  await db.schema.alterTable('backup_parts').dropColumn('tables_without_rows').execute();
  await db.schema.alterTable('backups').dropColumn('code_version').execute();
}
