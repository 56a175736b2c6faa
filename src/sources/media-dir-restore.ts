import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { utimesSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { createBreather } from './media-breather.ts';
import { chownTree } from './media-dir-owner.ts';
import { MediaDirSink } from './media-dir-sink.ts';
import { aborted, isFsError, quote, restoreFailed } from './media-errors.ts';
import { flushFilesystem } from './media-flush.ts';
import type { MediaManifestFile } from './media-manifest.ts';
import { formatMediaSize } from './media-size.ts';
import { readMediaTar } from './media-tar-reader.ts';
import type { ProgressListener, RestoreSummary } from './source.ts';

/**
 * Makes the directory at `path` equal to the media tar `input`, all or nothing. The tar is unpacked into a staging
 * directory beside the destination (same filesystem, so the final renames cannot copy), checked completely against
 * its manifest, flushed to disk, and only after `beforeCommit` resolved swapped in: destination -> old name, staging
 * -> destination, old removed. Between the two renames the destination is briefly absent (Node has no atomic
 * exchange); every other failure leaves it untouched and removes the staging directory. Files get the manifest's
 * modification times; run as root, they also get the owner of the directory they replace.
 */
export async function restoreMediaDir(
  path: string,
  input: Readable,
  options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
): Promise<RestoreSummary> {
  try {
    return await restoreThroughStaging(path, input, options);
  } catch (error) {
    input.destroy();
    throw isFsError(error) ? restoreFailed(path, error) : error;
  }
}

async function restoreThroughStaging(
  path: string,
  input: Readable,
  options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
): Promise<RestoreSummary> {
  const destination = await realDestination(path);
  const existing = await existingDirectory(destination);
  await mkdir(dirname(destination), { recursive: true });
  const leftovers = await removeLeftoverStaging(destination);
  const staging = await mkdtemp(join(dirname(destination), stagingPrefix(destination)));
  try {
    // mkdtemp makes it private (0700); once swapped in it must be as readable as the directory it replaces.
    await chmod(staging, existing === undefined ? 0o755 : existing.mode & 0o7777);
    const manifest = await readMediaTar(input, new MediaDirSink(staging), options);
    await setModificationTimes(staging, manifest.files);
    if (existing !== undefined && mustAdoptOwner(existing)) await chownTree(staging, existing.uid, existing.gid);
    await flushFilesystem(staging);
    await options.beforeCommit();
    if (options.signal?.aborted) throw aborted('restore', options.signal.reason);
    const earlierOld = await previousContentDirectories(destination);
    const leftover = await swap(staging, destination, existing !== undefined);
    // An interrupted restore's swap left the content it replaced aside: this restore has now replaced it too.
    const superseded = await removeAll(dirname(destination), earlierOld);
    const interrupted = leftovers + superseded;
    const size = formatMediaSize(manifest.totals.files, manifest.totals.bytes);
    const note =
      (interrupted === 0
        ? ''
        : `; removed ${interrupted} director${interrupted === 1 ? 'y' : 'ies'} left by an interrupted restore`) +
      (leftover === undefined ? '' : `; remove the previous content left at ${leftover}`);
    return {
      description: `restored ${size} into media directory ${destination}${note}`,
      files: manifest.totals.files,
      bytes: manifest.totals.bytes,
      skippedAtBackup: manifest.totals.skipped,
    };
  } catch (error) {
    // Best effort: the destination is untouched either way, and the first error is the one worth reporting.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

function stagingPrefix(destination: string): string {
  return `.${basename(destination)}.backstop-staging-`;
}

/**
 * Removes the staging directories of restores into `destination` that were killed before they finished (a process
 * that dies cannot clean up). Safe because restores of one target never run side by side (the queue's rule), and a
 * staging directory is never the only copy of anything: the destination is untouched until the swap. The previous
 * content a swap moved aside (`.backstop-old-`) is removed only once this restore's own swap has succeeded.
 */
async function removeLeftoverStaging(destination: string): Promise<number> {
  const prefix = stagingPrefix(destination);
  const names = (await readdir(dirname(destination))).filter((name) => name.startsWith(prefix));
  for (const name of names) await rm(join(dirname(destination), name), { recursive: true, force: true });
  return names.length;
}

/**
 * The previous content that interrupted restores moved aside (a process killed between the swap's renames, or before
 * removing it): before this restore's swap, so that what its own swap moves aside is not among them.
 */
async function previousContentDirectories(destination: string): Promise<string[]> {
  const prefix = `.${basename(destination)}.backstop-old-`;
  return (await readdir(dirname(destination))).filter((name) => name.startsWith(prefix));
}

/** Removes `names` in `parent`; returns how many were removed (one that cannot be is left, the restore stands). */
async function removeAll(parent: string, names: string[]): Promise<number> {
  let removed = 0;
  for (const name of names) {
    const gone = await rm(join(parent, name), { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    if (gone) removed += 1;
  }
  return removed;
}

/**
 * The directory to replace. A symlinked destination (media -> /mnt/data/media) is resolved, so that staging lands
 * on the real directory's filesystem and the symlink stays. A destination that does not exist yet is created.
 */
async function realDestination(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (isFsError(error) && error.code === 'ENOENT') return resolve(path);
    throw error;
  }
}

async function existingDirectory(destination: string): Promise<Stats | undefined> {
  const stats = await stat(destination).catch((error: unknown) => {
    if (isFsError(error) && error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined || stats.isDirectory()) return stats;
  throw new BackstopError('media-restore-failed', `media destination ${destination} is not a directory`, {
    userMessage: `The media destination ${quote(destination)} exists but is not a directory; nothing was changed.`,
  });
}

/** Only root can give files away, and only needs to when the replaced directory belongs to someone else. */
function mustAdoptOwner(existing: Stats): boolean {
  return process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0);
}

/** After all files are written: the manifest, which carries the times, is the tar's last entry. */
async function setModificationTimes(staging: string, files: MediaManifestFile[]): Promise<void> {
  const breathe = createBreather();
  for (const file of files) {
    const seconds = (Date.parse(file.mtime) + MTIME_ROUNDING_MS) / 1000;
    utimesSync(join(staging, file.path), seconds, seconds);
    await breathe();
  }
}

/**
 * utimes takes seconds as a double, and libuv truncates its fraction to nanoseconds: .221 s becomes .220999999 s,
 * which tools that truncate (ls, rsync, a later backup's comparison) read as 220 ms. Half a microsecond more (a few
 * units of the double's precision at today's dates) lands on .2210005 s.
 */
const MTIME_ROUNDING_MS = 0.0005;

/** Swaps staging into place; returns where the previous content was left if removing it failed (the restore stands). */
async function swap(staging: string, destination: string, replace: boolean): Promise<string | undefined> {
  const parent = dirname(destination);
  if (!replace) {
    await rename(staging, destination);
    await flushRename(parent);
    return undefined;
  }
  const old = join(parent, `.${basename(destination)}.backstop-old-${randomBytes(6).toString('hex')}`);
  await rename(destination, old);
  try {
    await rename(staging, destination);
  } catch (error) {
    await rename(old, destination).catch((undo: unknown) => {
      throw new BackstopError('media-restore-failed', `cannot move ${old} back to ${destination}: ${String(undo)}`, {
        userMessage:
          `The media restore failed while swapping directories; the previous media is at ${quote(old)}: ` +
          `move it back to ${quote(destination)}.`,
        cause: error,
      });
    });
    throw error;
  }
  await flushRename(parent);
  return rm(old, { recursive: true, force: true }).then(
    () => undefined,
    () => old,
  );
}

/**
 * Makes the renames durable. The swap already happened and stands, so a failure here is not the restore's failure:
 * at worst a crash soon after brings the previous content back, whole.
 */
async function flushRename(parent: string): Promise<void> {
  await flushFilesystem(parent).catch(() => undefined);
}
