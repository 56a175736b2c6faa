import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, NewBackup, Restore } from '../domain/backup.ts';
import type { Download } from '../domain/download.ts';
import type { Operation } from '../domain/operation.ts';
import { partKinds } from '../domain/parts.ts';
import type { RestoreRequest as PendingRestore } from '../domain/restore-request.ts';
import { type Target, targetName } from '../domain/target.ts';
import { queueBackup } from '../engine/run-backup.ts';
import { queueRestore, type RestoreRequest } from '../engine/run-restore.ts';
import type { RestoreRequests } from '../state/restore-requests.ts';
import type { StateDb } from '../state/state.ts';
import type { JobsContext } from './jobs-context.ts';

/** Records a backup and the operation that runs it, together (one transaction), and wakes this process's workers. */
export async function enqueueBackup(
  ctx: JobsContext,
  request: NewBackup,
): Promise<{ backup: Backup; operation: Operation }> {
  const queued = await inTransaction(ctx, async (trx) => {
    const target = ctx.targets.find((t) => t.app === request.app && t.env === request.env);
    // A part the target lacks is refused now, not when a worker gets to it.
    if (target) for (const kind of partKinds(request.parts)) trx.sourceFor(target, kind);
    const backup = await queueBackup(trx, request);
    const operation = await trx.operations.enqueue(
      { kind: 'backup', subjectId: backup.id, target: targetName(backup), requestedBy: request.requestedBy },
      ctx.clock(),
    );
    return { backup, operation };
  });
  ctx.operations.notifyEnqueued();
  return queued;
}

/**
 * Records the scheduled backup of `slot` and its operation, unless an instance already did: the unique slot makes
 * any number of instances create it exactly once. Undefined when it existed.
 */
export async function enqueueScheduledBackup(
  ctx: JobsContext,
  target: Target,
  parts: string,
  slot: Date,
): Promise<{ backup: Backup; operation: Operation } | undefined> {
  const queued = await inTransaction(ctx, async (trx) => {
    const backup = await trx.catalog.insertScheduledBackup(
      { app: target.app, env: target.env, parts },
      slot,
      ctx.clock(),
    );
    if (!backup) return undefined;
    const operation = await trx.operations.enqueue(
      { kind: 'backup', subjectId: backup.id, target: targetName(target), requestedBy: 'schedule' },
      ctx.clock(),
    );
    return { backup, operation };
  });
  if (queued) ctx.operations.notifyEnqueued();
  return queued;
}

/** Checks a restore request, records it and the operation that runs it (on the destination's turn). */
export async function enqueueRestore(
  ctx: JobsContext,
  request: RestoreRequest,
): Promise<{ restore: Restore; operation: Operation }> {
  const queued = await inTransaction(ctx, async (trx) => {
    const restore = await queueRestore(trx, request);
    const operation = await trx.operations.enqueue(
      {
        kind: 'restore',
        subjectId: restore.id,
        target: `${restore.destApp}/${restore.destEnv}`,
        requestedBy: request.requestedBy,
      },
      ctx.clock(),
    );
    return { restore, operation };
  });
  ctx.operations.notifyEnqueued();
  return queued;
}

/**
 * Records a download of a completed backup's parts (default: all it holds) and the operation that prepares it. It
 * runs beside the target's backups and restores (it only reads a completed backup).
 */
export async function enqueueDownload(
  ctx: JobsContext,
  request: { backupId: string; parts?: string; requestedBy: string | null; email: string | null },
): Promise<{ download: Download; operation: Operation }> {
  const backup = await ctx.catalog.getBackup(request.backupId);
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}: only a completed backup can be downloaded.`;
    throw new BackstopError('backup-not-downloadable', message, { userMessage: message });
  }
  const parts = request.parts ?? backup.parts;
  for (const kind of partKinds(parts)) {
    if (!backup.storedParts.some((p) => p.kind === kind)) {
      const message = `Backup ${backup.id} has no ${kind} part (it holds ${backup.parts}).`;
      throw new BackstopError('part-missing', message, { userMessage: message });
    }
  }
  const queued = await inTransaction(ctx, async (trx) => {
    const download = await trx.downloads.insert(
      { backupId: backup.id, parts, requestedBy: request.requestedBy, email: request.email },
      ctx.clock(),
    );
    const operation = await trx.operations.enqueue(
      { kind: 'download', subjectId: download.id, target: null, requestedBy: request.requestedBy },
      ctx.clock(),
    );
    return { download, operation };
  });
  ctx.operations.notifyEnqueued();
  return queued;
}

/**
 * Approves a pending restore request and queues its restore, in one transaction: the approval and the restore
 * exist together or not at all, and of concurrent approvals only one finds the request pending. Undefined when the
 * request was decided before or has expired.
 */
export async function approveRestoreRequest(
  ctx: JobsContext,
  requests: RestoreRequests,
  id: string,
  by: string,
): Promise<{ request: PendingRestore; restore: Restore; operation: Operation } | undefined> {
  const approved = await inTransaction(ctx, async (trx, db) => {
    const book = requests.within(db);
    const request = await book.decide(id, { status: 'approved', by }, ctx.clock());
    if (!request) return undefined;
    const restore = await queueRestore(trx, {
      backupId: request.backupId,
      parts: request.parts,
      to: { app: request.destApp, env: request.destEnv },
      safetyBackup: request.safetyBackup,
      requestedBy: request.requestedBy,
    });
    const operation = await trx.operations.enqueue(
      { kind: 'restore', subjectId: restore.id, target: `${restore.destApp}/${restore.destEnv}`, requestedBy: by },
      ctx.clock(),
    );
    await book.setRestore(request.id, restore.id);
    return { request: { ...request, restoreId: restore.id }, restore, operation };
  });
  if (approved) ctx.operations.notifyEnqueued();
  return approved;
}

/**
 * Runs `fn` with an engine whose catalogue, downloads and queue work inside one transaction, and that transaction's
 * `db`, for books the engine does not hold (the restore requests) to join it.
 */
function inTransaction<T>(ctx: JobsContext, fn: (trx: JobsContext, db: StateDb) => Promise<T>): Promise<T> {
  return ctx.catalog.transaction((catalog, db) =>
    fn({ ...ctx, catalog, downloads: ctx.downloads.within(db), operations: ctx.operations.within(db) }, db),
  );
}
