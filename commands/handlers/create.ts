import { targetName } from '../../src/domain/target.ts';
import { createBackup } from '../../src/use-cases/create-backup.ts';
import { backupJson } from '../../src/use-cases/json-shapes.ts';
import { showBackup } from '../../src/use-cases/read-backups.ts';
import type { Command } from '../command.ts';
import { formatBytes, operationError, shortCodeVersion, withoutRowsSentence } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/**
 * `create [parts] [target] [note]`: queues an on-demand backup (of every part the environment has unless parts are
 * given). With a way to follow it (`ctx.follow`), waits for its end and reports its parts; otherwise replies with
 * the queued backup and its operation.
 */
export async function handleCreate(ctx: HandlerContext, command: Extract<Command, { name: 'create' }>): Promise<Reply> {
  const target = resolveTarget(ctx, command.target, 'create');
  const { backup: queued, operation } = await createBackup(
    ctx.engine,
    ctx.principal,
    {
      app: target.app,
      env: target.env,
      ...(command.parts !== undefined && { parts: command.parts }),
      note: command.note ?? null,
    },
    ctx.asked,
  );
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text:
        `Backup ${queued.id} of ${targetName(target)} is queued (operation ${operation.id}). ` +
        `Follow it with: status; see it with: show ${queued.id}`,
      data: { ...backupJson(queued), operationId: operation.id },
    };
  }
  const ended = await ctx.follow(operation);
  const { backup, retention } = await showBackup(ctx.engine, ctx.principal, queued.id);
  if (backup.status !== 'completed') {
    const why = ended.status === 'cancelled' ? operationError(ended, ctx.person) : (backup.error ?? ended.error);
    return {
      outcome: 'failed',
      text: `Backup ${backup.id} of ${targetName(target)} ${ended.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${why}`,
      data: { ...backupJson(backup), operationId: operation.id },
    };
  }
  const parts = backup.storedParts.map((p) => `${p.kind} ${formatBytes(p.storedSizeBytes)}`).join(', ');
  return {
    outcome: 'ok',
    text:
      `Backup ${backup.id} of ${targetName(target)} completed: ${parts}.` +
      `${backup.codeVersion ? ` Code: ${shortCodeVersion(backup.codeVersion)}.` : ''}` +
      `${withoutRowsSentence(backup)}${backup.note ? ` Note: "${backup.note}".` : ''}`,
    data: { ...backupJson(backup, retention), operationId: operation.id },
  };
}
