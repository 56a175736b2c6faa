import { refusal } from '../access/authorize.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, Trigger } from '../domain/backup.ts';
import { checkAppConfigured, findTarget } from '../domain/find-target.ts';
import type { ListPosition } from '../domain/list-position.ts';
import type { Operation } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import { planBackupsRetention } from '../engine/plan-target-retention.ts';
import type { RetentionDecision } from '../retention/retention-decision.ts';
import { authorizedRead, record } from './audited.ts';
import type { ReadingContext, UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

/** Backups with what retention decides about each, by backup id. */
export interface BackupsWithRetention {
  backups: Backup[];
  retention: Map<string, RetentionDecision>;
}

/**
 * Backups newest first (a page of them, from `after`), of one target, one app, or every app the principal may read (viewer role). Naming an app or
 * target the principal may not read is refused; an unknown target names only the targets the principal may read.
 */
export async function listBackups(
  ctx: UseCaseContext,
  principal: Principal,
  filter: { app?: string; env?: string; trigger?: Trigger; limit?: number; after?: ListPosition },
): Promise<BackupsWithRetention> {
  if (filter.app !== undefined) {
    checkAppConfigured(ctx.targets, visibleTargets(ctx, principal, 'backup.read'), filter.app);
    await authorizedRead(ctx, principal, 'backup.read', filter.app, `list ${filter.app}`);
    if (filter.env !== undefined) findTarget(visibleTargets(ctx, principal, 'backup.read'), filter.app, filter.env);
  }
  const apps =
    filter.app !== undefined ? undefined : principal.kind === 'operator' ? undefined : readableApps(ctx, principal);
  if (apps !== undefined && apps.length === 0) await refuseNoAppToRead(ctx, principal, 'list');
  const backups = await ctx.catalog.listBackups({
    ...(filter.app !== undefined && { app: filter.app }),
    ...(apps !== undefined && { apps }),
    ...(filter.env !== undefined && { env: filter.env }),
    ...(filter.trigger !== undefined && { trigger: filter.trigger }),
    ...(filter.limit !== undefined && { limit: filter.limit }),
    ...(filter.after !== undefined && { after: filter.after }),
  });
  return { backups, retention: await planBackupsRetention(ctx, backups, ctx.clock()) };
}

/** One backup with its retention decision and the operation that made (or is making) it. */
export async function showBackup(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
): Promise<{ backup: Backup; retention: RetentionDecision | undefined; operation: Operation | undefined }> {
  const backup = await ctx.catalog.getBackup(id);
  await authorizedRead(ctx, principal, 'backup.read', backup.app, `show ${id}`);
  const retention = (await planBackupsRetention(ctx, [backup], ctx.clock())).get(backup.id);
  const operation = await ctx.operations.findBySubject('backup', backup.id);
  return { backup, retention, operation };
}

/** The apps of the config (and of the access grants) the principal may read. */
export function readableApps(ctx: Pick<ReadingContext, 'access' | 'targets'>, principal: Principal): string[] {
  const apps = [...new Set(ctx.targets.map((t) => t.app))];
  return apps.filter((app) => refusal(ctx.access, principal, 'backup.read', app) === undefined);
}

/**
 * Refuses (and audits the refusal of) a reading of every app by a principal who may read none: "nothing" would hide
 * that the config grants them nothing.
 */
export async function refuseNoAppToRead(ctx: UseCaseContext, principal: Principal, asked: string): Promise<never> {
  const refused = noAppToRead(ctx, principal);
  await record(ctx, principal, { app: null, action: asked }, 'refused', refused.userMessage!);
  throw refused;
}

function noAppToRead(ctx: UseCaseContext, principal: Principal): BackstopError {
  const apps = [...new Set(ctx.targets.map((t) => t.app))];
  const message =
    `${principal.id} may not read the backups of any app. Ask whoever runs Backstop to add ${principal.id} to ` +
    `apps.<app>.access.viewer${apps.length > 0 ? ` (apps: ${apps.join(', ')})` : ''}.`;
  return new BackstopError('forbidden', message, { userMessage: message, details: { requiredRole: 'viewer' } });
}

/**
 * The newest `limit` backups of the apps the principal may read, newest first, without retention's decisions: what a
 * picker offers (shell completion of backup ids).
 */
export async function recentBackups(ctx: ReadingContext, principal: Principal, limit: number): Promise<Backup[]> {
  const apps = principal.kind === 'operator' ? undefined : readableApps(ctx, principal);
  return ctx.catalog.listBackups({ limit, ...(apps !== undefined && { apps }) });
}
