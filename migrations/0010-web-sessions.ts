import type { Kysely } from 'kysely';

/**
 * Signed-in people of the web view. A session is known by the sha256 of the secret in its cookie (a stolen table
 * signs no one in); `principal` and `also` are who it stands for, `config_holder` marks a session opened with a link
 * from `backstop web login` (every role, approvals still needed), `csrf` the token its forms and scripts must send
 * back. A sign-in link is one use: `used_at` is set by the request that redeems it, and only one can.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('web_sessions')
    .addColumn('secret_sha256', 'text', (c) => c.primaryKey())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('also', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('config_holder', 'boolean', (c) => c.notNull())
    .addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('web_sign_in_links')
    .addColumn('secret_sha256', 'text', (c) => c.primaryKey())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  // Sign-ins started with an OpenID Connect provider: what the provider's answer must match (one use each).
  await db.schema
    .createTable('web_sign_in_attempts')
    .addColumn('state_sha256', 'text', (c) => c.primaryKey())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
