import { type Kysely, sql } from 'kysely';

/**
 * The claim's order over the operations that can run: `seq` of the queued and running ones only. The queue keeps
 * finished operations for 30 days, and the claim, taking the oldest runnable operation by `seq`, walked every one of
 * them on the unique `seq` index: behind the 300,000 a month of 10,000 daily targets leaves, a claim took about 90 ms,
 * under the lock that serialises claims (bench/RESULTS.md, capacity). Written for PostgreSQL and SQLite alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('operations_runnable')
    .on('operations')
    .column('seq')
    .where(sql.ref('status'), 'in', sql`('queued', 'running')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('operations_runnable').execute();
}
