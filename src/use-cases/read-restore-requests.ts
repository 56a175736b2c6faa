import type { ListPosition } from '../domain/list-position.ts';
import type { Principal } from '../domain/principal.ts';
import type { RestoreRequest, RestoreRequestStatus } from '../domain/restore-request.ts';
import { authorizedRead } from './audited.ts';
import { readableApps } from './read-backups.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * Restore requests newest first, into the apps the principal may read (viewer role: approvers are among them, and
 * whoever may see the backups may see who asked to restore them), of one status or any; a page from `after`.
 */
export async function listRestoreRequests(
  ctx: UseCaseContext,
  principal: Principal,
  filter: { status?: RestoreRequestStatus; limit: number; after?: ListPosition },
): Promise<RestoreRequest[]> {
  const apps =
    principal.kind === 'operator' ? [...new Set(ctx.targets.map((t) => t.app))] : readableApps(ctx, principal);
  return ctx.requests.list({ apps, ...filter });
}

/** One restore request (viewer role on its destination's app). */
export async function showRestoreRequest(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
): Promise<RestoreRequest> {
  const request = await ctx.requests.get(id);
  await authorizedRead(ctx, principal, 'backup.read', request.destApp, `show ${id}`);
  return request;
}
