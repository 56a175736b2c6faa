import { createHash, type Hash, hash } from 'node:crypto';
import { BackstopError } from '../domain/backstop-error.ts';
import { aborted, changed } from './media-errors.ts';
import type { MediaSkippedFile } from './media-manifest.ts';
import { MediaManifestSpool } from './media-manifest-spool.ts';
import { MANIFEST_ENTRY_NAME, MEDIA_ENTRY_PREFIX } from './media-path.ts';
import { MediaProgress } from './media-progress.ts';
import { TarOutput } from './media-tar-output.ts';
import type { ProgressListener } from './source.ts';
import { END_OF_ARCHIVE, fileHeaderBlocks, paddingAfter } from './tar-header.ts';

/**
 * One regular file to archive. `size` is what the source said before reading (stat, Content-Length); it goes into
 * the tar header first, so `content` must yield exactly that many bytes or the backup fails with `media-changed`.
 * Small files come whole as a Buffer (no per-file stream machinery); large ones as chunks, read only when their turn
 * comes. A chunked source should read at most `size + 1` bytes: one byte more is enough to notice growth. The tar
 * is done with a file's Buffer, and with each chunk, when it asks for the next entry or chunk: a source may reuse
 * their memory then.
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
 * entries go to a temporary file under `tempDir` (the system's by default) as they come, and the tar is assembled in
 * reused blocks (see TarOutput) rather than a few small buffers a file. Headers carry fixed owner and mode so that the
 * same tree always gives the same bytes.
 *
 * The stream ends only after the manifest; any failure destroys it with a BackstopError, and aborting `signal`
 * destroys it too. Destroying the returned stream stops reading the source.
 */
export function writeMediaTar(
  entries: AsyncIterable<MediaTarEntry>,
  options: { signal?: AbortSignal; onProgress?: ProgressListener; tempDir?: string } = {},
): TarOutput {
  const output = new TarOutput();
  const onAbort = () => output.destroy(aborted('backup', options.signal?.reason));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  output.once('close', () => options.signal?.removeEventListener('abort', onAbort));
  if (options.signal?.aborted) onAbort();
  else {
    const manifest = new MediaManifestSpool(options.tempDir);
    fillTar(output, entries, manifest, new MediaProgress(options.onProgress, 'media'))
      .catch((error: unknown) => {
        output.destroy(asBackstopError(error));
      })
      .finally(() => manifest.discard());
  }
  return output;
}

async function fillTar(
  output: TarOutput,
  entries: AsyncIterable<MediaTarEntry>,
  manifest: MediaManifestSpool,
  progress: MediaProgress,
): Promise<void> {
  let newest = 0;
  for await (const entry of entries) {
    if (output.destroyed) return;
    if (entry.kind === 'skipped') {
      await manifest.addSkipped({ path: entry.path, reason: entry.reason });
      continue;
    }
    const sha256 = await addFile(output, entry, progress);
    const mtime = entry.mtime.toISOString();
    await manifest.addFile({ path: entry.path, size: entry.size, sha256, mtime, ...contentType(entry) });
    newest = Math.max(newest, entry.mtime.getTime());
  }
  if (output.destroyed) return;
  // The newest file's time rather than "now", so that backups of an unchanged tree stay byte-identical.
  const size = manifest.size;
  await output.write(fileHeaderBlocks(MANIFEST_ENTRY_NAME, size, new Date(newest)));
  for await (const chunk of manifest.content()) await output.write(chunk);
  await output.write(paddingAfter(size));
  await output.write(END_OF_ARCHIVE);
  progress.finish();
  output.finish();
}

async function addFile(output: TarOutput, file: MediaTarFile, progress: MediaProgress): Promise<string> {
  await output.write(fileHeaderBlocks(MEDIA_ENTRY_PREFIX + file.path, file.size, file.mtime));
  let sha256: string;
  if (Buffer.isBuffer(file.content)) {
    if (file.content.length !== file.size) throw changed(file.path, file.size, `${file.content.length}`);
    // One call, no Hash object to collect: most files of a large tree are small ones.
    sha256 = hash('sha256', file.content, 'hex');
    await output.write(file.content);
    progress.add(file.size);
  } else {
    const chunked = createHash('sha256');
    for await (const chunk of hashedExactly(file, file.content, chunked, progress)) await output.write(chunk);
    sha256 = chunked.digest('hex');
  }
  await output.write(paddingAfter(file.size));
  return sha256;
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
