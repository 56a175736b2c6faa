import type { Restore } from '../domain/backup.ts';
import type { Operation } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import { authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** A restore and the operation that runs (or ran) it (viewer role on its destination's app: it is work there). */
export async function showRestore(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
): Promise<{ restore: Restore; operation: Operation | undefined }> {
  const restore = await ctx.catalog.getRestore(id);
  await authorizedRead(ctx, principal, 'operation.read', restore.destApp, `show ${id}`);
  return { restore, operation: await ctx.operations.findBySubject('restore', restore.id) };
}
