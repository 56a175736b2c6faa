import type { Backup } from '../../src/domain/backup.ts';
import type { Download } from '../../src/domain/download.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RetentionDecision } from '../../src/retention/retention-decision.ts';
import { formatBytes, formatTime } from '../../src/text/format-units.ts';

export { formatBytes, formatTime };

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

/**
 * "op 4tq9zz  backup 7k3qx2 of shop/live  running, attempt 1/3: db 12.0 MB / 40.0 MB  by cli:ana"; a finished one says
 * when it ended and, unless it succeeded, why. `person` writes who asked (see HandlerContext.person).
 */
export function operationLine(operation: Operation, person: (principal: string) => string = (id) => id): string {
  const what = `${operation.kind} ${operation.subjectId}${operation.target ? ` of ${operation.target}` : ''}`;
  let state: string = operation.status;
  if (operation.status === 'running') {
    const total = operation.bytesExpected !== null ? ` / ${formatBytes(operation.bytesExpected)}` : '';
    const progress = operation.phase ? `: ${operation.phase} ${formatBytes(operation.bytesDone)}${total}` : '';
    state = `running, attempt ${operation.attempts}/${operation.maxAttempts}${progress}`;
    if (operation.cancelRequestedBy) state += ` (cancel asked by ${person(operation.cancelRequestedBy)})`;
  } else if (operation.status === 'queued' && operation.runAfter !== null && operation.attempts > 0) {
    state = `retrying at ${formatTime(operation.runAfter)} (attempt ${operation.attempts + 1}/${operation.maxAttempts}): ${operation.error}`;
  } else if (operation.status === 'queued') {
    state = `queued since ${formatTime(operation.createdAt)}`;
  } else if (operation.finishedAt !== null) {
    state = `${operation.status} ${formatTime(operation.finishedAt)}${operation.status === 'succeeded' || !operation.error ? '' : `: ${operationError(operation, person)}`}`;
  }
  return `op ${operation.id}  ${what}  ${state}${operation.requestedBy ? `  by ${person(operation.requestedBy)}` : ''}`;
}

/**
 * An operation's error, with whoever cancelled it written as `person` writes people ("cancelled by @ana" in chat,
 * "cancelled by cli:ana" on the command line).
 */
export function operationError(
  operation: Operation,
  person: (principal: string) => string = (id) => id,
): string | null {
  const by = operation.cancelRequestedBy;
  if (by === null || operation.error === null) return operation.error;
  return operation.error.replace(`cancelled by ${by}`, `cancelled by ${person(by)}`);
}

/** "  shop-live-7k3qx2.dump (12.0 MB): https://..." per file of a ready download. */
export function downloadLinkLines(download: Download): string[] {
  return download.files.map((f) => `  ${f.filename} (${formatBytes(f.sizeBytes)}): ${f.url}`);
}
