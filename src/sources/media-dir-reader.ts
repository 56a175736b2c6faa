import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { createBreather } from './media-breather.ts';
import { walkMediaDir } from './media-dir-walk.ts';
import { unreadable } from './media-errors.ts';
import type { MediaTarEntry, MediaTarSkip } from './media-tar-writer.ts';

/** The node:fs calls the directory source reads with; tests pass a wrapper that changes a file mid-backup. */
export type MediaFs = Pick<typeof nodeFs, 'openSync' | 'fstatSync' | 'readSync' | 'closeSync' | 'read'>;

/**
 * O_NOFOLLOW: a file replaced by a symlink since listing is not followed out of the tree. O_NONBLOCK: one replaced by
 * a FIFO does not hang the backup in open(); it is then skipped as not a regular file.
 */
const READ_FLAGS = nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW | nodeFs.constants.O_NONBLOCK;

/** Files up to this size are read whole with one synchronous call; larger ones asynchronously in chunks this big. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The files below `root` as tar entries, in walk order. Each file is opened and then stat'ed through its descriptor,
 * so the size in the tar header and the bytes read belong to the same file even if the name is replaced meanwhile.
 * The descriptor is closed once the tar has taken the file (the generator resumes) or the tar is abandoned.
 *
 * Files are read into the same few buffers over and over: the tar copies what it is given before it asks for more
 * (see MediaTarFile), and fresh buffers for a gigabyte of files would be a gigabyte for the collector.
 */
export async function* readMediaDir(root: string, fs: MediaFs = nodeFs): AsyncGenerator<MediaTarEntry> {
  const breathe = createBreather();
  const buffers = new ReadBuffers();
  for await (const item of walkMediaDir(root)) {
    if (item.kind === 'skipped') {
      yield item;
      continue;
    }
    const opened = openRegular(fs, root, item.path);
    if (opened.kind === 'skipped') {
      yield opened;
      continue;
    }
    const { fd, size, mtime } = opened;
    try {
      const content =
        size <= CHUNK_BYTES
          ? readWhole(fs, fd, size, item.path, buffers.whole(size + 1))
          : readChunks(fs, fd, size, item.path, buffers.chunks);
      yield { kind: 'file', path: item.path, size, mtime, content };
    } finally {
      fs.closeSync(fd);
    }
    await breathe();
  }
}

type Opened = { kind: 'open'; fd: number; size: number; mtime: Date } | MediaTarSkip;

function openRegular(fs: MediaFs, root: string, path: string): Opened {
  let fd: number;
  try {
    fd = fs.openSync(join(root, path), READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'skipped', path, reason: 'vanished while reading' };
    if (code === 'ELOOP') return { kind: 'skipped', path, reason: 'symlink' };
    throw unreadable(path, error);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isFile()) return { kind: 'open', fd, size: stats.size, mtime: stats.mtime };
  } catch (error) {
    fs.closeSync(fd);
    throw unreadable(path, error);
  }
  fs.closeSync(fd);
  return { kind: 'skipped', path, reason: 'not a regular file' };
}

/** The buffers one directory's files are read into, reused from file to file. */
class ReadBuffers {
  /** Two, for a large file: the next chunk is read into one while the tar copies the other. */
  readonly chunks: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
  private small = Buffer.allocUnsafeSlow(64 * 1024);

  /** A buffer of at least `bytes` (at most CHUNK_BYTES + 1) for a whole small file. */
  whole(bytes: number): Buffer {
    if (this.small.length < bytes) this.small = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * this.small.length));
    return this.small.subarray(0, bytes);
  }
}

/**
 * Reads a small file into `buffer`, which is one byte longer than its size: getting that byte means the file grew,
 * and the tar writer fails with `media-changed`. A short read before `size` is retried; at `size` it is the end of
 * the file.
 */
function readWhole(fs: MediaFs, fd: number, size: number, path: string, buffer: Buffer): Buffer {
  let filled = 0;
  try {
    do {
      const bytesRead = fs.readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    } while (filled < size);
  } catch (error) {
    throw unreadable(path, error);
  }
  return buffer.subarray(0, filled);
}

/**
 * Reads up to `size + 1` bytes (one more reveals growth) in chunks, the next chunk being read into one of `buffers`
 * while the tar hashes and copies the current one from the other; the tar is done with a chunk when it asks for the
 * next, so the two take turns.
 */
async function* readChunks(
  fs: MediaFs,
  fd: number,
  size: number,
  path: string,
  buffers: [Buffer, Buffer],
): AsyncGenerator<Buffer> {
  let turn = 0;
  let next: Promise<Buffer | Error> | undefined = readAt(fs, fd, buffers[0], Math.min(CHUNK_BYTES, size + 1), 0);
  try {
    for (let position = 0; next !== undefined; ) {
      const chunk: Buffer | Error = await next;
      if (chunk instanceof Error) throw unreadable(path, chunk);
      position += chunk.length;
      const remaining = size + 1 - position;
      const more: boolean = chunk.length > 0 && remaining > 0;
      turn = 1 - turn;
      next = more ? readAt(fs, fd, buffers[turn]!, Math.min(CHUNK_BYTES, remaining), position) : undefined;
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    // The caller closes the descriptor next; a read still in flight must not outlive it.
    await next;
  }
}

/** Reads at `position`; resolves to the error instead of rejecting, as it may settle while nobody awaits it yet. */
function readAt(fs: MediaFs, fd: number, buffer: Buffer, length: number, position: number): Promise<Buffer | Error> {
  return new Promise((resolve) => {
    fs.read(fd, buffer, 0, length, position, (error, bytesRead) => {
      resolve(error ?? buffer.subarray(0, bytesRead));
    });
  });
}
