import { pipeline } from 'node:stream';
import { createDecryptStream } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { BackupPart } from '../domain/backup.ts';
import type { Download, DownloadFile } from '../domain/download.ts';
import { partKinds } from '../domain/parts.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { HashCounter } from './hash-counter.ts';

/** Where a download's plaintext files live in the store. */
export function downloadFolder(downloadId: string): string {
  return `downloads/${downloadId}/`;
}

/**
 * Prepares a queued download: each chosen part of the backup is decrypted (authenticated as it streams) into a
 * plaintext object `downloads/<id>/<app>-<env>-<backup>.dump` or `...-media.tar`, its size and sha256 checked
 * against the backup's record, and a link valid for `ctx.linkTtlSeconds` made for it. Only then is the download
 * `ready`. On failure every object it wrote is deleted and the download is `failed` with the reason.
 */
export async function prepareDownload(
  ctx: EngineContext,
  downloadId: string,
  options: RunOptions = {},
): Promise<Download> {
  const download = await ctx.downloads.get(downloadId);
  await ctx.downloads.update(download.id, { status: 'running', error: null });
  const written: string[] = [];
  try {
    const backup = await ctx.catalog.getBackup(download.backupId);
    if (backup.status !== 'completed') {
      const message = `Backup ${backup.id} is ${backup.status}: only a completed backup can be downloaded.`;
      throw new BackstopError('backup-not-downloadable', message, { userMessage: message });
    }
    const identities = await ctx.identities();
    const files: DownloadFile[] = [];
    for (const kind of partKinds(download.parts)) {
      const part = backup.storedParts.find((p) => p.kind === kind);
      if (!part) {
        const message = `Backup ${backup.id} has no ${kind} part (it holds ${backup.parts}).`;
        throw new BackstopError('part-missing', message, { userMessage: message });
      }
      const filename = `${backup.app}-${backup.env}-${backup.id}${kind === 'db' ? '.dump' : '-media.tar'}`;
      const key = `${downloadFolder(download.id)}${filename}`;
      written.push(key);
      ctx.log(`download ${download.id} of backup ${backup.id}: decrypting the ${kind} part into ${key}`);
      await decryptInto(ctx, part, key, identities, options);
      const url = await ctx.store.link(key, ctx.linkTtlSeconds, { filename });
      files.push({ kind, key, filename, url, sizeBytes: part.sizeBytes });
    }
    const readyAt = ctx.clock();
    const expiresAt = new Date(readyAt.getTime() + ctx.linkTtlSeconds * 1000);
    await options.fence?.();
    await ctx.downloads.update(download.id, { status: 'ready', readyAt, expiresAt, files });
    ctx.log(`download ${download.id} of backup ${backup.id} is ready until ${expiresAt.toISOString()}`);
    return ctx.downloads.get(download.id);
  } catch (thrown) {
    const error: unknown =
      options.signal?.aborted && options.signal.reason !== undefined ? options.signal.reason : thrown;
    if (options.abandoned?.()) throw error;
    await deleteDownloadObjects(ctx, download.id, written);
    const reason =
      error instanceof BackstopError ? (error.userMessage ?? error.message) : String((error as Error).message ?? error);
    await ctx.downloads.update(download.id, { status: 'failed', error: reason });
    throw error;
  }
}

/** Removes a download's objects: the keys named, and whatever else is in its folder. */
export async function deleteDownloadObjects(
  ctx: EngineContext,
  downloadId: string,
  keys: readonly string[] = [],
): Promise<void> {
  for (const key of keys) await ctx.store.delete(key);
  for await (const object of ctx.store.list(downloadFolder(downloadId))) await ctx.store.delete(object.key);
}

/** Streams one stored part through age decryption into a plaintext object, checking it against the record. */
async function decryptInto(
  ctx: EngineContext,
  part: BackupPart,
  key: string,
  identities: string[],
  options: RunOptions,
): Promise<void> {
  const plain = new HashCounter();
  const stored = await ctx.store.read(part.key);
  const plaintext = pipeline(stored, createDecryptStream(identities), plain, () => {});
  if (options.signal)
    options.signal.addEventListener('abort', () => plaintext.destroy(options.signal?.reason), { once: true });
  await ctx.store.write(key, plaintext, {
    contentType: part.kind === 'db' ? 'application/octet-stream' : 'application/x-tar',
  });
  if (plain.bytes !== part.sizeBytes || plain.sha256 !== part.sha256) {
    const message =
      `The ${part.kind} part of backup ${part.key} does not match its recorded sha256 and size, so no download ` +
      'was made. The object may have been replaced; run verify on the backup.';
    throw new BackstopError('backup-mismatch', message, { userMessage: message });
  }
}
