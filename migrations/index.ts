import type { Migration } from 'kysely/migration';
import * as backupsAndRestores from './0001-backups-and-restores.ts';
import * as operationsSchedulesEvents from './0002-operations-schedules-events.ts';
import * as downloadsDeliveriesTokens from './0003-downloads-deliveries-tokens.ts';
import * as auditAndApprovals from './0004-audit-and-approvals.ts';
import * as cancelledStatus from './0005-cancelled-status.ts';
import * as fleetSettings from './0006-fleet-settings.ts';
import * as deliveredChatRequests from './0007-delivered-chat-requests.ts';
import * as idempotencyKeys from './0008-idempotency-keys.ts';
import * as restoreRequestCards from './0009-restore-request-cards.ts';
import * as webSessions from './0010-web-sessions.ts';
import * as leaseGeneration from './0011-lease-generation.ts';
import * as runnableOperations from './0012-runnable-operations.ts';
import * as whatABackupHolds from './0013-what-a-backup-holds.ts';
import * as restoreDrills from './0014-restore-drills.ts';
import * as embeddedSchema from './sqlite/0010-embedded-schema.ts';

/**
 * Every migration of the PostgreSQL state, by name. Names sort in the order they run: a new migration takes the next number
 * (0002-..., 0003-...) and is added here.
 */
export const migrations: Record<string, Migration> = {
  '0001-backups-and-restores': backupsAndRestores,
  '0002-operations-schedules-events': operationsSchedulesEvents,
  '0003-downloads-deliveries-tokens': downloadsDeliveriesTokens,
  '0004-audit-and-approvals': auditAndApprovals,
  '0005-cancelled-status': cancelledStatus,
  '0006-fleet-settings': fleetSettings,
  '0007-delivered-chat-requests': deliveredChatRequests,
  '0008-idempotency-keys': idempotencyKeys,
  '0009-restore-request-cards': restoreRequestCards,
  '0010-web-sessions': webSessions,
  '0011-lease-generation': leaseGeneration,
  '0012-runnable-operations': runnableOperations,
  '0013-what-a-backup-holds': whatABackupHolds,
  '0014-restore-drills': restoreDrills,
};

/**
 * Every migration of the embedded SQLite state, by name: the schema as of PostgreSQL's 0010 in one step, then the
 * same later migrations as above (each written for both databases under one name).
 */
export const sqliteMigrations: Record<string, Migration> = {
  '0010-embedded-schema': embeddedSchema,
  '0011-lease-generation': leaseGeneration,
  '0012-runnable-operations': runnableOperations,
  '0013-what-a-backup-holds': whatABackupHolds,
  '0014-restore-drills': restoreDrills,
};
