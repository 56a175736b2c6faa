import type { Backup } from '../domain/backup.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { Target } from '../domain/target.ts';
import { deleteBackupObjects } from './delete-backup-objects.ts';
import type { EngineContext } from './engine-context.ts';
import { planTarget } from './plan-target-retention.ts';

export interface PruneReport {
  app: string;
  env: string;
  dryRun: boolean;
  /** Deleted (or, on a dry run, to be deleted), with the reason. */
  deleted: Array<{ id: string; reason: string }>;
  kept: number;
  /** Backups whose deletion failed; they stay catalogued and are tried again next time. */
  failed: Array<{ id: string; reason: string }>;
  /** Backups the policy lets go that a queued or running drill is restoring: deleted at a later prune. */
  heldByDrill: string[];
}

/**
 * Applies the target's retention policy now: every backup the policy does not keep is deleted, its objects first
 * (backup.json before the parts, so a half-deleted folder is never taken for a complete backup by `catalog
 * rebuild`), then its row. With `dryRun` nothing is deleted and the report says what would be.
 */
export async function pruneTarget(
  ctx: EngineContext,
  target: Target,
  options: { dryRun: boolean },
): Promise<PruneReport> {
  const { backups, decisions } = await planTarget(ctx, { app: target.app, env: target.env, target }, ctx.clock());
  const report: PruneReport = {
    app: target.app,
    env: target.env,
    dryRun: options.dryRun,
    deleted: [],
    kept: 0,
    failed: [],
    heldByDrill: [],
  };
  for (const [index, backup] of backups.entries()) {
    const decision = decisions[index]!;
    if (decision.keep) {
      report.kept += 1;
      continue;
    }
    // Checked just before deleting: a drill queued meanwhile is seen (drills are queued in their own lane, not in
    // the target's, so one can be queued while this prune runs).
    if (await ctx.catalog.drills.isBeingDrilled(backup.id)) {
      report.kept += 1;
      report.heldByDrill.push(backup.id);
      ctx.log(`backup ${backup.id} (${decision.reason}) kept for now: a drill of it is queued or running`);
      continue;
    }
    if (options.dryRun) {
      report.deleted.push({ id: backup.id, reason: decision.reason });
      continue;
    }
    try {
      ctx.log(`prune: deleting backup ${backup.id} of ${target.app}/${target.env} (${decision.reason})`);
      await deleteBackup(ctx, backup);
      report.deleted.push({ id: backup.id, reason: decision.reason });
    } catch (error) {
      report.failed.push({ id: backup.id, reason: reasonOf(error) });
    }
  }
  if (!options.dryRun && report.deleted.length > 0) {
    ctx.log(`pruned ${report.deleted.length} backups of ${target.app}/${target.env}`);
  }
  return report;
}

async function deleteBackup(ctx: EngineContext, backup: Backup): Promise<void> {
  await deleteBackupObjects(ctx, backup);
  await ctx.catalog.deleteBackup(backup.id);
}
