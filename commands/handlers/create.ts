import { targetName } from '../../src/domain/target.ts';
import { planBackupsRetention } from '../../src/engine/plan-target-retention.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import { backupJson } from '../../src/use-cases/json-shapes.ts';
import type { Command } from '../command.ts';
import { formatBytes } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/**
 * `create [parts] [target] [note]`: queues an on-demand backup. With a way to follow it (`ctx.follow`), waits for its
 * end and reports its parts; otherwise replies with the queued backup and its operation.
 */
export async function handleCreate(ctx: HandlerContext, command: Extract<Command, { name: 'create' }>): Promise<Reply> {
  const target = resolveTarget(ctx, command.target, 'create');
  const { backup: queued, operation } = await enqueueBackup(ctx.engine, {
    app: target.app,
    env: target.env,
    trigger: 'on-demand',
    parts: command.parts,
    note: command.note ?? null,
    requestedBy: ctx.caller,
  });
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
  const backup = await ctx.engine.catalog.getBackup(queued.id);
  if (backup.status !== 'completed') {
    const why = ended.status === 'cancelled' ? ended.error : (backup.error ?? ended.error);
    return {
      outcome: 'failed',
      text: `Backup ${backup.id} of ${targetName(target)} ${ended.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${why}`,
      data: { ...backupJson(backup), operationId: operation.id },
    };
  }
  const parts = backup.storedParts.map((p) => `${p.kind} ${formatBytes(p.storedSizeBytes)}`).join(', ');
  const retention = (await planBackupsRetention(ctx.engine, [backup], ctx.engine.clock())).get(backup.id);
  return {
    outcome: 'ok',
    text: `Backup ${backup.id} of ${targetName(target)} completed: ${parts}.${backup.note ? ` Note: "${backup.note}".` : ''}`,
    data: { ...backupJson(backup, retention), operationId: operation.id },
  };
}
