import { backupJson } from '../../src/use-cases/json-shapes.ts';
import { showBackup } from '../../src/use-cases/read-backups.ts';
import type { Command } from '../command.ts';
import { formatBytes, formatTime } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';

/** `show <id>`: one backup in detail. */
export async function handleShow(ctx: HandlerContext, command: Extract<Command, { name: 'show' }>): Promise<Reply> {
  const { backup, retention, operation } = await showBackup(ctx.engine, ctx.principal, command.id);
  const lines = [
    `Backup ${backup.id} of ${backup.app}/${backup.env}: ${backup.status}`,
    `  trigger:   ${backup.trigger}${backup.requestedBy ? ` by ${backup.requestedBy}` : ''}`,
    `  created:   ${formatTime(backup.createdAt)}`,
  ];
  if (backup.completedAt) lines.push(`  finished:  ${formatTime(backup.completedAt)}`);
  if (backup.note) lines.push(`  note:      ${backup.note}`);
  if (backup.error) lines.push(`  error:     ${backup.error}`);
  for (const part of backup.storedParts) {
    lines.push(
      `  ${part.kind.padEnd(5)}      ${formatBytes(part.sizeBytes)} (${formatBytes(part.storedSizeBytes)} stored)  sha256 ${part.sha256}`,
      `             ${ctx.engine.store.describe()}/${part.key}`,
    );
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
  if (operation && (operation.status === 'queued' || operation.status === 'running')) {
    lines.push(`  operation: ${operation.id} (${operation.status}; cancel with: cancel ${operation.id})`);
  }
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...backupJson(backup, retention), ...(operation && { operationId: operation.id }) },
  };
}
