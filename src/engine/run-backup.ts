import { pipeline, Readable } from 'node:stream';
import { createEncryptStream } from '../crypto/index.ts';
import { isBackstopError } from '../domain/backstop-error.ts';
import type { Backup, BackupPart, NewBackup } from '../domain/backup.ts';
import { findTarget } from '../domain/find-target.ts';
import type { PartKind } from '../domain/part-kind.ts';
import { partFileName, partKinds } from '../domain/parts.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { Target } from '../domain/target.ts';
import type { PartContents } from '../sources/source.ts';
import { signedMetadataText } from './backup-metadata.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { HashCounter } from './hash-counter.ts';
import { type Digest, SealStream } from './seal-stream.ts';
import { settleAll } from './settle-all.ts';

/** Records a new queued backup. */
export function queueBackup(ctx: EngineContext, backup: NewBackup): Promise<Backup> {
  findTarget(ctx.targets, backup.app, backup.env);
  partKinds(backup.parts);
  return ctx.catalog.insertBackup(backup, ctx.clock());
}

/**
 * Runs a queued backup: each part is read from its source, hashed, age-encrypted and streamed into the store (parts
 * run side by side); the row is marked `completed`, and then backup.json is written, which marks the folder complete
 * for anyone reading the storage. On any failure every object this run wrote is deleted, the row says `failed` with
 * the reason, and the error is rethrown.
 *
 * Under a worker's lease (`options.lease`), parts are named after the lease generation and the outcome is recorded
 * only while the generation is current: an attempt cut off past its lease, whose backup another attempt took over,
 * removes its own objects and records nothing (`fenced`), and cannot overwrite the other's objects or backup.json
 * (which only the attempt that completed the row writes). A backup found completed already (its attempt stopped
 * between the row and backup.json) gets its backup.json and nothing else.
 */
export async function runBackup(ctx: EngineContext, backupId: string, options: RunOptions = {}): Promise<Backup> {
  const backup = await ctx.catalog.getBackup(backupId);
  if (backup.status === 'completed') {
    await writeMetadata(ctx, backup);
    return backup;
  }
  const target = findTarget(ctx.targets, backup.app, backup.env);
  const startedAt = ctx.clock();
  await ctx.catalog.markBackupRunning(backup.id, startedAt);
  const folder = `${backup.app}/${backup.env}/${backup.id}`;
  const generation = options.lease?.generation ?? 1;
  const written = new Set<string>();
  const abort = new AbortController();
  const stop = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  let completed: Backup;
  try {
    const kinds = partKinds(backup.parts);
    // Resolve every source first, so a part that is not configured fails before anything is written.
    const sources = kinds.map((kind) => ({ kind, source: ctx.sourceFor(target, kind) }));
    const recipients = await ctx.recipients();
    const codeVersion = readCodeVersion(ctx, target, backup.id);
    const parts = await settleAll(
      sources.map(async ({ kind, source }) => {
        const key = `${folder}/${partFileName(kind, generation)}`;
        written.add(key);
        ctx.log(`backup ${backup.id}: reading the ${kind} part into ${key} in ${ctx.store.describe()}`);
        let contents: PartContents = {};
        const part = await writePart(
          ctx,
          kind,
          key,
          source.open({
            signal: abort.signal,
            ...progressFor(options),
            onContents: (told) => {
              contents = told;
            },
          }),
          recipients,
        );
        ctx.log(`backup ${backup.id}: ${kind} part written (${part.sizeBytes} bytes, ${part.storedSizeBytes} stored)`);
        return withContents(ctx, backup.id, part, contents);
      }),
      () => abort.abort(),
    );
    await options.fence?.();
    await removeStrays(ctx, folder, written);
    await ctx.catalog.completeBackup(backup.id, parts, ctx.clock(), options.lease, {
      codeVersion: await codeVersion,
    });
    completed = await ctx.catalog.getBackup(backup.id);
  } catch (thrown) {
    // Stopped on purpose (cancelled): the reason to record is the stop's, not how the source noticed it.
    const error: unknown =
      options.signal?.aborted && options.signal.reason !== undefined ? options.signal.reason : thrown;
    // This attempt's objects are its own (named after its lease generation): they go whatever happened.
    await deleteAll(ctx, backup.id, written);
    if (options.abandoned?.() || isBackstopError(error, 'fenced')) throw error;
    if (isBackstopError(error, 'cancelled'))
      await ctx.catalog.cancelBackup(backup.id, reasonOf(error), ctx.clock(), options.lease);
    else await ctx.catalog.failBackup(backup.id, reasonOf(error), ctx.clock(), options.lease);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  await writeMetadata(ctx, completed);
  ctx.log(`backup ${backup.id} of ${backup.app}/${backup.env} completed`);
  return completed;
}

/** The part with what its plaintext holds, as its source told (a database's tables and their row counts). */
function withContents(ctx: EngineContext, backupId: string, part: BackupPart, contents: PartContents): BackupPart {
  const { tableRows, tablesWithoutRows, unmatchedPatterns } = contents;
  for (const pattern of unmatchedPatterns ?? []) {
    (ctx.warn ?? ctx.log)(
      `backup ${backupId}: the excludeTableData pattern ${JSON.stringify(pattern)} matched no table, so nothing was ` +
        'left out for it: check its spelling (a name without a schema means a table in the search path, usually public)',
    );
  }
  const result = { ...part };
  if (tableRows !== undefined) {
    result.tableRows = tableRows;
    const tables = Object.keys(tableRows).length;
    const rows = Object.values(tableRows).reduce((sum, count) => sum + count, 0);
    ctx.log(
      `backup ${backupId}: ${tables} ${tables === 1 ? 'table' : 'tables'}, ${rows} ${rows === 1 ? 'row' : 'rows'} ` +
        "in the dump's snapshot",
    );
  }
  if (tablesWithoutRows !== undefined && tablesWithoutRows.length > 0) {
    result.tablesWithoutRows = tablesWithoutRows;
    ctx.log(`backup ${backupId}: without the rows of ${tablesWithoutRows.join(', ')}`);
  }
  return result;
}

/**
 * The application's code version for this backup, or null when its environment does not say how to read it or it
 * cannot be read: a version is worth recording, not worth failing a backup for (the reason is logged).
 */
async function readCodeVersion(ctx: EngineContext, target: Target, backupId: string): Promise<string | null> {
  if (ctx.codeVersionOf === undefined) return null;
  try {
    return (await ctx.codeVersionOf(target)) ?? null;
  } catch (error) {
    (ctx.warn ?? ctx.log)(`backup ${backupId}: taken without the application's code version: ${reasonOf(error)}`);
    return null;
  }
}

/**
 * Writes backup.json of a completed backup. Should it fail, the backup stays completed (its parts are stored and
 * recorded) and `verify` reports the missing backup.json; the failure is logged rather than undoing the backup.
 */
async function writeMetadata(ctx: EngineContext, backup: Backup): Promise<void> {
  const metadataKey = `${backup.app}/${backup.env}/${backup.id}/backup.json`;
  try {
    const metadata = signedMetadataText(backup, backup.completedAt ?? ctx.clock(), await signingIdentities(ctx));
    ctx.log(`backup ${backup.id}: writing ${metadataKey}, which marks the folder complete`);
    await ctx.store.write(metadataKey, Readable.from([Buffer.from(metadata)]), { contentType: 'application/json' });
  } catch (error) {
    ctx.log(`backup ${backup.id} is completed, but ${metadataKey} could not be written: ${reasonOf(error)}`);
  }
}

/**
 * Removes what else is in the backup's folder before the row is completed: objects of an earlier attempt cut off
 * past its lease, written after this attempt took over (that attempt also removes its own once it learns).
 */
async function removeStrays(ctx: EngineContext, folder: string, own: ReadonlySet<string>): Promise<void> {
  for await (const object of ctx.store.list(`${folder}/`)) {
    if (!own.has(object.key)) await ctx.store.delete(object.key);
  }
}

async function deleteAll(ctx: EngineContext, backupId: string, keys: ReadonlySet<string>): Promise<void> {
  const results = await Promise.allSettled([...keys].map((key) => ctx.store.delete(key)));
  const leftover = results.filter((r) => r.status === 'rejected').length;
  if (leftover > 0) ctx.log(`backup ${backupId}: ${leftover} objects could not be deleted after the failure`);
}

async function writePart(
  ctx: EngineContext,
  kind: PartKind,
  key: string,
  plaintext: Readable,
  recipients: string[],
): Promise<BackupPart> {
  // The database part arrives at pg_dump's pace (tens of MB/s, compression-bound): sealing it here costs little,
  // where a worker would cost its own heap. Media arrives as fast as disks read, so it is sealed on a second core.
  if (kind === 'db') {
    const plain = new HashCounter();
    const stored = new HashCounter();
    await ctx.store.write(
      key,
      pipeline(plaintext, plain, createEncryptStream(recipients), stored, () => {}),
    );
    return partOf(
      kind,
      key,
      { bytes: plain.bytes, sha256: plain.sha256 },
      { bytes: stored.bytes, sha256: stored.sha256 },
    );
  }
  const sealed = new SealStream(recipients);
  await ctx.store.write(
    key,
    pipeline(plaintext, sealed, () => {}),
  );
  const { plain, stored } = sealed.digests!;
  return partOf(kind, key, plain, stored);
}

function partOf(kind: PartKind, key: string, plain: Digest, stored: Digest): BackupPart {
  return {
    kind,
    key,
    sizeBytes: plain.bytes,
    sha256: plain.sha256,
    storedSizeBytes: stored.bytes,
    storedSha256: stored.sha256,
  };
}

function progressFor(options: RunOptions) {
  return options.onProgress ? { onProgress: options.onProgress } : {};
}

/**
 * The identities backup.json is signed with: all this instance holds. One that holds none (it only encrypts) writes
 * it unsigned; a catalogue rebuild then asks to be told to trust it.
 */
async function signingIdentities(ctx: EngineContext): Promise<string[]> {
  try {
    return await ctx.identities();
  } catch (error) {
    ctx.log(`backup.json is written unsigned: the identities could not be read (${reasonOf(error)})`);
    return [];
  }
}
