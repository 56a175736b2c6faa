import { isBackstopError } from '../domain/backstop-error.ts';
import type { Backup, Restore } from '../domain/backup.ts';
import type { BackupFacts, NewEvent, RestoreFacts } from '../domain/events.ts';
import type { Operation } from '../domain/operation.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { deleteBackupObjects } from '../engine/delete-backup-objects.ts';
import { deleteDownloadObjects, prepareDownload } from '../engine/prepare-download.ts';
import { runBackup } from '../engine/run-backup.ts';
import { runRestore } from '../engine/run-restore.ts';
import { OperationStopped } from '../jobs/operation-stopped.ts';
import { pruneAndRecord } from '../jobs/prune-and-record.ts';
import { RetryLater } from '../jobs/retry-later.ts';
import type { OperationRunner, OperationRunners } from '../jobs/worker.ts';
import { downloadEmail } from '../notify/download-email.ts';
import { isRetryable } from '../retry/retry-policy.ts';
import { drillRunner } from './drill-runner.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** The runners of backups, restores, downloads and drills over one engine. */
export function engineRunners(ctx: UseCaseContext, options: RunnerOptions = {}): OperationRunners {
  return {
    backup: backupRunner(ctx, options),
    restore: restoreRunner(ctx),
    download: downloadRunner(ctx),
    drill: drillRunner(ctx),
  };
}

export interface RunnerOptions {
  /** Whether a backup failing with a retryable error is queued again (default true; false where a person waits). */
  retryFailedBackups?: boolean;
  /**
   * How long to wait before trying a backup again that failed with a retryable error (an outage of the store or
   * the database), by the attempt that failed; default 30 s, then 60 s, ... at most 10 min.
   */
  retryDelayMs?: (failedAttempt: number) => number;
}

const defaultRetryDelayMs = (failedAttempt: number) => Math.min(30_000 * 2 ** (failedAttempt - 1), 600_000);

/**
 * A backup operation: the backup, then retention for its target (in the same operation, so pruning never overlaps
 * another backup of the target), then the events `backup.succeeded` / `backup.failed` and `retention.pruned`.
 */
function backupRunner(ctx: UseCaseContext, runnerOptions: RunnerOptions): OperationRunner {
  const retryDelayMs = runnerOptions.retryDelayMs ?? defaultRetryDelayMs;
  return {
    async run(operation, options) {
      const startedAt = ctx.clock();
      let backup: Backup;
      try {
        backup = await runBackup(ctx, operation.subjectId, options);
      } catch (error) {
        if (options.abandoned() || isCancel(error) || isBackstopError(error, 'fenced')) throw error;
        // What failed may pass later (the store or the database was briefly away): the whole backup is taken
        // again after a wait, from scratch (runBackup removed what this attempt wrote), while attempts are left.
        const retries = runnerOptions.retryFailedBackups ?? true;
        if (retries && isRetryable(error) && operation.attempts < operation.maxAttempts) {
          await ctx.catalog.requeueBackup(operation.subjectId);
          const delay = retryDelayMs(operation.attempts);
          throw new RetryLater(delay, `attempt ${operation.attempts} failed (${reasonOf(error)}); trying again`);
        }
        const tries = operation.attempts > 1 ? ` (after ${operation.attempts} attempts)` : '';
        await recordFailure(ctx, await ctx.catalog.getBackup(operation.subjectId), `${reasonOf(error)}${tries}`);
        throw error;
      }
      await record(ctx, {
        type: 'backup.succeeded',
        app: backup.app,
        env: backup.env,
        subjectId: backup.id,
        data: {
          ...backupFacts(backup),
          sizeBytes: backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0),
          durationMs: ctx.clock().getTime() - startedAt.getTime(),
        },
        // Once a backup: an attempt cut off after completing it may record this late, after the attempt that took
        // the operation over (and found the backup completed) did.
        dedupeKey: `backup.succeeded:${backup.id}`,
      });
      await pruneAfterBackup(ctx, backup);
    },
    async discard(operation) {
      const backup = await ctx.catalog.findBackup(operation.subjectId);
      // Completed by an attempt that stopped before writing backup.json: run() writes it and keeps the rest.
      if (!backup || backup.status === 'completed') return;
      await deleteBackupObjects(ctx, backup, operation.leaseGeneration);
      await ctx.catalog.requeueBackup(backup.id);
    },
    async abandon(operation, reason) {
      const backup = await ctx.catalog.findBackup(operation.subjectId);
      if (!backup || ['completed', 'failed', 'cancelled'].includes(backup.status)) return;
      // Whatever an attempt wrote goes, temporary files of a writer killed mid-write included.
      await deleteBackupObjects(ctx, backup);
      if (operation.cancelRequestedBy) {
        await ctx.catalog.cancelBackup(backup.id, reason, ctx.clock());
      } else {
        await ctx.catalog.failBackup(backup.id, reason, ctx.clock());
        await recordFailure(ctx, backup, reason);
      }
    },
  };
}

/** A restore operation, then `restore.succeeded` / `restore.failed`. */
function restoreRunner(ctx: UseCaseContext): OperationRunner {
  return {
    async run(operation, options) {
      const startedAt = ctx.clock();
      try {
        const restore = await runRestore(ctx, operation.subjectId, options);
        const { facts, ...about } = restoreEvent(restore);
        const durationMs = ctx.clock().getTime() - startedAt.getTime();
        await record(ctx, {
          type: 'restore.succeeded',
          ...about,
          data: { ...facts, durationMs },
          dedupeKey: `restore.succeeded:${restore.id}`,
        });
      } catch (error) {
        if (!options.abandoned() && !isCancel(error)) {
          await recordRestoreFailure(ctx, operation, reasonOf(error));
        }
        throw error;
      }
    },
    async discard(operation) {
      const restore = await ctx.catalog.getRestore(operation.subjectId);
      if (restore.safetyBackupId !== null) {
        const safety = await ctx.catalog.findBackup(restore.safetyBackupId);
        if (safety && safety.status !== 'completed') {
          await deleteBackupObjects(ctx, safety);
          await ctx.catalog.failBackup(
            safety.id,
            'its restore was interrupted; a new safety backup was taken',
            ctx.clock(),
          );
        }
      }
      await ctx.catalog.updateRestore(restore.id, { status: 'queued', safetyBackupId: null, error: null });
    },
    async abandon(operation, reason) {
      const restore = await ctx.catalog.getRestore(operation.subjectId);
      if (['succeeded', 'failed', 'cancelled'].includes(restore.status)) return;
      const status = operation.cancelRequestedBy ? 'cancelled' : 'failed';
      await ctx.catalog.updateRestore(restore.id, { status, completedAt: ctx.clock(), error: reason });
      if (status === 'failed') await recordRestoreFailure(ctx, operation, reason);
    },
  };
}

/**
 * A download operation: the plaintext files and their links, then the `download.ready` event and, when the
 * requester's address is known and email is configured, an email with the links (a mail server that refuses it is
 * logged; the download stays ready and the links are in the event and the reply).
 */
function downloadRunner(ctx: UseCaseContext): OperationRunner {
  return {
    async run(operation, options) {
      const download = await prepareDownload(ctx, operation.subjectId, options);
      const backup = await ctx.catalog.getBackup(download.backupId);
      await record(ctx, {
        type: 'download.ready',
        app: backup.app,
        env: backup.env,
        subjectId: download.id,
        data: {
          downloadId: download.id,
          backupId: backup.id,
          app: backup.app,
          env: backup.env,
          note: backup.note,
          requestedBy: download.requestedBy,
          expiresAt: download.expiresAt?.toISOString() ?? null,
          links: download.files.map((f) => ({
            kind: f.kind,
            url: f.url,
            filename: f.filename,
            sizeBytes: f.sizeBytes,
          })),
        },
      });
      if (download.email !== null && ctx.mailer !== undefined) {
        try {
          await ctx.mailer.send(downloadEmail(download, backup, download.email));
          ctx.log(`download ${download.id}: links emailed to ${download.email}`);
        } catch (error) {
          ctx.log(`download ${download.id}: the links could not be emailed to ${download.email}: ${reasonOf(error)}`);
        }
      }
    },
    async discard(operation) {
      await deleteDownloadObjects(ctx, operation.subjectId);
      await ctx.downloads.update(operation.subjectId, { status: 'queued', error: null });
    },
    async abandon(operation, reason) {
      await deleteDownloadObjects(ctx, operation.subjectId);
      await ctx.downloads.update(operation.subjectId, { status: 'failed', error: reason });
    },
  };
}

/**
 * Retention runs after each backup. The backup has succeeded whatever happens here: a failed prune is logged and
 * tried again after the next backup and by the daily prune.
 */
async function pruneAfterBackup(ctx: UseCaseContext, backup: Backup): Promise<void> {
  const target = ctx.targets.find((t) => t.app === backup.app && t.env === backup.env);
  if (!target) return;
  try {
    await pruneAndRecord(ctx, target, { dryRun: false });
  } catch (error) {
    ctx.log(`retention was not applied to ${backup.app}/${backup.env}: ${reasonOf(error)}`);
  }
}

function backupFacts(backup: Backup): BackupFacts {
  return {
    backupId: backup.id,
    app: backup.app,
    env: backup.env,
    trigger: backup.trigger,
    parts: backup.parts,
    note: backup.note,
    requestedBy: backup.requestedBy,
    slot: backup.slot?.toISOString() ?? null,
  };
}

function recordFailure(ctx: UseCaseContext, backup: Backup, reason: string): Promise<void> {
  return record(ctx, {
    type: 'backup.failed',
    app: backup.app,
    env: backup.env,
    subjectId: backup.id,
    data: { ...backupFacts(backup), reason },
    dedupeKey: `backup.failed:${backup.id}`,
  });
}

async function recordRestoreFailure(ctx: UseCaseContext, operation: Operation, reason: string): Promise<void> {
  const restore = await ctx.catalog.getRestore(operation.subjectId);
  const { facts, ...about } = restoreEvent(restore);
  await record(ctx, { type: 'restore.failed', ...about, data: { ...facts, reason } });
}

/** Where a restore event belongs (its destination) and what it says of the restore. */
function restoreEvent(restore: Restore): { app: string; env: string; subjectId: string; facts: RestoreFacts } {
  return {
    app: restore.destApp,
    env: restore.destEnv,
    subjectId: restore.id,
    facts: {
      restoreId: restore.id,
      backupId: restore.backupId,
      parts: restore.parts,
      destination: `${restore.destApp}/${restore.destEnv}`,
      safetyBackupId: restore.safetyBackupId,
      requestedBy: restore.requestedBy,
    },
  };
}

/** Records an event; a state database that refuses it is logged, never a reason to fail the operation. */
async function record(ctx: UseCaseContext, event: NewEvent): Promise<void> {
  try {
    await ctx.events.record(event, ctx.clock());
  } catch (error) {
    ctx.log(`could not record the event ${event.type} of ${event.subjectId}: ${reasonOf(error)}`);
  }
}

function isCancel(error: unknown): boolean {
  return error instanceof OperationStopped && error.stopCause === 'cancelled';
}
