import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';
import type { Drill } from '../domain/drill.ts';
import type { Operation } from '../domain/operation.ts';
import { drillServerUrl, type Target, targetName } from '../domain/target.ts';
import { ScratchDatabase } from '../sources/pg-scratch-database.ts';
import type { JobsContext } from './jobs-context.ts';

/**
 * The queue lane drills of `backup` run in: `drill:<host>:<port>` of the server its drills restore onto (the target's
 * drill server, else its own database server), or
 * `drill:<app>/<env>` for a backup without a database. The queue runs one operation of a lane at a time, in order,
 * across every instance: so one drill at a time per database server (a drill loads the server as a restore does), and
 * never in the target's own lane, so a drill, however long, never holds up the target's backups and restores.
 */
export function drillLane(backup: Pick<Backup, 'app' | 'env' | 'parts'>, target: Target | undefined): string {
  const server = drillServerUrl(target);
  if (backup.parts.includes('db') && server !== undefined) return `drill:${ScratchDatabase.serverOf(server)}`;
  return `drill:${targetName(backup)}`;
}

/**
 * Records a drill of a completed backup and the operation that runs it, together; with `slot` (a scheduled drill),
 * only once per target and slot however many instances fire it (undefined when it existed).
 */
export async function enqueueDrill(
  ctx: JobsContext,
  request: { backupId: string; requestedBy: string | null; slot?: Date },
): Promise<{ drill: Drill; operation: Operation } | undefined> {
  const backup = await ctx.catalog.getBackup(request.backupId);
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}: only a completed backup can be drilled.`;
    throw new BackstopError('backup-not-restorable', message, { userMessage: message });
  }
  const target = ctx.targets.find((t) => t.app === backup.app && t.env === backup.env);
  if (backup.parts.includes('db') && drillServerUrl(target) === undefined) {
    const message =
      `A drill restores the database onto ${targetName(backup)}'s database server (or its drill.server), and ` +
      `${targetName(backup)} has no database configured: add it to the config first.`;
    throw new BackstopError('drill-not-possible', message, { userMessage: message });
  }
  const queued = await ctx.catalog.transaction(async (catalog, db) => {
    const drill = await catalog.drills.insert(
      { backupId: backup.id, app: backup.app, env: backup.env, requestedBy: request.requestedBy },
      ctx.clock(),
      request.slot,
    );
    if (!drill) return undefined;
    const operation = await ctx.operations
      .within(db)
      .enqueue(
        { kind: 'drill', subjectId: drill.id, target: drillLane(backup, target), requestedBy: request.requestedBy },
        ctx.clock(),
      );
    return { drill, operation };
  });
  if (queued) ctx.operations.notifyEnqueued();
  return queued;
}
