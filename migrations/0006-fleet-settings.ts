import type { Kysely } from 'kysely';

/**
 * What every instance sharing the state must agree on: the age recipients the fleet encrypts to, and the secret
 * download links are signed with.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('fleet_settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
