// The JSON shapes of backups, restores, operations and downloads: the --json contract of DESIGN.md, which the HTTP
// API answers with too (add fields freely, rename none).

import type { AuditEntry } from '../domain/audit-entry.ts';
import type { Backup, Restore } from '../domain/backup.ts';
import type { Download } from '../domain/download.ts';
import type { Drill } from '../domain/drill.ts';
import type { Operation } from '../domain/operation.ts';
import type { RestoreRequest } from '../domain/restore-request.ts';
import type { ScheduleSummary } from '../jobs/schedule-summary.ts';
import type { RetentionDecision } from '../retention/retention-decision.ts';

/** The backup shape of DESIGN.md's --json contract (add fields freely, rename none). */
export function backupJson(backup: Backup, retention?: RetentionDecision) {
  return {
    id: backup.id,
    app: backup.app,
    env: backup.env,
    trigger: backup.trigger,
    status: backup.status,
    note: backup.note,
    requestedBy: backup.requestedBy,
    createdAt: backup.createdAt.toISOString(),
    completedAt: backup.completedAt?.toISOString() ?? null,
    parts: backup.storedParts.map((p) => ({
      kind: p.kind,
      key: p.key,
      sizeBytes: p.sizeBytes,
      sha256: p.sha256,
      storedSizeBytes: p.storedSizeBytes,
      storedSha256: p.storedSha256,
      ...(p.kind === 'db' && { tablesWithoutRows: p.tablesWithoutRows ?? [] }),
      ...(p.tableRows !== undefined && { tableRows: p.tableRows }),
    })),
    requestedParts: backup.parts,
    codeVersion: backup.codeVersion,
    ...(retention !== undefined && { retention: { keep: retention.keep, reason: retention.reason } }),
    pinned: backup.pinned,
    error: backup.error,
    verifiedAt: backup.verifiedAt?.toISOString() ?? null,
    verifyError: backup.verifyError,
    provenAt: backup.provenAt?.toISOString() ?? null,
    proofSeconds: backup.proofSeconds,
    proofError: backup.proofError,
  };
}

/** A drill for --json: `drill` prints it (with `operationId`). */
export function drillJson(drill: Drill) {
  return {
    id: drill.id,
    backupId: drill.backupId,
    app: drill.app,
    env: drill.env,
    status: drill.status,
    requestedBy: drill.requestedBy,
    createdAt: drill.createdAt.toISOString(),
    startedAt: drill.startedAt?.toISOString() ?? null,
    finishedAt: drill.finishedAt?.toISOString() ?? null,
    seconds: drill.seconds,
    error: drill.error,
  };
}

/** The restore shape of DESIGN.md's --json contract. */
export function restoreJson(restore: Restore) {
  return {
    id: restore.id,
    backupId: restore.backupId,
    parts: restore.parts,
    destination: { app: restore.destApp, env: restore.destEnv },
    status: restore.status,
    safetyBackupId: restore.safetyBackupId,
    requestedBy: restore.requestedBy,
    createdAt: restore.createdAt.toISOString(),
    completedAt: restore.completedAt?.toISOString() ?? null,
    error: restore.error,
  };
}

/** An operation (a queued or running backup or restore) for --json: `status` and `cancel` print these. */
export function operationJson(operation: Operation) {
  return {
    id: operation.id,
    kind: operation.kind,
    subjectId: operation.subjectId,
    target: operation.target,
    status: operation.status,
    attempts: operation.attempts,
    maxAttempts: operation.maxAttempts,
    phase: operation.phase,
    bytesDone: operation.bytesDone,
    bytesExpected: operation.bytesExpected,
    requestedBy: operation.requestedBy,
    cancelRequestedBy: operation.cancelRequestedBy,
    createdAt: operation.createdAt.toISOString(),
    startedAt: operation.startedAt?.toISOString() ?? null,
    finishedAt: operation.finishedAt?.toISOString() ?? null,
    error: operation.error,
    runAfter: operation.runAfter?.toISOString() ?? null,
  };
}

/** The download shape of DESIGN.md's --json contract. */
export function downloadJson(download: Download) {
  return {
    id: download.id,
    backupId: download.backupId,
    status: download.status,
    expiresAt: download.expiresAt?.toISOString() ?? null,
    links: download.files.map((f) => ({ kind: f.kind, url: f.url, filename: f.filename, sizeBytes: f.sizeBytes })),
    parts: download.parts,
    requestedBy: download.requestedBy,
    email: download.email,
    createdAt: download.createdAt.toISOString(),
    readyAt: download.readyAt?.toISOString() ?? null,
    error: download.error,
  };
}

/** A restore request waiting for (or given) a second person's approval. */
export function restoreRequestJson(request: RestoreRequest) {
  return {
    id: request.id,
    backupId: request.backupId,
    parts: request.parts,
    destination: { app: request.destApp, env: request.destEnv },
    safetyBackup: request.safetyBackup,
    status: request.status,
    requestedBy: request.requestedBy,
    createdAt: request.createdAt.toISOString(),
    expiresAt: request.expiresAt.toISOString(),
    decidedBy: request.decidedBy,
    decidedAt: request.decidedAt?.toISOString() ?? null,
    restoreId: request.restoreId,
  };
}

/** A target's schedule, next run, last scheduled result and retention policy (`schedule --json`). */
export function scheduleJson(summary: ScheduleSummary) {
  return {
    app: summary.app,
    env: summary.env,
    schedule: summary.schedule,
    nextRunAt: summary.nextRunAt?.toISOString() ?? null,
    lastBackup:
      summary.lastBackup === null
        ? null
        : {
            id: summary.lastBackup.id,
            status: summary.lastBackup.status,
            createdAt: summary.lastBackup.createdAt.toISOString(),
            completedAt: summary.lastBackup.completedAt?.toISOString() ?? null,
            error: summary.lastBackup.error,
          },
    lastCompletedAt: summary.lastCompletedAt?.toISOString() ?? null,
    retention: summary.retention,
    drill: {
      schedule: summary.drill.schedule,
      nextRunAt: summary.drill.nextRunAt?.toISOString() ?? null,
      lastProven:
        summary.drill.lastProven === null
          ? null
          : {
              backupId: summary.drill.lastProven.backupId,
              at: summary.drill.lastProven.at.toISOString(),
              seconds: summary.drill.lastProven.seconds,
            },
      lastFailed:
        summary.drill.lastFailed === null
          ? null
          : { ...summary.drill.lastFailed, at: summary.drill.lastFailed.at.toISOString() },
    },
  };
}

/** An entry of the audit log (`audit --json`). */
export function auditEntryJson(entry: AuditEntry) {
  return { ...entry, at: entry.at.toISOString() };
}
