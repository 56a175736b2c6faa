import { enqueueRestore } from '../../src/jobs/enqueue.ts';
import { restoreJson } from '../../src/use-cases/json-shapes.ts';
import type { Command } from '../command.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/**
 * `restore <id> [parts] [to target] [--no-safety-backup]`: queues a restore that overwrites the destination with the
 * backup, after a safety backup; with `ctx.follow`, waits for its end. Confirmation (terminal prompt, chat approval)
 * is the adapter's job and happens before this is called.
 */
export async function handleRestore(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'restore' }>,
): Promise<Reply> {
  const to = command.to === undefined ? undefined : resolveTarget(ctx, command.to, 'restore ... to');
  const { restore: queued, operation } = await enqueueRestore(ctx.engine, {
    backupId: command.id,
    ...(command.parts !== undefined && { parts: command.parts }),
    ...(to !== undefined && { to: { app: to.app, env: to.env } }),
    safetyBackup: command.safetyBackup,
    requestedBy: ctx.caller,
  });
  const destination = `${queued.destApp}/${queued.destEnv}`;
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text:
        `Restore ${queued.id} of backup ${queued.backupId} into ${destination} is queued (operation ${operation.id}). ` +
        'Follow it with: status',
      data: { ...restoreJson(queued), operationId: operation.id },
    };
  }
  const ended = await ctx.follow(operation);
  const restore = await ctx.engine.catalog.getRestore(queued.id);
  if (restore.status !== 'succeeded') {
    const why = ended.status === 'cancelled' ? ended.error : (restore.error ?? ended.error);
    return {
      outcome: 'failed',
      text: `Restore ${restore.id} of backup ${restore.backupId} into ${destination} ${ended.status === 'cancelled' ? 'was cancelled' : 'failed'}; ${destination} was left as it was. ${why}`,
      data: { ...restoreJson(restore), operationId: operation.id },
    };
  }
  const safety = restore.safetyBackupId
    ? ` A safety backup of the previous state is ${restore.safetyBackupId} (undo with: restore ${restore.safetyBackupId}).`
    : ' No safety backup was taken.';
  return {
    outcome: 'ok',
    text: `Restored ${restore.parts} of backup ${restore.backupId} into ${destination}.${safety}`,
    data: { ...restoreJson(restore), operationId: operation.id },
  };
}
