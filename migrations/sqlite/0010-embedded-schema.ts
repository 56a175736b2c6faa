import { type Kysely, sql } from 'kysely';

/**
 * The embedded (SQLite) state's schema, equal to the PostgreSQL state's after its migrations 0001 to 0010: the
 * same tables, columns, keys, checks and indexes. SQLite types differ: timestamps are ISO text and booleans 0/1
 * (src/state/sqlite-values.ts converts them), and a bigserial is an integer primary key, so `operations` is keyed by
 * its claim order `seq` with `id` unique; a text primary key says `not null`, which SQLite does not imply. Later
 * migrations are written for both databases under one name.
 */
const statements = [
  `create table backups (
    id text not null primary key,
    app text not null,
    env text not null,
    trigger text not null check (trigger in ('scheduled', 'on-demand')),
    status text not null check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
    parts text not null,
    note text,
    requested_by text,
    created_at text not null,
    started_at text,
    completed_at text,
    error text,
    pinned integer not null default 0,
    tool_version text not null,
    verified_at text,
    verify_error text,
    slot text
  )`,
  'create index backups_target_created on backups (app, env, created_at)',
  'create unique index backups_slot on backups (app, env, slot)',
  `create table backup_parts (
    backup_id text not null references backups (id) on delete cascade,
    kind text not null check (kind in ('db', 'media')),
    key text not null,
    size_bytes integer not null,
    sha256 text not null,
    stored_size_bytes integer not null,
    stored_sha256 text not null,
    primary key (backup_id, kind)
  )`,
  `create table restores (
    id text not null primary key,
    backup_id text not null,
    parts text not null,
    dest_app text not null,
    dest_env text not null,
    status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    safety_backup integer not null,
    safety_backup_id text,
    requested_by text,
    created_at text not null,
    started_at text,
    completed_at text,
    error text
  )`,
  `create table operations (
    seq integer primary key autoincrement,
    id text not null unique,
    kind text not null,
    subject_id text not null,
    target text,
    status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts integer not null default 0,
    max_attempts integer not null,
    lease_owner text,
    lease_expires_at text,
    cancel_requested_by text,
    phase text,
    bytes_done integer not null default 0,
    bytes_expected integer,
    requested_by text,
    created_at text not null,
    started_at text,
    finished_at text,
    error text,
    run_after text
  )`,
  'create unique index operations_subject on operations (kind, subject_id)',
  `create index operations_active on operations (target, seq) where status in ('queued', 'running')`,
  `create table schedules (
    app text not null,
    env text not null,
    first_seen_at text not null,
    primary key (app, env)
  )`,
  `create table events (
    id integer primary key autoincrement,
    type text not null,
    app text,
    env text,
    subject_id text,
    data text not null,
    created_at text not null,
    dedupe_key text unique
  )`,
  'create index events_created on events (created_at)',
  `create table downloads (
    id text not null primary key,
    backup_id text not null,
    parts text not null,
    status text not null check (status in ('queued', 'running', 'ready', 'failed', 'expired')),
    requested_by text,
    email text,
    created_at text not null,
    ready_at text,
    expires_at text,
    error text,
    files text not null default '[]'
  )`,
  'create index downloads_expires on downloads (status, expires_at)',
  `create table webhook_deliveries (
    id text not null primary key,
    endpoint text not null,
    event_id integer,
    digest_day text,
    status text not null check (status in ('pending', 'delivered', 'failed')),
    created_at text not null,
    delivered_at text,
    error text
  )`,
  'create unique index webhook_deliveries_event on webhook_deliveries (endpoint, event_id)',
  'create unique index webhook_deliveries_digest on webhook_deliveries (endpoint, digest_day)',
  `create table webhook_attempts (
    delivery_id text not null references webhook_deliveries (id) on delete cascade,
    attempt integer not null,
    at text not null,
    duration_ms integer not null,
    status_code integer,
    error text,
    primary key (delivery_id, attempt)
  )`,
  `create table event_cursors (
    name text not null primary key,
    last_event_id integer not null
  )`,
  `create table api_tokens (
    id text not null primary key,
    name text not null,
    secret_sha256 text not null unique,
    role text not null check (role in ('viewer', 'operator', 'restorer', 'approver')),
    apps text not null,
    created_at text not null,
    last_used_at text,
    revoked_at text
  )`,
  `create table audit_log (
    id integer primary key autoincrement,
    at text not null,
    principal text not null,
    app text,
    action text not null,
    outcome text not null check (outcome in ('ok', 'failed', 'refused')),
    detail text
  )`,
  'create index audit_log_app_at on audit_log (app, at)',
  `create table restore_requests (
    id text not null primary key,
    backup_id text not null,
    parts text not null,
    dest_app text not null,
    dest_env text not null,
    safety_backup integer not null,
    requested_by text not null,
    status text not null check (status in ('pending', 'approved', 'denied', 'expired', 'withdrawn')),
    created_at text not null,
    expires_at text not null,
    decided_by text,
    decided_at text,
    restore_id text,
    cards text not null default '[]',
    cards_shown text not null default 'pending',
    post_cards integer not null default 0
  )`,
  `create table fleet_settings (
    name text not null primary key,
    value text not null,
    updated_at text not null
  )`,
  `create table delivered_chat_requests (
    key text not null primary key,
    expires_at text not null
  )`,
  'create index delivered_chat_requests_expires_at on delivered_chat_requests (expires_at)',
  `create table idempotency_keys (
    principal text not null,
    key text not null,
    fingerprint text not null,
    status integer,
    location text,
    body text,
    created_at text not null,
    expires_at text not null,
    primary key (principal, key)
  )`,
  'create index idempotency_keys_expires_at on idempotency_keys (expires_at)',
  `create table web_sessions (
    secret_sha256 text not null primary key,
    principal text not null,
    also text not null,
    name text not null,
    config_holder integer not null,
    csrf text not null,
    created_at text not null,
    expires_at text not null,
    ended_at text
  )`,
  `create table web_sign_in_links (
    secret_sha256 text not null primary key,
    principal text not null,
    created_at text not null,
    expires_at text not null,
    used_at text
  )`,
  `create table web_sign_in_attempts (
    state_sha256 text not null primary key,
    nonce text not null,
    verifier text not null,
    redirect_uri text not null,
    created_at text not null,
    expires_at text not null
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
