import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, Restore } from '../domain/backup.ts';
import type { Download } from '../domain/download.ts';
import type { Drill } from '../domain/drill.ts';
import type { Operation } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import type { RetentionDecision } from '../retention/retention-decision.ts';
import { showDrill } from './drill-backup.ts';
import { showOperation } from './operations.ts';
import { showBackup } from './read-backups.ts';
import { showDownload } from './request-download.ts';
import { showRestore } from './show-restore.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** What an id names, with what `show` tells about it. */
export type Shown =
  | {
      kind: 'backup';
      backup: Backup;
      retention: RetentionDecision | undefined;
      operation: Operation | undefined;
    }
  | { kind: 'restore'; restore: Restore; operation: Operation | undefined }
  | { kind: 'download'; download: Download; operation: Operation | undefined }
  | { kind: 'drill'; drill: Drill; operation: Operation | undefined }
  | { kind: 'operation'; operation: Operation };

/**
 * Whatever `id` names: a backup, a restore, a download, or an operation (shown as the backup, restore or download it
 * runs, when there is one), each with the role reading it needs. People are handed all of these ids (a restore's by
 * `restore`, a download's by `download`, an operation's by `status`), so any of them is an answer to "show me".
 */
export async function showById(ctx: UseCaseContext, principal: Principal, id: string): Promise<Shown> {
  const named = await subjectOf(ctx, principal, id);
  if (named !== undefined) return named;
  const operation = await ctx.operations.find(id);
  if (operation === undefined) {
    const message =
      `There is no backup ${id}, nor a restore, download, drill or operation with that id. ` +
      'Backups are listed by list, operations by status --all.';
    throw new BackstopError('not-found', message, { userMessage: message });
  }
  // An operation is shown as what it runs; one whose subject is gone (a pruned backup), or a webhook delivery, as
  // itself.
  const subject = ['backup', 'restore', 'download', 'drill'].includes(operation.kind)
    ? await subjectOf(ctx, principal, operation.subjectId)
    : undefined;
  return subject ?? { kind: 'operation', operation: await showOperation(ctx, principal, id) };
}

/** The backup, restore, download or drill with this id, if there is one. */
async function subjectOf(ctx: UseCaseContext, principal: Principal, id: string): Promise<Shown | undefined> {
  if (await ctx.catalog.findBackup(id)) return { kind: 'backup', ...(await showBackup(ctx, principal, id)) };
  if (await ctx.catalog.findRestore(id)) return { kind: 'restore', ...(await showRestore(ctx, principal, id)) };
  if (await ctx.downloads.find(id)) return { kind: 'download', ...(await showDownload(ctx, principal, id)) };
  if (await ctx.catalog.drills.find(id)) return { kind: 'drill', ...(await showDrill(ctx, principal, id)) };
  return undefined;
}
