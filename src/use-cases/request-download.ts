import type { Download } from '../domain/download.ts';
import type { Operation } from '../domain/operation.ts';
import type { PartsChoice } from '../domain/part-kind.ts';
import type { Principal } from '../domain/principal.ts';
import { enqueueDownload } from '../jobs/enqueue.ts';
import { audited, authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * Queues the preparation of plaintext copies of a backup's parts with expiring links (operator role on the backup's
 * app: the links hand out the data). The links are emailed to `email`, else to the principal's address in the
 * config's `people:`, when email is configured.
 */
export async function requestDownload(
  ctx: UseCaseContext,
  principal: Principal,
  input: { backupId: string; parts?: PartsChoice | string; email?: string | null },
  asked?: string,
): Promise<{ download: Download; operation: Operation }> {
  const words = asked ?? `download ${input.backupId}${input.parts ? ` ${input.parts}` : ''}`;
  return audited(ctx, principal, words, async (scope) => {
    const backup = await ctx.catalog.getBackup(input.backupId);
    scope.authorize('backup.download', backup.app);
    const queued = await enqueueDownload(ctx, {
      backupId: backup.id,
      ...(input.parts !== undefined && { parts: input.parts }),
      requestedBy: principal.id,
      email: input.email ?? ctx.people[principal.id] ?? null,
    });
    scope.detail = `download ${queued.download.id} queued`;
    return queued;
  });
}

/** A download with its links once ready (operator role: its links hand out the data). */
export async function showDownload(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
): Promise<{ download: Download; operation: Operation | undefined }> {
  const download = await ctx.downloads.get(id);
  const backup = await ctx.catalog.findBackup(download.backupId);
  await authorizedRead(ctx, principal, 'backup.download', backup?.app ?? null, `show download ${id}`);
  return { download, operation: await ctx.operations.findBySubject('download', download.id) };
}
