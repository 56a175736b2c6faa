import type { Backup } from '../domain/backup.ts';
import type { Principal } from '../domain/principal.ts';
import { readableApps } from './read-backups.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * The newest backups of every app the principal may read (viewer role), newest first, at most `limit`: for a surface
 * that offers backups to pick from as someone types (chat's autocomplete). Unlike `listBackups` it is never refused
 * and writes nothing to the audit log: it runs at each keystroke, and someone who may read no app is simply offered
 * nothing. It shows no more than `listBackups` would show them.
 */
export async function recentBackups(ctx: UseCaseContext, principal: Principal, limit: number): Promise<Backup[]> {
  const apps = principal.kind === 'operator' ? undefined : readableApps(ctx, principal);
  if (apps !== undefined && apps.length === 0) return [];
  return ctx.catalog.listBackups({ ...(apps !== undefined && { apps }), limit });
}
