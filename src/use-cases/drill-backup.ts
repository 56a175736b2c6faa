import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';
import { backupToDrill, type Drill } from '../domain/drill.ts';
import { findTarget } from '../domain/find-target.ts';
import type { Operation } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import { type Target, targetName } from '../domain/target.ts';
import { enqueueDrill } from '../jobs/enqueue-drill.ts';
import { audited, authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

/** What to drill: a backup by its id, or a target's newest completed backup holding its parts (backupToDrill). */
export type DrillInput = { backupId: string } | { app: string; env: string };

/**
 * Queues a restore drill (operator role on the backup's app): the backup is restored into scratch space and checked,
 * never into its target. For a target, its newest completed backup is drilled.
 */
export async function drillBackup(
  ctx: UseCaseContext,
  principal: Principal,
  input: DrillInput,
  asked?: string,
): Promise<{ drill: Drill; operation: Operation; backup: Backup }> {
  const words = asked ?? `drill ${'backupId' in input ? input.backupId : `${input.app}/${input.env}`}`;
  return audited(ctx, principal, words, async (scope) => {
    let backup: Backup;
    if ('backupId' in input) {
      backup = await ctx.catalog.getBackup(input.backupId);
      scope.authorize('backup.drill', backup.app);
    } else {
      scope.authorize('backup.drill', input.app);
      const target = findTarget(visibleTargets(ctx, principal, 'backup.drill'), input.app, input.env);
      backup = await backupToDrillOf(ctx, target);
    }
    const queued = await enqueueDrill(ctx, { backupId: backup.id, requestedBy: principal.id });
    // Only a scheduled drill's slot can have been taken already.
    if (!queued) throw new Error(`the drill of backup ${backup.id} was not queued`);
    scope.detail = `drill ${queued.drill.id} of backup ${backup.id} queued`;
    return { ...queued, backup };
  });
}

/** A drill by its id, with its operation (viewer role on its app). */
export async function showDrill(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
): Promise<{ drill: Drill; operation: Operation | undefined }> {
  const drill = await ctx.catalog.drills.get(id);
  await authorizedRead(ctx, principal, 'backup.read', drill.app, `show drill ${id}`);
  return { drill, operation: await ctx.operations.findBySubject('drill', drill.id) };
}

async function backupToDrillOf(ctx: UseCaseContext, target: Target): Promise<Backup> {
  const { app, env } = target;
  const chosen = backupToDrill(await ctx.catalog.listBackups({ app, env }), target);
  if (chosen) return chosen;
  const message = `${targetName({ app, env })} has no completed backup to drill yet: take one with: create ${app}/${env}`;
  throw new BackstopError('backup-not-found', message, { userMessage: message });
}
