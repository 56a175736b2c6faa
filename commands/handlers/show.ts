import type { Backup, Restore } from '../../src/domain/backup.ts';
import type { Download } from '../../src/domain/download.ts';
import type { Drill } from '../../src/domain/drill.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RetentionDecision } from '../../src/retention/retention-decision.ts';
import { proofWords } from '../../src/text/proof-words.ts';
import { backupJson, downloadJson, drillJson, operationJson, restoreJson } from '../../src/use-cases/json-shapes.ts';
import { showById } from '../../src/use-cases/show-by-id.ts';
import type { Command } from '../command.ts';
import { downloadLinkLines, formatBytes, formatTime, operationLine } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';

/** `show <id>`: a backup in detail, or the restore, download (with its links) or operation the id names. */
export async function handleShow(ctx: HandlerContext, command: Extract<Command, { name: 'show' }>): Promise<Reply> {
  const shown = await showById(ctx.engine, ctx.principal, command.id);
  switch (shown.kind) {
    case 'backup':
      return showBackup(ctx, shown.backup, shown.retention, shown.operation);
    case 'restore':
      return showRestore(shown.restore, shown.operation);
    case 'download':
      return showDownload(shown.download, shown.operation);
    case 'drill':
      return showDrill(shown.drill, shown.operation);
    case 'operation':
      return { outcome: 'ok', text: operationLine(shown.operation), data: operationJson(shown.operation) };
  }
}

function showBackup(
  ctx: HandlerContext,
  backup: Backup,
  retention: RetentionDecision | undefined,
  operation: Operation | undefined,
): Reply {
  const lines = [
    `Backup ${backup.id} of ${backup.app}/${backup.env}: ${backup.status}`,
    `  trigger:   ${backup.trigger}${backup.requestedBy ? ` by ${backup.requestedBy}` : ''}`,
    `  created:   ${formatTime(backup.createdAt)}`,
  ];
  if (backup.completedAt) lines.push(`  finished:  ${formatTime(backup.completedAt)}`);
  if (backup.note) lines.push(`  note:      ${backup.note}`);
  if (backup.codeVersion) lines.push(`  code:      ${backup.codeVersion}`);
  if (backup.error) lines.push(`  error:     ${backup.error}`);
  for (const part of backup.storedParts) {
    lines.push(
      `  ${part.kind.padEnd(5)}      ${formatBytes(part.sizeBytes)} (${formatBytes(part.storedSizeBytes)} stored)  sha256 ${part.sha256}`,
      `             ${ctx.engine.store.describe()}/${part.key}`,
    );
    if (part.tableRows !== undefined) {
      const tables = Object.keys(part.tableRows).length;
      const rows = Object.values(part.tableRows).reduce((sum, count) => sum + count, 0);
      lines.push(
        `             ${tables} ${tables === 1 ? 'table' : 'tables'}, ${rows.toLocaleString('en-US')} rows as of the dump`,
      );
    }
    if (part.tablesWithoutRows?.length) {
      lines.push(`             without the rows of ${part.tablesWithoutRows.join(', ')} (excludeTableData)`);
    }
  }
  if (retention)
    lines.push(
      `  retention: ${retention.keep ? `kept: ${retention.reason}` : `pending deletion: ${retention.reason}`}`,
    );
  if (backup.pinned) lines.push('  pinned:    yes (never deleted by retention)');
  if (backup.verifiedAt) {
    lines.push(
      `  verified:  ${formatTime(backup.verifiedAt)} ${backup.verifyError ? `FAILED: ${backup.verifyError}` : 'ok'}`,
    );
  }
  const proof = proofWords(backup);
  if (backup.status === 'completed') {
    lines.push(`  drill:     ${proof ?? `not drilled yet (prove it restores with: drill ${backup.id})`}`);
  }
  lines.push(...activeOperationLines(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...backupJson(backup, retention), ...(operation && { operationId: operation.id }) },
  };
}

function showRestore(restore: Restore, operation: Operation | undefined): Reply {
  const lines = [
    `Restore ${restore.id} of backup ${restore.backupId} into ${restore.destApp}/${restore.destEnv}: ${restore.status}`,
    `  parts:     ${restore.parts}`,
    `  asked:     ${formatTime(restore.createdAt)}${restore.requestedBy ? ` by ${restore.requestedBy}` : ''}`,
  ];
  if (restore.completedAt) lines.push(`  finished:  ${formatTime(restore.completedAt)}`);
  if (restore.safetyBackupId) {
    lines.push(`  safety:    backup ${restore.safetyBackupId} (restore it to undo this restore)`);
  } else if (!restore.safetyBackup) lines.push('  safety:    none (asked with --no-safety-backup)');
  if (restore.error) lines.push(`  error:     ${restore.error}`);
  lines.push(...activeOperationLines(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...restoreJson(restore), ...(operation && { operationId: operation.id }) },
  };
}

function showDownload(download: Download, operation: Operation | undefined): Reply {
  const data = { ...downloadJson(download), ...(operation && { operationId: operation.id }) };
  const what = `Download ${download.id} of backup ${download.backupId}`;
  if (download.status === 'ready') {
    const lines = [`${what} is ready; the links work until ${formatTime(download.expiresAt!)}.`];
    return { outcome: 'ok', text: [...lines, ...downloadLinkLines(download)].join('\n'), data, carriesLinks: true };
  }
  const state =
    download.status === 'expired'
      ? `its links expired${download.expiresAt ? ` at ${formatTime(download.expiresAt)}` : ''} and its files were deleted; ask for a new one with: download ${download.backupId}`
      : download.status === 'failed'
        ? `failed: ${download.error ?? operation?.error ?? 'see the log'}`
        : `${download.status}`;
  return { outcome: 'ok', text: [`${what}: ${state}`, ...activeOperationLines(operation)].join('\n'), data };
}

function showDrill(drill: Drill, operation: Operation | undefined): Reply {
  const ended =
    drill.status === 'succeeded'
      ? `proven restorable (in ${drill.seconds} s)`
      : drill.status === 'failed'
        ? `FAILED: ${drill.error}`
        : drill.status;
  const lines = [
    `Drill ${drill.id} of backup ${drill.backupId} of ${drill.app}/${drill.env}: ${ended}`,
    `  asked:     ${formatTime(drill.createdAt)}${drill.requestedBy ? ` by ${drill.requestedBy}` : ''}`,
  ];
  if (drill.finishedAt) lines.push(`  finished:  ${formatTime(drill.finishedAt)}`);
  lines.push(...activeOperationLines(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...drillJson(drill), ...(operation && { operationId: operation.id }) },
  };
}

function activeOperationLines(operation: Operation | undefined): string[] {
  if (!operation || (operation.status !== 'queued' && operation.status !== 'running')) return [];
  return [`  operation: ${operation.id} (${operation.status}; cancel with: cancel ${operation.id})`];
}
