import type { Backup, Restore } from '../src/engine/catalog.ts';
import type { Download } from '../src/engine/downloads.ts';
import { formatBytes, formatTime } from '../src/format-units.ts';
import type { Operation } from '../src/jobs/operation-queue.ts';
import type { RetentionDecision } from '../src/retention/retention-decision.ts';

export { formatBytes, formatTime };

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
    })),
    requestedParts: backup.parts,
    ...(retention !== undefined && { retention: { keep: retention.keep, reason: retention.reason } }),
    pinned: backup.pinned,
    error: backup.error,
    verifiedAt: backup.verifiedAt?.toISOString() ?? null,
    verifyError: backup.verifyError,
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

/** One line per backup for lists: id, target, trigger, status, when, size, retention, note. */
export function backupLine(backup: Backup, retention?: RetentionDecision): string {
  const size = backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0);
  const note = backup.note ? `  "${backup.note}"` : '';
  const state = backup.status === 'completed' ? backup.parts : `${backup.parts} ${backup.status.toUpperCase()}`;
  const kept =
    retention === undefined
      ? ''
      : retention.keep
        ? `  [${retention.reason}]`
        : `  [pending deletion: ${retention.reason}]`;
  return `${backup.id}  ${backup.app}/${backup.env}  ${formatTime(backup.createdAt)}  ${backup.trigger}  ${state}  ${formatBytes(size)}${kept}${note}`;
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

/** "op 4tq9zz  backup 7k3qx2 of shop/live  running, attempt 1/3: db 12.0 MB / 40.0 MB  by cli:ana" */
export function operationLine(operation: Operation): string {
  const what = `${operation.kind} ${operation.subjectId}${operation.target ? ` of ${operation.target}` : ''}`;
  let state: string = operation.status;
  if (operation.status === 'running') {
    const total = operation.bytesExpected !== null ? ` / ${formatBytes(operation.bytesExpected)}` : '';
    const progress = operation.phase ? `: ${operation.phase} ${formatBytes(operation.bytesDone)}${total}` : '';
    state = `running, attempt ${operation.attempts}/${operation.maxAttempts}${progress}`;
    if (operation.cancelRequestedBy) state += ` (cancel asked by ${operation.cancelRequestedBy})`;
  } else if (operation.status === 'queued' && operation.runAfter !== null && operation.attempts > 0) {
    state = `retrying at ${formatTime(operation.runAfter)} (attempt ${operation.attempts + 1}/${operation.maxAttempts}): ${operation.error}`;
  } else if (operation.status === 'queued') {
    state = `queued since ${formatTime(operation.createdAt)}`;
  }
  return `op ${operation.id}  ${what}  ${state}${operation.requestedBy ? `  by ${operation.requestedBy}` : ''}`;
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
