import type { ListPosition } from '../domain/list-position.ts';
import type { Operation, OperationStatus } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import { audited, authorizedRead } from './audited.ts';
import { cancelOperation, findOperation } from './cancel-operation.ts';
import { readableApps } from './read-backups.ts';
import type { ReadingContext, UseCaseContext } from './use-case-context.ts';

/**
 * The app an operation works for: its target's, for a download its backup's, for a drill its drill's; null for work
 * of no app (a webhook delivery), which needs the role on every app.
 */
export async function appOfOperation(ctx: ReadingContext, operation: Operation): Promise<string | null> {
  // A drill's lane names a database server, not a target: its app is its drill's.
  if (operation.kind === 'drill') return (await ctx.catalog.drills.find(operation.subjectId))?.app ?? null;
  if (operation.target !== null) return operation.target.split('/')[0]!;
  if (operation.kind === 'download') {
    const download = await ctx.downloads.find(operation.subjectId);
    const backup = download && (await ctx.catalog.findBackup(download.backupId));
    if (backup) return backup.app;
  }
  return null;
}

/** Queued and running operations in the order they run, of the apps the principal may read. */
export async function listActiveOperations(ctx: ReadingContext, principal: Principal): Promise<Operation[]> {
  return visibleTo(ctx, principal, await ctx.operations.listActive());
}

/**
 * The `limit` operations that finished last, newest first, of the apps the principal may read: finished work stays
 * visible (what failed, what was cancelled, by whom) until the queue's history is trimmed.
 */
export async function listFinishedOperations(
  ctx: UseCaseContext,
  principal: Principal,
  limit: number,
): Promise<Operation[]> {
  return visibleTo(ctx, principal, await ctx.operations.listFinished(limit));
}

const statusesIn = {
  active: ['queued', 'running'],
  finished: ['succeeded', 'failed', 'cancelled'],
  all: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
} as const satisfies Record<string, readonly OperationStatus[]>;

/**
 * Operations newest first, of the apps the principal may read: at most `limit`, from `after` (a page of them).
 * Read in batches until the page is full, so operations of apps the principal may not read never shorten a page.
 */
export async function listOperations(
  ctx: UseCaseContext,
  principal: Principal,
  filter: { state: keyof typeof statusesIn; limit: number; after?: ListPosition },
): Promise<Operation[]> {
  const page: Operation[] = [];
  let after = filter.after;
  const batch = Math.max(filter.limit, 50);
  for (;;) {
    const read = await ctx.operations.list({
      statuses: statusesIn[filter.state],
      limit: batch,
      ...(after !== undefined && { after }),
    });
    page.push(...(await visibleTo(ctx, principal, read)));
    const last = read.at(-1);
    if (page.length >= filter.limit || read.length < batch || last === undefined) return page.slice(0, filter.limit);
    after = { createdAt: last.createdAt, id: last.id };
  }
}

async function visibleTo(ctx: ReadingContext, principal: Principal, operations: Operation[]): Promise<Operation[]> {
  const visible: Operation[] = [];
  for (const operation of operations) {
    if (mayReadOperationOf(ctx, principal, await appOfOperation(ctx, operation))) visible.push(operation);
  }
  return visible;
}

/**
 * Whether the principal may read operations of `app` (as `appOfOperation` names it): the viewer role on it; work of no
 * app only for whoever holds the config.
 */
export function mayReadOperationOf(ctx: ReadingContext, principal: Principal, app: string | null): boolean {
  if (principal.kind === 'operator') return true;
  return app !== null && readableApps(ctx, principal).includes(app);
}

/** One operation, by its id or the id of the backup, restore or download it runs (viewer role on its app). */
export async function showOperation(ctx: UseCaseContext, principal: Principal, id: string): Promise<Operation> {
  const operation = await findOperation(ctx.operations, id);
  await authorizedRead(ctx, principal, 'operation.read', await appOfOperation(ctx, operation), `status ${id}`);
  return operation;
}

/**
 * Cancels a queued or running operation (operator role on its app): a queued one ends at once, a running one is
 * stopped by its worker at the next heartbeat, which removes what it wrote.
 */
export async function cancelOperationAs(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
  asked?: string,
): Promise<Operation> {
  return audited(ctx, principal, asked ?? `cancel ${id}`, async (scope) => {
    const operation = await findOperation(ctx.operations, id);
    const app = await appOfOperation(ctx, operation);
    if (app === null)
      for (const each of new Set(ctx.targets.map((t) => t.app))) scope.authorize('operation.cancel', each);
    else scope.authorize('operation.cancel', app);
    const after = await cancelOperation(ctx, operation.id, principal.id);
    scope.detail = `${after.kind} ${after.subjectId}: ${after.status === 'cancelled' ? 'cancelled' : 'stop asked'}`;
    return after;
  });
}
