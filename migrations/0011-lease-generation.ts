import type { Kysely } from 'kysely';

/**
 * Fencing of the operations queue: `lease_generation` counts the claims of an operation (never going back, unlike
 * `attempts`, which a worker shutting down gives back). Each claim is one generation; an attempt names its objects
 * after it and records its outcome only while the operation's generation is still its own, so a worker that was cut
 * off past its lease cannot overwrite or complete what the attempt that took over is doing. Written for PostgreSQL
 * and SQLite alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('operations')
    .addColumn('lease_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operations').dropColumn('lease_generation').execute();
}
