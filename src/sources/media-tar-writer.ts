import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack as createPack, type Pack } from 'tar-stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { aborted, changed } from './media-errors.ts';
import type { MediaSkippedFile } from './media-manifest.ts';
import { MediaManifestSpool } from './media-manifest-spool.ts';
import { MANIFEST_ENTRY_NAME, MEDIA_ENTRY_PREFIX } from './media-path.ts';
import { MediaProgress } from './media-progress.ts';
import type { ProgressListener } from './source.ts';

/**
 * One regular file to archive. `size` is what the source said before reading (stat, Content-Length); it goes into
 * the tar header first, so `content` must yield exactly that many bytes or the backup fails with `media-changed`.
 * Small files come whole as a Buffer (no per-file stream machinery); large ones as chunks, read only when their turn
 * comes. A chunked source should read at most `size + 1` bytes: one byte more is enough to notice growth.
 */
export interface MediaTarFile {
  kind: 'file';
  path: string;
  size: number;
  mtime: Date;
  contentType?: string;
  content: Buffer | AsyncIterable<Buffer>;
}

/** Something the source holds that the tar will not (see MediaSkippedFile); it is listed in the manifest. */
export interface MediaTarSkip extends MediaSkippedFile {
  kind: 'skipped';
}

export type MediaTarEntry = MediaTarFile | MediaTarSkip;

/**
 * Streams `entries` (in the order given, which the caller makes deterministic) into a tar: `media/<path>` for each
 * file, then `manifest.json`. Each file is hashed in the same pass as it is copied. Memory stays flat: the manifest's
 * entries go to a temporary file under `tempDir` (the system's by default) as they come. Headers carry fixed owner and mode so that the same tree always gives the same bytes.
 *
 * The stream ends only after the manifest; any failure destroys it with a BackstopError, and aborting `signal`
 * destroys it too. Destroying the returned stream stops reading the source.
 */
export function writeMediaTar(
  entries: AsyncIterable<MediaTarEntry>,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; tempDir?: string } = {},
): Readable {
  const pack = createPack();
  const output = nodeReadable(pack);
  const onAbort = () => output.destroy(aborted('backup', options.signal?.reason));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  output.once('close', () => options.signal?.removeEventListener('abort', onAbort));
  if (options.signal?.aborted) onAbort();
  else {
    const manifest = new MediaManifestSpool(options.tempDir);
    fillPack(pack, entries, manifest, new MediaProgress(options.onProgress, 'media'))
      .catch((error: unknown) => {
        output.destroy(asBackstopError(error));
      })
      .finally(() => manifest.discard());
  }
  return output;
}

/** Small tar chunks (headers, padding, small files) are gathered into chunks of about this size. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

/**
 * tar-stream's pack is a streamx stream; the port promises a node:stream Readable. Forwarding 'data' with pause and
 * resume keeps backpressure and costs less than Readable.from's async iteration. A tree of small files makes three
 * tiny chunks per file (header, content, padding); gathering them into 64 KiB chunks spares every later stage
 * (encryption, upload) that per-chunk overhead. Destroying the output destroys the pack, which stops `fillPack`.
 */
function nodeReadable(pack: Pack): Readable {
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const output = new Readable({
    read: () => pack.resume(),
    destroy: (error, callback) => {
      pack.destroy();
      callback(error);
    },
  });
  const push = (chunk: Buffer) => {
    if (!output.push(chunk)) pack.pause();
  };
  const flush = () => {
    if (gatheredBytes === 0) return;
    const chunk = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes);
    gathered = [];
    gatheredBytes = 0;
    push(chunk);
  };
  pack.on('data', (data) => {
    const chunk = data as Buffer;
    if (chunk.length >= OUTPUT_CHUNK_BYTES) {
      flush();
      push(chunk);
      return;
    }
    gathered.push(chunk);
    gatheredBytes += chunk.length;
    if (gatheredBytes >= OUTPUT_CHUNK_BYTES) flush();
  });
  pack.on('end', () => {
    flush();
    output.push(null);
  });
  pack.on('error', (error: Error) => output.destroy(asBackstopError(error)));
  return output;
}

async function fillPack(
  pack: Pack,
  entries: AsyncIterable<MediaTarEntry>,
  manifest: MediaManifestSpool,
  progress: MediaProgress,
): Promise<void> {
  let newest = 0;
  for await (const entry of entries) {
    if (pack.destroyed) return;
    if (entry.kind === 'skipped') {
      await manifest.addSkipped({ path: entry.path, reason: entry.reason });
      continue;
    }
    const sha256 = await addFile(pack, entry, progress);
    const mtime = entry.mtime.toISOString();
    await manifest.addFile({ path: entry.path, size: entry.size, sha256, mtime, ...contentType(entry) });
    newest = Math.max(newest, entry.mtime.getTime());
  }
  // The newest file's time rather than "now", so that backups of an unchanged tree stay byte-identical.
  const header = fileHeader(MANIFEST_ENTRY_NAME, manifest.size, new Date(newest));
  await addStreamedEntry(pack, header, manifest.content());
  progress.finish();
  pack.finalize();
}

async function addFile(pack: Pack, file: MediaTarFile, progress: MediaProgress): Promise<string> {
  const hash = createHash('sha256');
  const header = fileHeader(MEDIA_ENTRY_PREFIX + file.path, file.size, file.mtime);
  if (Buffer.isBuffer(file.content)) {
    if (file.content.length !== file.size) throw changed(file.path, file.size, `${file.content.length}`);
    hash.update(file.content);
    await addEntry(pack, header, file.content);
    progress.add(file.size);
    return hash.digest('hex');
  }
  await addStreamedEntry(pack, header, hashedExactly(file, file.content, hash, progress));
  return hash.digest('hex');
}

/** `content`, hashed and counted on the way; fails with `media-changed` unless it is exactly `file.size` bytes. */
async function* hashedExactly(
  file: MediaTarFile,
  content: AsyncIterable<Buffer>,
  hash: Hash,
  progress: MediaProgress,
): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const chunk of content) {
    done += chunk.length;
    if (done > file.size) throw changed(file.path, file.size, 'more');
    hash.update(chunk);
    progress.add(chunk.length);
    yield chunk;
  }
  if (done !== file.size) throw changed(file.path, file.size, `${done}`);
}

/** Adds an entry whose bytes (`header.size` of them) come in chunks; resolves once the tar accepted the whole entry. */
async function addStreamedEntry(pack: Pack, header: EntryHeader, chunks: AsyncIterable<Buffer>): Promise<void> {
  let finish: (error?: Error | null) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const entry = pack.entry(header, finish);
  finished.catch(() => {}); // awaited below; when the copy fails first, the pack's own error is the one reported
  for await (const chunk of chunks) {
    if (!entry.write(chunk)) await drained(entry);
  }
  entry.end(null); // streamx typings want an argument; null adds nothing
  await finished;
}

type EntryHeader = Parameters<Pack['entry']>[0];

/** Owner, group and mode are the same for every entry: restores do not depend on them and output stays stable. */
function fileHeader(name: string, size: number, mtime: Date): EntryHeader {
  return { name, size, mtime, type: 'file', mode: 0o644, uid: 0, gid: 0 };
}

/** Adds a whole entry; resolves once the tar accepted it, which is when the next entry may start (backpressure). */
function addEntry(pack: Pack, header: EntryHeader, content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, content, (error) => (error ? reject(error) : resolve()));
  });
}

/** Waits until the entry takes more bytes; fails if the tar was destroyed meanwhile (the reader went away). */
function drained(entry: ReturnType<Pack['entry']>): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      entry.off('drain', settle);
      entry.off('close', settle);
      if (entry.destroyed) reject(new Error('tar entry was destroyed'));
      else resolve();
    };
    entry.on('drain', settle);
    entry.on('close', settle);
  });
}

function contentType(file: MediaTarFile): { contentType?: string } {
  return file.contentType === undefined ? {} : { contentType: file.contentType };
}

function asBackstopError(error: unknown): BackstopError {
  if (error instanceof BackstopError) return error;
  return new BackstopError('media-read-failed', `media backup failed: ${String(error)}`, {
    userMessage: 'Reading the media files failed; see the log.',
    cause: error,
  });
}
