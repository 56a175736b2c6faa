import type { ColumnType, Generated } from 'kysely';
import type { BackupStatus, RestoreStatus, Trigger } from '../domain/backup.ts';
import type { DownloadStatus } from '../domain/download.ts';
import type { DrillStatus } from '../domain/drill.ts';
import type { OperationStatus } from '../domain/operation.ts';
import type { RestoreRequestStatus } from '../domain/restore-request.ts';

/** Backstop's own state. Timestamps are timestamptz; byte counts are bigint (read back as string or number). */
export interface StateTables {
  backups: BackupsTable;
  backup_parts: BackupPartsTable;
  drills: DrillsTable;
  restores: RestoresTable;
  operations: OperationsTable;
  schedules: SchedulesTable;
  events: EventsTable;
  event_counts: EventCountsTable;
  downloads: DownloadsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  event_cursors: EventCursorsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  restore_requests: RestoreRequestsTable;
  fleet_settings: FleetSettingsTable;
  delivered_chat_requests: DeliveredChatRequestsTable;
  idempotency_keys: IdempotencyKeysTable;
  web_sessions: WebSessionsTable;
  web_sign_in_links: WebSignInLinksTable;
  web_sign_in_attempts: WebSignInAttemptsTable;
}

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type BigCount = ColumnType<string | number | bigint, number, number>;

export interface BackupsTable {
  id: string;
  app: string;
  env: string;
  trigger: Trigger;
  status: BackupStatus;
  /** The parts asked for: db, media or db+media. */
  parts: string;
  note: string | null;
  requested_by: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  error: string | null;
  pinned: Generated<boolean>;
  tool_version: string;
  /** The application's code version when the backup ran, where the environment says how to read it. */
  code_version: string | null;
  verified_at: Timestamp | null;
  verify_error: string | null;
  /** When a drill last proved this backup restorable, how long it took, and what the newest drill found wrong. */
  proven_at: Timestamp | null;
  proof_seconds: number | null;
  proof_error: string | null;
  /** The scheduled time a scheduled backup was taken for; unique per target. Null for on-demand backups. */
  slot: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface DrillsTable {
  id: string;
  backup_id: string;
  app: string;
  env: string;
  status: DrillStatus;
  requested_by: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  error: string | null;
  seconds: number | null;
  slot: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface BackupPartsTable {
  backup_id: string;
  kind: 'db' | 'media';
  key: string;
  size_bytes: BigCount;
  sha256: string;
  stored_size_bytes: BigCount;
  stored_sha256: string;
  /** JSON array of the tables (`schema.table`) a database part kept without their rows; null when none. */
  tables_without_rows: string | null;
  /** JSON object of a database part's tables and their exact row counts in the dump's snapshot; null when unknown. */
  table_rows: string | null;
}

export interface RestoresTable {
  id: string;
  backup_id: string;
  parts: string;
  dest_app: string;
  dest_env: string;
  status: RestoreStatus;
  /** Whether a safety backup of the destination is taken first. */
  safety_backup: boolean;
  safety_backup_id: string | null;
  requested_by: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  error: string | null;
}

export interface OperationsTable {
  id: string;
  seq: Generated<string>;
  kind: string;
  subject_id: string;
  target: string | null;
  status: OperationStatus;
  attempts: Generated<number>;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  cancel_requested_by: string | null;
  phase: string | null;
  bytes_done: ColumnType<string | number | bigint, number | undefined, number>;
  bytes_expected: ColumnType<string | number | bigint | null, number | null | undefined, number | null>;
  requested_by: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  error: string | null;
  /** Not claimed before this time (a retry waiting out its backoff). */
  run_after: Timestamp | null;
  /** How many times the operation was claimed: the generation of the current lease (see LeaseFence). */
  lease_generation: Generated<number>;
}

export interface SchedulesTable {
  app: string;
  env: string;
  first_seen_at: Timestamp;
}

/** Events counted by type and target (and trigger, '' when none): the metrics' counters; kept by EventLog.record. */
export interface EventCountsTable {
  type: string;
  app: string;
  env: string;
  trigger: string;
  count: BigCount;
  /** The summed `durationMs` of the events that carry one. */
  duration_ms: BigCount;
}

export interface EventsTable {
  id: Generated<string>;
  type: string;
  app: string | null;
  env: string | null;
  subject_id: string | null;
  /** JSON: what a notification needs to say what happened. */
  data: string;
  created_at: Timestamp;
  dedupe_key: string | null;
}

export interface DownloadsTable {
  id: string;
  backup_id: string;
  parts: string;
  status: DownloadStatus;
  requested_by: string | null;
  email: string | null;
  created_at: Timestamp;
  ready_at: Timestamp | null;
  expires_at: Timestamp | null;
  error: string | null;
  /** JSON: [{ kind, key, filename, url, sizeBytes }] */
  files: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint: string;
  event_id: ColumnType<string | null, string | number | null, string | number | null>;
  digest_day: string | null;
  status: 'pending' | 'delivered' | 'failed';
  created_at: Timestamp;
  delivered_at: Timestamp | null;
  error: string | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface EventCursorsTable {
  name: string;
  last_event_id: ColumnType<string, string | number, string | number>;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  secret_sha256: string;
  role: 'viewer' | 'operator' | 'restorer' | 'approver';
  /** JSON array of app names, or ["*"]. */
  apps: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  principal: string;
  app: string | null;
  action: string;
  outcome: 'ok' | 'failed' | 'refused';
  detail: string | null;
}

export interface RestoreRequestsTable {
  id: string;
  backup_id: string;
  parts: string;
  dest_app: string;
  dest_env: string;
  safety_backup: boolean;
  requested_by: string;
  status: RestoreRequestStatus;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  restore_id: string | null;
  /** JSON: references of the posted cards. */
  cards: Generated<string>;
  /** What the cards last showed: a status, or `restore-succeeded` / `restore-failed` after an approval. */
  cards_shown: Generated<string>;
  /** Whether the chat side is still to post this request's cards to the channels bound to its destination. */
  post_cards: Generated<boolean>;
}

export interface FleetSettingsTable {
  name: string;
  value: string;
  updated_at: Timestamp;
}

export interface DeliveredChatRequestsTable {
  /** A name of one request: `slack-signature:v0=...`, `discord-interaction:<id>`, ... */
  key: string;
  /** When the request can no longer arrive again (its signature's time window has passed, with a margin). */
  expires_at: Timestamp;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  fingerprint: string;
  /** Null while the first request with the key is being handled. */
  status: number | null;
  location: string | null;
  /** The answer's JSON text. */
  body: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface WebSessionsTable {
  secret_sha256: string;
  principal: string;
  /** JSON array of the further principals the person stands for. */
  also: string;
  /** What the page calls them (their name or email). */
  name: string;
  config_holder: boolean;
  csrf: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
}

export interface WebSignInLinksTable {
  secret_sha256: string;
  principal: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface WebSignInAttemptsTable {
  state_sha256: string;
  nonce: string;
  verifier: string;
  redirect_uri: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}
