import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BackstopError } from '../domain/backstop-error.ts';
import { aborted, isFsError, restoreFailed } from './media-errors.ts';
import { loadAhead } from './media-load-ahead.ts';
import type { MediaManifest, MediaManifestFile } from './media-manifest.ts';
import { MediaProgress } from './media-progress.ts';
import type { MediaS3Location } from './media-s3-location.ts';
import { formatMediaSize } from './media-size.ts';
import { MediaSpoolSink } from './media-spool-sink.ts';
import { readMediaTar } from './media-tar-reader.ts';
import type { ProgressListener, RestoreSummary } from './source.ts';

/** Files uploaded, or keys deleted, at once. Each upload holds at most one 5 MiB part: memory stays bounded. */
const PARALLEL_REQUESTS = 8;

/** S3 allows at most 10,000 parts per upload; parts grow beyond the 5 MiB minimum for files over 50 GB. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Makes the prefix equal to the media tar `input`.
 *
 * S3 has no transactions and no rename: each object is replaced by its own request, so a prefix cannot switch to
 * the restored content in one step, and a failure half-way leaves it mixed. To keep the harm small:
 * 1. The whole tar is first spooled to a local temporary directory and checked against its manifest, and
 *    `beforeCommit` must resolve; a bad or truncated input never touches the bucket.
 * 2. Every file is uploaded before anything is deleted. A failure while uploading leaves each key holding either
 *    its old or its restored version, and no object missing; a failure while deleting leaves only extra objects.
 *    Running the restore again completes it either way.
 * 3. Only then are the keys under the prefix that are not in the manifest deleted.
 */
export async function restoreMediaS3(
  location: MediaS3Location,
  input: Readable,
  options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener; tempDir: string },
): Promise<RestoreSummary> {
  let spool: string | undefined;
  try {
    spool = await mkdtemp(join(options.tempDir, 'backstop-media-spool-'));
    const sink = new MediaSpoolSink(spool);
    const manifest = await readMediaTar(input, sink, options);
    await options.beforeCommit();
    await uploadAll(location, manifest, sink, options);
    const deleted = await deleteExtras(location, manifest, options.signal);
    const size = formatMediaSize(manifest.totals.files, manifest.totals.bytes);
    return {
      description: `restored ${size} into ${location.url} (${deleted} extra objects deleted)`,
      files: manifest.totals.files,
      bytes: manifest.totals.bytes,
      deleted,
      skippedAtBackup: manifest.totals.skipped,
    };
  } catch (error) {
    input.destroy();
    throw isFsError(error) ? restoreFailed(spool ?? options.tempDir, error) : error;
  } finally {
    // Best effort: a leftover spool must not turn a finished restore, or its first error, into another error.
    if (spool !== undefined) await rm(spool, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function uploadAll(
  location: MediaS3Location,
  manifest: MediaManifest,
  sink: MediaSpoolSink,
  options: { signal?: AbortSignal; onProgress?: ProgressListener },
): Promise<void> {
  const progress = new MediaProgress(options.onProgress, 'media-upload', manifest.totals.bytes);
  let uploaded = 0;
  const upload = async (file: MediaManifestFile) => {
    if (options.signal?.aborted) throw aborted('restore', options.signal.reason);
    const key = location.prefix + file.path;
    const body = createReadStream(sink.localPath(file.path));
    try {
      await new Upload({
        client: location.client,
        params: { Bucket: location.bucket, Key: key, Body: body, ...type(file) },
        queueSize: 1,
        partSize: Math.max(MIN_PART_BYTES, Math.ceil(file.size / MAX_PARTS)),
      }).done();
    } catch (error) {
      throw location.failed('upload', error, key);
    } finally {
      body.destroy(); // a failed upload may stop reading it half-way
    }
    return file;
  };
  try {
    for await (const file of loadAhead(manifest.files, upload, PARALLEL_REQUESTS)) {
      uploaded += 1;
      progress.add(file.size);
    }
  } catch (error) {
    throw incomplete(location, `after ${uploaded} of ${manifest.files.length} files were uploaded`, error);
  }
  progress.finish();
}

async function deleteExtras(location: MediaS3Location, manifest: MediaManifest, signal?: AbortSignal) {
  const wanted = new Set(manifest.files.map((file) => location.prefix + file.path));
  let deleted = 0;
  // One DeleteObject per key: DeleteObjects needs a Content-MD5 that several S3-compatible stores insist on and the
  // current SDK no longer sends. Extra keys are usually few; they are deleted several at a time.
  const remove = async ({ key }: { key: string }) => {
    if (signal?.aborted) throw aborted('restore', signal.reason);
    await location.client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: key })).catch((error) => {
      throw location.failed('delete', error, key);
    });
  };
  try {
    const extras = filter(location.list(), ({ key }) => !wanted.has(key));
    for await (const _ of loadAhead(extras, remove, PARALLEL_REQUESTS)) deleted += 1;
  } catch (error) {
    throw incomplete(location, `after all files were uploaded, while deleting objects not in the backup`, error);
  }
  return deleted;
}

async function* filter<T>(items: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of items) if (keep(item)) yield item;
}

function type(file: MediaManifestFile): { ContentType?: string } {
  return file.contentType === undefined ? {} : { ContentType: file.contentType };
}

function incomplete(location: MediaS3Location, when: string, cause: unknown): BackstopError {
  const reason = cause instanceof BackstopError && cause.userMessage !== undefined ? ` ${cause.userMessage}` : '';
  return new BackstopError('media-s3-restore-incomplete', `restore into ${location.url} stopped ${when}`, {
    userMessage:
      `The media restore into ${location.url} stopped ${when}; the prefix may mix old and restored files, none ` +
      `is missing. Run the restore again to finish it.${reason}`,
    retryable: cause instanceof BackstopError ? cause.retryable : true,
    cause,
  });
}
