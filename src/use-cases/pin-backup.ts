import type { Backup } from '../domain/backup.ts';
import type { Principal } from '../domain/principal.ts';
import { audited } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** Pins a backup (retention never deletes it) or unpins it (operator role on its app). */
export async function pinBackup(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
  pinned: boolean,
): Promise<Backup> {
  return audited(ctx, principal, `${pinned ? 'pin' : 'unpin'} ${id}`, async (scope) => {
    const backup = await ctx.catalog.getBackup(id);
    scope.authorize('backup.pin', backup.app);
    await ctx.catalog.setPinned(backup.id, pinned);
    return ctx.catalog.getBackup(backup.id);
  });
}
