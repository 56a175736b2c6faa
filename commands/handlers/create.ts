import { type Target, targetName } from '../../src/config/backstop-config.ts';
import { planBackupsRetention } from '../../src/engine/plan-target-retention.ts';
import { pruneTarget } from '../../src/engine/prune-target.ts';
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
    const pruned = await pruneAfterBackup(ctx, target);
    const retention = (await planBackupsRetention(ctx.engine, [backup], ctx.engine.clock())).get(backup.id);
    return {
      outcome: 'ok',
      text: `Backup ${backup.id} of ${targetName(target)} completed: ${parts}.${backup.note ? ` Note: "${backup.note}".` : ''}${pruned}`,
      data: backupJson(backup, retention),
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

/**
 * Retention runs after each backup. The backup has succeeded whatever happens here: a failed prune is only
 * reported (and tried again after the next backup).
 */
async function pruneAfterBackup(ctx: HandlerContext, target: Target): Promise<string> {
  try {
    const report = await pruneTarget(ctx.engine, target, { dryRun: false });
    if (report.failed.length > 0) return ` Retention could not delete ${report.failed.map((f) => f.id).join(', ')}.`;
    return report.deleted.length === 0
      ? ''
      : ` Retention deleted ${report.deleted.map((d) => `${d.id} (${d.reason})`).join(', ')}.`;
  } catch (error) {
    return ` Retention was not applied: ${reasonOf(error)}.`;
  }
}
