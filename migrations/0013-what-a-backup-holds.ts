import type { Kysely } from 'kysely';

/**
 * What a backup holds beyond its bytes: `backups.code_version`, the application's code version read when the backup
 * ran (an environment variable or a command of the process taking it, per environment), and
 * `backup_parts.tables_without_rows`, a JSON array of the tables (`schema.table`) a database part kept without their
 * rows (`excludeTableData`), and `backup_parts.table_rows`, a JSON object of each table's exact row count in the dump's
 * snapshot (what a drill checks a restore against). Null when not known or not asked for. Written for PostgreSQL and SQLite alike (one
 * column per statement: SQLite adds one at a time).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backups').addColumn('code_version', 'text').execute();
  await db.schema.alterTable('backup_parts').addColumn('tables_without_rows', 'text').execute();
  await db.schema.alterTable('backup_parts').addColumn('table_rows', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backup_parts').dropColumn('table_rows').execute();
  await db.schema.alterTable('backup_parts').dropColumn('tables_without_rows').execute();
  await db.schema.alterTable('backups').dropColumn('code_version').execute();
}
