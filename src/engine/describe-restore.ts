import { findTarget } from '../domain/find-target.ts';
import { partKinds } from '../domain/parts.ts';
import { targetName } from '../domain/target.ts';
import { formatTime } from '../text/format-units.ts';
import type { EngineContext } from './engine-context.ts';
import { restorableParts } from './run-restore.ts';

/**
 * What a restore would overwrite, in words, for the confirmation a person gives before it runs: the destination's
 * name and, per part, what is there now (the source's own description).
 */
export async function describeRestore(
  ctx: EngineContext,
  request: { backupId: string; parts?: string; to?: { app: string; env: string } },
): Promise<{ destination: string; protected: boolean; overwrites: string[]; backupSummary: string }> {
  const backup = await ctx.catalog.getBackup(request.backupId);
  const dest = request.to ?? { app: backup.app, env: backup.env };
  const target = findTarget(ctx.targets, dest.app, dest.env);
  restorableParts(backup, request.parts ?? backup.parts);
  const overwrites: string[] = [];
  for (const kind of partKinds(request.parts ?? backup.parts)) {
    overwrites.push(await ctx.sourceFor(target, kind).describe());
  }
  const note = backup.note ? ` "${backup.note}"` : '';
  return {
    destination: targetName(target),
    protected: target.protected,
    overwrites,
    backupSummary: `backup ${backup.id} of ${backup.app}/${backup.env} from ${formatTime(backup.createdAt)}${note}`,
  };
}
