import { type Kysely, sql } from 'kysely';

/** A backup or restore that someone cancelled is recorded as cancelled, not failed. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table backups drop constraint backups_status_check`.execute(db);
  await sql`alter table backups add constraint backups_status_check
    check (status in ('queued', 'running', 'completed', 'failed', 'cancelled'))`.execute(db);
  await sql`alter table restores drop constraint restores_status_check`.execute(db);
  await sql`alter table restores add constraint restores_status_check
    check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled'))`.execute(db);
}
