import type { Kysely } from 'kysely';

/**
 * What the chat cards of a restore request show, so that a decision taken on any surface (chat, the API, the web
 * view) or the request's expiry reaches every card: `cards_shown` is the state the cards last showed (the request's
 * status, or for an approved one the outcome of its restore); `post_cards` marks a request opened where no card was
 * posted (the API, the web view), whose cards the chat side posts to the channels bound to its destination.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('restore_requests')
    .addColumn('cards_shown', 'text', (c) => c.notNull().defaultTo('pending'))
    .execute();
  await db.schema
    .alterTable('restore_requests')
    .addColumn('post_cards', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}
