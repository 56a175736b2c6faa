import type { Backup } from '../../src/domain/backup.ts';
import type { Download } from '../../src/domain/download.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RetentionDecision } from '../../src/retention/retention-decision.ts';
import { formatBytes, formatTime, shortCodeVersion } from '../../src/text/format-units.ts';
import { proofWords } from '../../src/text/proof-words.ts';

export { formatBytes, formatTime, shortCodeVersion };

/** One line per backup for lists: id, target, trigger, status, when, size, retention, note. */
export function backupLine(backup: Backup, retention?: RetentionDecision): string {
  const size = backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0);
  const note = backup.note ? `  "${backup.note}"` : '';
  const code = backup.codeVersion ? `  code ${shortCodeVersion(backup.codeVersion)}` : '';
  const withoutRows = backup.storedParts.find((p) => p.tablesWithoutRows?.length)?.tablesWithoutRows?.length ?? 0;
  const leftOut = withoutRows > 0 ? `  (${withoutRows} ${withoutRows === 1 ? 'table' : 'tables'} without rows)` : '';
  const state = backup.status === 'completed' ? backup.parts : `${backup.parts} ${backup.status.toUpperCase()}`;
  const kept =
    retention === undefined
      ? ''
      : retention.keep
        ? `  [${retention.reason}]`
        : `  [pending deletion: ${retention.reason}]`;
  const proof = proofWords(backup);
  const drilled = proof === undefined ? '' : `  ${proof}`;
  return `${backup.id}  ${backup.app}/${backup.env}  ${formatTime(backup.createdAt)}  ${backup.trigger}  ${state}  ${formatBytes(size)}${leftOut}${code}${kept}${drilled}${note}`;
}

/** " Without the rows of public.django_session." for a backup whose database part left rows out; else "". */
export function withoutRowsSentence(backup: Backup): string {
  const tables = backup.storedParts.flatMap((p) => p.tablesWithoutRows ?? []);
  return tables.length === 0 ? '' : ` Without the rows of ${tables.join(', ')} (excludeTableData).`;
}

/**
 * "op 4tq9zz  backup 7k3qx2 of shop/live  running, attempt 1/3: db 12.0 MB / 40.0 MB  by cli:ana"; a finished one says
 * when it ended and, unless it succeeded, why.
 */
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
  } else if (operation.finishedAt !== null) {
    state = `${operation.status} ${formatTime(operation.finishedAt)}${operation.status === 'succeeded' || !operation.error ? '' : `: ${operation.error}`}`;
  }
  return `op ${operation.id}  ${what}  ${state}${operation.requestedBy ? `  by ${operation.requestedBy}` : ''}`;
}

/** "  shop-live-7k3qx2.dump (12.0 MB): https://..." per file of a ready download. */
export function downloadLinkLines(download: Download): string[] {
  return download.files.map((f) => `  ${f.filename} (${formatBytes(f.sizeBytes)}): ${f.url}`);
}
