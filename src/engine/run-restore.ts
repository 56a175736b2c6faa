import { pipeline } from 'node:stream';
import { createDecryptStream } from '../crypto/index.ts';
import { BackstopError, isBackstopError } from '../domain/backstop-error.ts';
import type { Backup, BackupPart, Restore } from '../domain/backup.ts';
import { findTarget } from '../domain/find-target.ts';
import type { PartKind } from '../domain/part-kind.ts';
import { partKinds, partsChoice } from '../domain/parts.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { type Target, targetName } from '../domain/target.ts';
import type { Source } from '../sources/source.ts';
import { CommitBarrier } from './commit-barrier.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { HashCounter } from './hash-counter.ts';
import { queueBackup, runBackup } from './run-backup.ts';
import { settleAll } from './settle-all.ts';
import { explainDecryptFailure } from './undecryptable-part.ts';

export interface RestoreRequest {
  backupId: string;
  /** db, media or db+media; default: every part the backup holds. */
  parts?: string;
  /** Destination; default: the backup's own target. */
  to?: { app: string; env: string };
  safetyBackup: boolean;
  requestedBy: string | null;
}

/** Checks a restore request against the catalogue and records it as queued. */
export async function queueRestore(ctx: EngineContext, request: RestoreRequest): Promise<Restore> {
  const backup = await ctx.catalog.getBackup(request.backupId);
  const dest = request.to ?? { app: backup.app, env: backup.env };
  const target = findTarget(ctx.targets, dest.app, dest.env);
  const parts = request.parts ?? backup.parts;
  restorableParts(backup, parts);
  for (const kind of partKinds(parts)) ctx.sourceFor(target, kind);
  return ctx.catalog.insertRestore(
    {
      backupId: backup.id,
      parts,
      destApp: dest.app,
      destEnv: dest.env,
      requestedBy: request.requestedBy,
      safetyBackup: request.safetyBackup,
    },
    ctx.clock(),
  );
}

/**
 * Runs a queued restore: first a safety backup of the destination's same parts (unless the request said not to),
 * then every part streams from the store through age decryption and a sha256 check into its source's restore. The
 * parts commit together (CommitBarrier) and only once each has been decrypted, authenticated and matched its
 * recorded sha256, so a tampered or truncated backup leaves the destination untouched.
 */
export async function runRestore(ctx: EngineContext, restoreId: string, options: RunOptions = {}): Promise<Restore> {
  const restore = await ctx.catalog.getRestore(restoreId);
  const backup = await ctx.catalog.getBackup(restore.backupId);
  const target = findTarget(ctx.targets, restore.destApp, restore.destEnv);
  await ctx.catalog.updateRestore(restore.id, { status: 'running', startedAt: ctx.clock() });
  try {
    const parts = restorableParts(backup, restore.parts);
    ctx.log(
      `restore ${restore.id}: ${restore.parts} of backup ${backup.id} into ${targetName(target)}` +
        `${restore.safetyBackup ? ', after a safety backup of what is there' : ', without a safety backup'}`,
    );
    if (restore.safetyBackup) await takeSafetyBackup(ctx, restore, backup, target, options);
    await restoreParts(ctx, `restore ${restore.id}`, parts, (kind) => ctx.sourceFor(target, kind), options);
    await ctx.catalog.updateRestore(restore.id, { status: 'succeeded', completedAt: ctx.clock() });
    ctx.log(`restore ${restore.id} of backup ${backup.id} into ${targetName(target)} succeeded`);
  } catch (thrown) {
    const error: unknown =
      options.signal?.aborted && options.signal.reason !== undefined ? options.signal.reason : thrown;
    if (options.abandoned?.()) throw error;
    const status = isBackstopError(error, 'cancelled') ? 'cancelled' : 'failed';
    await ctx.catalog.updateRestore(restore.id, { status, completedAt: ctx.clock(), error: reasonOf(error) });
    throw error;
  }
  return ctx.catalog.getRestore(restore.id);
}

/**
 * Backs up the destination's parts that exist (a media directory never created has nothing to lose) before they
 * are overwritten. Its failure stops the restore: the safety net is the point.
 */
async function takeSafetyBackup(
  ctx: EngineContext,
  restore: Restore,
  backup: Backup,
  target: Target,
  options: RunOptions,
): Promise<void> {
  const present: PartKind[] = [];
  for (const kind of partKinds(restore.parts)) {
    if (await ctx.sourceFor(target, kind).exists()) present.push(kind);
  }
  if (present.length === 0) {
    ctx.log(`restore ${restore.id}: ${targetName(target)} holds nothing yet, so no safety backup was needed`);
    return;
  }
  const safety = await queueBackup(ctx, {
    app: target.app,
    env: target.env,
    trigger: 'on-demand',
    parts: partsChoice(present),
    note: `before restore of ${backup.id}`,
    requestedBy: restore.requestedBy,
  });
  await ctx.catalog.updateRestore(restore.id, { safetyBackupId: safety.id });
  ctx.log(`restore ${restore.id}: taking safety backup ${safety.id} of ${targetName(target)} (${safety.parts})`);
  try {
    await runBackup(ctx, safety.id, options);
  } catch (error) {
    const message =
      `The safety backup of ${targetName(target)} failed (${reasonOf(error)}), so nothing was restored. ` +
      'Fix the cause, or restore without a safety backup with --no-safety-backup.';
    throw new BackstopError('safety-backup-failed', message, { userMessage: message, cause: error });
  }
}

/**
 * Streams each part from the store through age decryption and a sha256 check into the source `sourceOf` gives for its
 * kind; the parts commit together, and only once every one was decrypted, authenticated and matched its sha256.
 * `work` names the restore or drill in the log ("restore 4tq9zz").
 */
export async function restoreParts(
  ctx: EngineContext,
  work: string,
  parts: readonly BackupPart[],
  sourceOf: (kind: PartKind) => Source,
  options: RunOptions,
): Promise<void> {
  const identities = await ctx.identities();
  const barrier = new CommitBarrier(parts.length);
  const abort = new AbortController();
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', () => abort.abort(options.signal?.reason), { once: true });
  await settleAll(
    parts.map(async (part) => {
      try {
        await restorePart(ctx, work, sourceOf(part.kind), part, identities, barrier, abort.signal, options);
      } catch (error) {
        barrier.fail(error);
        throw error;
      }
    }),
    () => abort.abort(),
  );
}

async function restorePart(
  ctx: EngineContext,
  work: string,
  source: Source,
  part: BackupPart,
  identities: string[],
  barrier: CommitBarrier,
  signal: AbortSignal,
  options: RunOptions,
): Promise<void> {
  ctx.log(`${work}: reading the ${part.kind} part from ${part.key} in ${ctx.store.describe()}`);
  const stored = await ctx.store.read(part.key);
  const plain = new HashCounter();
  let readError: unknown;
  const plaintext = pipeline(stored, createDecryptStream(identities), plain, (error) => {
    readError = error ?? undefined;
  });
  try {
    await source.restore(plaintext, {
      signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      beforeCommit: async () => {
        if (plain.bytes !== part.sizeBytes || plain.sha256 !== part.sha256) {
          const message =
            `The ${part.kind} part of backup ${part.key} does not match its recorded sha256 and size, ` +
            'so nothing was restored. The object may have been replaced; run verify on the backup.';
          throw new BackstopError('backup-mismatch', message, { userMessage: message });
        }
        ctx.log(
          `${work}: the ${part.kind} part decrypted, authenticated and matched its sha256 ` +
            `(${plain.bytes} bytes); it commits together with the other parts`,
        );
        await options.fence?.();
        await barrier.arrive();
      },
    });
  } catch (error) {
    // A source reports a failed input as its own failure; the reading side (a damaged object, a failing store)
    // is the cause a person must act on. A reading side that only stopped because the source gave up is not.
    const stoppedBySource = (readError as { code?: string } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
    const cause = readError !== undefined && !stoppedBySource ? readError : error;
    throw namingPart(await explainDecryptFailure(ctx, part, cause, EXPLAIN_READS_AT_MOST), part);
  }
}

/** How large an object a failed restore reads again to tell damage from a wrong key (see explainDecryptFailure). */
const EXPLAIN_READS_AT_MOST = 1024 ** 3;

/** The decryption errors that say the stored object itself is at fault (or the key): the part is named in them. */
const STORED_OBJECT_ERRORS = new Set(['decrypt-corrupt', 'decrypt-truncated', 'decrypt-no-identity']);

/**
 * A decryption error of `part` made to name the part and its object, so that a restore or drill of several parts
 * says which one is damaged (or which one the key does not open).
 */
function namingPart(error: unknown, part: BackupPart): unknown {
  if (!(error instanceof BackstopError) || !STORED_OBJECT_ERRORS.has(error.code)) return error;
  const userMessage = `The ${part.kind} part (${part.key}) cannot be restored: ${reasonOf(error)}`;
  return new BackstopError(error.code, `${part.kind} part ${part.key}: ${error.message}`, {
    userMessage,
    cause: error,
  });
}

/** The stored parts a restore of `parts` needs; an error names what the backup lacks. */
export function restorableParts(backup: Backup, parts: string): BackupPart[] {
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}, not completed: only a completed backup can be restored.`;
    throw new BackstopError('backup-not-restorable', message, { userMessage: message });
  }
  return partKinds(parts).map((kind) => {
    const part = backup.storedParts.find((p) => p.kind === kind);
    if (!part) {
      const message = `Backup ${backup.id} has no ${kind} part (it holds ${backup.parts}).`;
      throw new BackstopError('part-missing', message, { userMessage: message });
    }
    return part;
  });
}
