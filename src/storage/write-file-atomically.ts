import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { giveBackBlock, isMovable } from '../domain/movable-chunks.ts';

const TEMPORARY_NAME = /^\..+\.tmp-[0-9a-f]{12}$/;

/** True for the names `writeFileAtomically` gives its temporary files, which are never objects. */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

/** True when `name` is a temporary file of a write to `file` (one a killed process may have left behind). */
export function isTemporaryFileOf(name: string, file: string): boolean {
  return isTemporaryName(name) && name.slice(1, name.lastIndexOf('.tmp-')) === basename(file);
}

/**
 * Writes `chunks` to `file` so that readers see either the old file or the complete new one, also after a crash:
 * the bytes go to a temporary file in the same directory (so the rename cannot cross file systems), are fsynced,
 * renamed into place, and then the directories from `file`'s up to `syncUpTo` are fsynced so the new name and any
 * directories created for it are durable too. On any failure no file is left under either name and the error is
 * rethrown.
 */
export async function writeFileAtomically(
  file: string,
  chunks: AsyncIterable<Uint8Array>,
  options: { syncUpTo: string },
): Promise<void> {
  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await openCreatingDirectories(temporary);
  let renamed = false;
  try {
    try {
      await writeBatched(handle, chunks);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    renamed = true;
    for (let current = directory; ; current = dirname(current)) {
      await syncDirectory(current);
      if (current === options.syncUpTo || current === dirname(current)) break;
    }
  } catch (error) {
    // A file whose name may not survive a crash is no complete write either: remove it, whichever name it has now.
    await rm(renamed ? file : temporary, { force: true });
    throw error;
  }
}

/**
 * Creates the file's directories and opens it exclusively. A concurrent delete may remove a directory it just found
 * empty between our mkdir and open (it tidies up empty parents); trying again a few times outlasts that race.
 */
async function openCreatingDirectories(temporary: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(temporary), { recursive: true, mode: 0o700 });
    try {
      // 0600: download copies in the store are plaintext backups.
      return await open(temporary, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}

/** Chunks are gathered up to this size and written with one writev(2): streams deliver many small pieces. */
const BATCH_BYTES = 1 << 20;

/**
 * Dirty data is flushed in the background every this many bytes, so the final fsync waits only for the tail
 * instead of the whole object (for a large backup, seconds of doing nothing).
 */
const FLUSH_EVERY_BYTES = 64 << 20;

async function writeBatched(handle: FileHandle, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushFailure: { error: unknown } | undefined;
  const write = async () => {
    await writeAll(handle, batch);
    // Written, and nobody else holds them: memory its producer marked movable goes back for reuse.
    for (const chunk of batch) if (isMovable(chunk)) giveBackBlock(chunk.buffer as ArrayBuffer);
    unflushed += batchBytes;
    batch = [];
    batchBytes = 0;
    if (flushFailure) throw flushFailure.error;
    if (unflushed >= FLUSH_EVERY_BYTES && flushing === undefined) {
      unflushed = 0;
      flushing = handle.datasync().then(
        () => {
          flushing = undefined;
        },
        (error: unknown) => {
          flushFailure = { error };
          flushing = undefined;
        },
      );
    }
  };
  try {
    for await (const chunk of chunks) {
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= BATCH_BYTES) await write();
    }
    if (batchBytes > 0) await write();
  } finally {
    // The caller closes the handle next: no flush may still be using it. (A flush never rejects: see above.)
    await flushing;
  }
  if (flushFailure) throw flushFailure.error;
}

/** A single writev(2) may store fewer bytes than asked; keep going until every buffer is on disk. */
async function writeAll(handle: FileHandle, buffers: Uint8Array[]): Promise<void> {
  let pending = buffers.filter((buffer) => buffer.byteLength > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    while (pending.length > 0 && bytesWritten >= pending[0]!.byteLength) {
      bytesWritten -= pending[0]!.byteLength;
      pending = pending.slice(1);
    }
    if (bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
