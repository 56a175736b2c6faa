import { reasonOf } from '../../src/engine/reason-of.ts';
import { queueRestore, runRestore } from '../../src/engine/run-restore.ts';
import type { Command } from '../command.ts';
import { restoreJson } from '../format.ts';
import type { HandlerContext, Reply } from '../reply.ts';
import { resolveTarget } from '../resolve-target.ts';

/**
 * `restore <id> [parts] [to target] [--no-safety-backup]`: overwrites the destination with the backup, after a safety
 * backup. Confirmation (terminal prompt, chat approval) is the adapter's job and happens before this is called.
 */
export async function handleRestore(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'restore' }>,
): Promise<Reply> {
  const to = command.to === undefined ? undefined : resolveTarget(ctx, command.to, 'restore ... to');
  const queued = await queueRestore(ctx.engine, {
    backupId: command.id,
    ...(command.parts !== undefined && { parts: command.parts }),
    ...(to !== undefined && { to: { app: to.app, env: to.env } }),
    safetyBackup: command.safetyBackup,
    requestedBy: ctx.caller,
  });
  const destination = `${queued.destApp}/${queued.destEnv}`;
  try {
    const restore = await runRestore(ctx.engine, queued.id, ctx.onProgress ? { onProgress: ctx.onProgress } : {});
    const safety = restore.safetyBackupId
      ? ` A safety backup of the previous state is ${restore.safetyBackupId} (undo with: restore ${restore.safetyBackupId}).`
      : ' No safety backup was taken.';
    return {
      outcome: 'ok',
      text: `Restored ${restore.parts} of backup ${restore.backupId} into ${destination}.${safety}`,
      data: restoreJson(restore),
    };
  } catch (error) {
    const failed = await ctx.engine.catalog.getRestore(queued.id);
    return {
      outcome: 'failed',
      text: `Restore ${queued.id} of backup ${command.id} into ${destination} failed; ${destination} was left as it was. ${reasonOf(error)}`,
      data: restoreJson(failed),
    };
  }
}
