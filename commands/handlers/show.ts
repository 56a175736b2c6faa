import type { Backup, BackupPart, Restore } from '../../src/domain/backup.ts';
import type { Download } from '../../src/domain/download.ts';
import type { Drill } from '../../src/domain/drill.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RetentionDecision } from '../../src/retention/retention-decision.ts';
import { proofWords } from '../../src/text/proof-words.ts';
import { backupJson, downloadJson, drillJson, operationJson, restoreJson } from '../../src/use-cases/json-shapes.ts';
import { showById } from '../../src/use-cases/show-by-id.ts';
import type { Command } from '../command.ts';
import {
  downloadLinkLines,
  formatBytes,
  formatTime,
  operationLine,
  operationView,
  readyDownloadView,
} from './format.ts';
import { proofPhrase } from './proof-phrase.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { type Phrase, statusTone, type ViewBlock } from './reply-view.ts';

/** `show <id>`: a backup in detail, or the restore, download (with its links), drill or operation the id names. */
export async function handleShow(ctx: HandlerContext, command: Extract<Command, { name: 'show' }>): Promise<Reply> {
  const shown = await showById(ctx.engine, ctx.principal, command.id);
  switch (shown.kind) {
    case 'backup':
      return showBackup(ctx, shown.backup, shown.retention, shown.operation);
    case 'restore':
      return showRestore(ctx, shown.restore, shown.operation);
    case 'download':
      return showDownload(shown.download, shown.operation);
    case 'drill':
      return showDrill(ctx, shown.drill, shown.operation);
    case 'operation':
      return {
        outcome: 'ok',
        text: operationLine(shown.operation, ctx.person),
        data: operationJson(shown.operation),
        view: operationView(shown.operation),
      };
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
    `  trigger:   ${backup.trigger}${backup.requestedBy ? ` by ${person(ctx, backup.requestedBy)}` : ''}`,
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
    for (const line of partContentsLines(part)) lines.push(`             ${line}`);
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
  const proof = proofWords(backup, 'under a label');
  if (backup.status === 'completed') {
    lines.push(`  drill:     ${proof ?? `not drilled yet (prove it restores with: drill ${backup.id})`}`);
  }
  lines.push(...activeOperationLines(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...backupJson(backup, retention), ...(operation && { operationId: operation.id }) },
    view: backupView(ctx, backup, retention, operation),
  };
}

function backupView(
  ctx: HandlerContext,
  backup: Backup,
  retention: RetentionDecision | undefined,
  operation: Operation | undefined,
): ViewBlock[] {
  const fields: [string, Phrase][] = [
    ['trigger', `${backup.trigger}${backup.requestedBy ? ` by ${backup.requestedBy}` : ''}`],
    ['created', { at: backup.createdAt }],
  ];
  if (backup.completedAt) fields.push(['finished', { at: backup.completedAt }]);
  if (backup.note) fields.push(['note', backup.note]);
  if (backup.codeVersion) fields.push(['code', backup.codeVersion]);
  if (backup.error) fields.push(['error', { text: backup.error, tone: 'bad' }]);
  for (const part of backup.storedParts) {
    fields.push(
      [
        part.kind,
        [{ bytes: part.sizeBytes }, ' (', { bytes: part.storedSizeBytes }, ` stored)  sha256 ${part.sha256}`],
      ],
      ['', `${ctx.engine.store.describe()}/${part.key}`],
    );
    const contents = partContentsLines(part);
    for (const line of contents) fields.push(['', line]);
  }
  if (retention) {
    fields.push([
      'retention',
      retention.keep ? `kept: ${retention.reason}` : { text: `pending deletion: ${retention.reason}`, tone: 'busy' },
    ]);
  }
  if (backup.pinned) fields.push(['pinned', 'yes (never deleted by retention)']);
  if (backup.verifiedAt) {
    fields.push([
      'verified',
      [
        { at: backup.verifiedAt },
        ' ',
        backup.verifyError ? { text: `FAILED: ${backup.verifyError}`, tone: 'bad' } : { text: 'ok', tone: 'good' },
      ],
    ]);
  }
  if (backup.status === 'completed') {
    fields.push([
      'drill',
      proofPhrase(backup, 'field') ?? {
        text: `not drilled yet (prove it restores with: drill ${backup.id})`,
        tone: 'quiet',
      },
    ]);
  }
  fields.push(...activeOperationFields(operation));
  return [
    {
      kind: 'line',
      phrase: [
        `Backup ${backup.id} of ${backup.app}/${backup.env}: `,
        { text: backup.status, tone: statusTone(backup.status) },
      ],
    },
    { kind: 'fields', fields },
  ];
}

function showRestore(ctx: HandlerContext, restore: Restore, operation: Operation | undefined): Reply {
  const lines = [
    `Restore ${restore.id} of backup ${restore.backupId} into ${restore.destApp}/${restore.destEnv}: ${restore.status}`,
    `  parts:     ${restore.parts}`,
    `  asked:     ${formatTime(restore.createdAt)}${restore.requestedBy ? ` by ${person(ctx, restore.requestedBy)}` : ''}`,
  ];
  if (restore.completedAt) lines.push(`  finished:  ${formatTime(restore.completedAt)}`);
  if (restore.safetyBackupId) {
    lines.push(`  safety:    backup ${restore.safetyBackupId} (restore it to undo this restore)`);
  } else if (!restore.safetyBackup) lines.push('  safety:    none (asked with --no-safety-backup)');
  if (restore.error) lines.push(`  error:     ${restore.error}`);
  lines.push(...activeOperationLines(operation));
  const fields: [string, Phrase][] = [
    ['parts', restore.parts],
    ['asked', [{ at: restore.createdAt }, restore.requestedBy ? ` by ${restore.requestedBy}` : '']],
  ];
  if (restore.completedAt) fields.push(['finished', { at: restore.completedAt }]);
  if (restore.safetyBackupId) {
    fields.push(['safety', `backup ${restore.safetyBackupId} (restore it to undo this restore)`]);
  } else if (!restore.safetyBackup) fields.push(['safety', 'none (asked with --no-safety-backup)']);
  if (restore.error) fields.push(['error', { text: restore.error, tone: 'bad' }]);
  fields.push(...activeOperationFields(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...restoreJson(restore), ...(operation && { operationId: operation.id }) },
    view: [
      {
        kind: 'line',
        phrase: [
          `Restore ${restore.id} of backup ${restore.backupId} into ${restore.destApp}/${restore.destEnv}: `,
          { text: restore.status, tone: statusTone(restore.status) },
        ],
      },
      { kind: 'fields', fields },
    ],
  };
}

function showDownload(download: Download, operation: Operation | undefined): Reply {
  const data = { ...downloadJson(download), ...(operation && { operationId: operation.id }) };
  const what = `Download ${download.id} of backup ${download.backupId}`;
  if (download.status === 'ready') {
    const lines = [`${what} is ready; the links work until ${formatTime(download.expiresAt!)}.`];
    return {
      outcome: 'ok',
      text: [...lines, ...downloadLinkLines(download)].join('\n'),
      data,
      carriesLinks: true,
      view: readyDownloadView(download),
    };
  }
  const state =
    download.status === 'expired'
      ? `its links expired${download.expiresAt ? ` at ${formatTime(download.expiresAt)}` : ''} and its files were deleted; ask for a new one with: download ${download.backupId}`
      : download.status === 'failed'
        ? `failed: ${download.error ?? operation?.error ?? 'see the log'}`
        : `${download.status}`;
  return { outcome: 'ok', text: [`${what}: ${state}`, ...activeOperationLines(operation)].join('\n'), data };
}

function showDrill(ctx: HandlerContext, drill: Drill, operation: Operation | undefined): Reply {
  const ended =
    drill.status === 'succeeded'
      ? `proven restorable (in ${drill.seconds} s)`
      : drill.status === 'failed'
        ? `FAILED: ${drill.error}`
        : drill.status;
  const what = `Drill ${drill.id} of backup ${drill.backupId} of ${drill.app}/${drill.env}: `;
  const lines = [
    `${what}${ended}`,
    `  asked:     ${formatTime(drill.createdAt)}${drill.requestedBy ? ` by ${person(ctx, drill.requestedBy)}` : ''}`,
  ];
  if (drill.finishedAt) lines.push(`  finished:  ${formatTime(drill.finishedAt)}`);
  lines.push(...activeOperationLines(operation));
  const fields: [string, Phrase][] = [
    ['asked', [{ at: drill.createdAt }, drill.requestedBy ? ` by ${drill.requestedBy}` : '']],
  ];
  if (drill.finishedAt) fields.push(['finished', { at: drill.finishedAt }]);
  fields.push(...activeOperationFields(operation));
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...drillJson(drill), ...(operation && { operationId: operation.id }) },
    view: [
      { kind: 'line', phrase: [what, { text: ended, tone: statusTone(drill.status) }] },
      { kind: 'fields', fields },
    ],
  };
}

function activeOperationFields(operation: Operation | undefined): [string, Phrase][] {
  if (!operation || (operation.status !== 'queued' && operation.status !== 'running')) return [];
  return [['operation', `${operation.id} (${operation.status}; cancel with: cancel ${operation.id})`]];
}

function activeOperationLines(operation: Operation | undefined): string[] {
  if (!operation || (operation.status !== 'queued' && operation.status !== 'running')) return [];
  return [`  operation: ${operation.id} (${operation.status}; cancel with: cancel ${operation.id})`];
}

/** Who asked, as the surface writes people (see HandlerContext.person). */
function person(ctx: HandlerContext, principal: string): string {
  return ctx.person ? ctx.person(principal) : principal;
}

/** What a database part holds: its tables and rows as of the dump, and the tables kept without their rows. */
function partContentsLines(part: BackupPart): string[] {
  const lines: string[] = [];
  if (part.tableRows !== undefined) {
    const tables = Object.keys(part.tableRows).length;
    const rows = Object.values(part.tableRows).reduce((sum, count) => sum + count, 0);
    lines.push(`${tables} ${tables === 1 ? 'table' : 'tables'}, ${rows.toLocaleString('en-US')} rows as of the dump`);
  }
  if (part.tablesWithoutRows?.length) {
    lines.push(`without the rows of ${part.tablesWithoutRows.join(', ')} (excludeTableData)`);
  }
  return lines;
}
