import { createHash } from 'node:crypto';
import type { NewEvent } from '../domain/events.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { type Target, targetName } from '../domain/target.ts';
import { type PruneReport, pruneTarget } from '../engine/prune-target.ts';
import type { JobsContext } from './jobs-context.ts';

/**
 * Applies a target's retention policy (see pruneTarget) and, when that deleted something, records the
 * `retention.pruned` event: after every backup, daily, and when someone prunes by hand alike. Backups that could not
 * be deleted are logged (they are tried again next time); an event that cannot be recorded is logged, since the
 * deletions happened all the same.
 */
export async function pruneAndRecord(
  ctx: JobsContext,
  target: Target,
  options: { dryRun: boolean },
): Promise<PruneReport> {
  const report = await pruneTarget(ctx, target, options);
  if (report.failed.length > 0) {
    const failures = report.failed.map((f) => `${f.id} (${f.reason})`).join(', ');
    ctx.log(`retention could not delete these backups of ${targetName(target)}: ${failures}`);
  }
  if (!options.dryRun && report.deleted.length > 0) {
    await ctx.events
      .record(prunedEvent(report), ctx.clock())
      .catch((error: unknown) =>
        ctx.log(`could not record the retention.pruned event of ${targetName(target)}: ${reasonOf(error)}`),
      );
  }
  return report;
}

/**
 * The `retention.pruned` event of a prune that deleted something. Instances pruning at the same time delete the same
 * backups (a backup id is deleted once, ever), so the dedupe key is the set of deleted ids: one event tells of it.
 */
export function prunedEvent(report: PruneReport): NewEvent {
  const deletedIds = report.deleted.map((d) => d.id).sort();
  const digest = createHash('sha256').update(deletedIds.join(',')).digest('hex');
  return {
    type: 'retention.pruned',
    app: report.app,
    env: report.env,
    subjectId: null,
    data: { deleted: report.deleted, kept: report.kept },
    dedupeKey: `retention.pruned:${report.app}/${report.env}:${digest}`,
  };
}
