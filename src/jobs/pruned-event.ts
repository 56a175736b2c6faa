import { createHash } from 'node:crypto';
import type { NewEvent } from '../domain/events.ts';
import type { PruneReport } from '../engine/prune-target.ts';

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
