import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMPORARY_NAME = /^\..+\.tmp-[0-9a-f]{12}$/;

/** True for the names `writeFileAtomically` gives its temporary files, which are never objects. */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
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
      for await (const chunk of chunks) {
        await writeAll(handle, chunk);
      }
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

/** A single write(2) may store fewer bytes than asked; keep going until the chunk is all on disk. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength; ) {
    const { bytesWritten } = await handle.write(chunk, offset);
    offset += bytesWritten;
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
