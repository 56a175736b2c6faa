import { targetName } from '../../src/config/backstop-config.ts';
import { reasonOf } from '../../src/engine/reason-of.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import type { Command } from '../command.ts';
import { backupJson, formatBytes } from '../format.ts';
import type { HandlerContext, Reply } from '../reply.ts';
import { resolveTarget } from '../resolve-target.ts';

/** `create [parts] [target] [note]`: takes an on-demand backup and reports its parts. */
export async function handleCreate(ctx: HandlerContext, command: Extract<Command, { name: 'create' }>): Promise<Reply> {
  const target = resolveTarget(ctx, command.target, 'create');
  const queued = await queueBackup(ctx.engine, {
    app: target.app,
    env: target.env,
    trigger: 'on-demand',
    parts: command.parts,
    note: command.note ?? null,
    requestedBy: ctx.caller,
  });
  try {
    const backup = await runBackup(ctx.engine, queued.id, ctx.onProgress ? { onProgress: ctx.onProgress } : {});
    const parts = backup.storedParts.map((p) => `${p.kind} ${formatBytes(p.storedSizeBytes)}`).join(', ');
    return {
      outcome: 'ok',
      text: `Backup ${backup.id} of ${targetName(target)} completed: ${parts}.${backup.note ? ` Note: "${backup.note}".` : ''}`,
      data: backupJson(backup),
    };
  } catch (error) {
    const failed = await ctx.engine.catalog.getBackup(queued.id);
    return {
      outcome: 'failed',
      text: `Backup ${queued.id} of ${targetName(target)} failed: ${reasonOf(error)}`,
      data: backupJson(failed),
    };
  }
}
