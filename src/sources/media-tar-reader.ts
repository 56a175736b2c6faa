import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { extract as createExtract, type Header } from 'tar-stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { aborted, mismatch, quote, unsafeEntry } from './media-errors.ts';
import { type MediaManifest, parseMediaManifest } from './media-manifest.ts';
import { MANIFEST_ENTRY_NAME, MEDIA_ENTRY_PREFIX, mediaPathProblem } from './media-path.ts';
import { MediaProgress } from './media-progress.ts';
import type { ProgressListener } from './source.ts';

/** Where the reader puts files; the directory source writes into its staging directory, the S3 source spools. */
export interface MediaFileSink {
  /**
   * Stores one file, consuming `content` to its end. Called for one file at a time, in tar order, with a path that
   * passed `mediaPathProblem`. Errors of `content` must pass through unchanged.
   */
  writeFile(path: string, content: AsyncIterable<Buffer>): Promise<void>;
}

/** A manifest of this size lists over a million files; anything larger is refused rather than parsed. */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/**
 * Reads a media tar, writing each file through `sink` and hashing it on the way, and resolves to the manifest once
 * every entry and the manifest agree. Accepted entries: regular files `media/<safe path>`, directories `media/...`
 * (ignored: directories follow from file paths, and allowing them lets a user repack a tar with plain `tar`), and
 * `manifest.json` as the last entry. Anything else rejects with `media-unsafe-entry`; a tar that is damaged,
 * truncated or disagrees with its manifest rejects with `media-manifest-mismatch`. If `input` errors, that error is
 * the rejection. On rejection `input` is destroyed; what the sink already wrote is the caller's to discard.
 */
export async function readMediaTar(
  input: Readable,
  sink: MediaFileSink,
  options: { signal?: AbortSignal; onProgress?: ProgressListener } = {},
): Promise<MediaManifest> {
  const extract = createExtract();
  const received = new Map<string, { size: number; sha256: string }>();
  const progress = new MediaProgress(options.onProgress, 'media');
  let manifest: MediaManifest | undefined;
  const onAbort = () => extract.destroy(aborted('restore', options.signal?.reason));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  // pipeline, not pipe: the input may have failed already (a damaged first chunk fails decryption before anyone
  // reads), and only pipeline hands such an error on; pipe would leave the extractor waiting for ever.
  pipeline(input, extract, () => {});
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const content = entry as AsyncIterable<Buffer>; // tar-stream types chunks as unknown; they are Buffers
      if (manifest !== undefined) throw unsafeEntry(header.name, `comes after ${MANIFEST_ENTRY_NAME}`);
      if (header.name === MANIFEST_ENTRY_NAME && header.type === 'file') {
        manifest = parseMediaManifest(await readManifest(content, header));
        continue;
      }
      const path = mediaPath(header);
      if (header.type === 'directory') continue;
      if (received.has(path)) throw unsafeEntry(header.name, 'appears twice');
      received.set(path, await copyFile(path, content, sink, progress));
    }
  } catch (error) {
    input.destroy();
    // The input's own failure (decryption, the store) is the cause to report, whenever it happened.
    throw input.errored ?? (error instanceof BackstopError ? error : damaged(error));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (manifest === undefined) throw mismatch(`${MANIFEST_ENTRY_NAME} is missing (the tar may be truncated)`);
  compareWithManifest(received, manifest);
  progress.finish();
  return manifest;
}

/** The relative path of an entry that may be restored, or a `media-unsafe-entry` saying why it may not. */
function mediaPath(header: Header): string {
  const { name, type } = header;
  if (type !== 'file' && type !== 'directory') throw unsafeEntry(name, describeType(type));
  const trimmed = type === 'directory' && name.endsWith('/') ? name.slice(0, -1) : name;
  if (type === 'directory' && trimmed === 'media') return '';
  if (!trimmed.startsWith(MEDIA_ENTRY_PREFIX)) throw unsafeEntry(name, `not under ${MEDIA_ENTRY_PREFIX}`);
  const path = trimmed.slice(MEDIA_ENTRY_PREFIX.length);
  const problem = mediaPathProblem(path);
  if (problem !== undefined) throw unsafeEntry(name, problem);
  return path;
}

function describeType(type: Header['type']): string {
  switch (type) {
    case 'symlink':
      return 'a symbolic link';
    case 'link':
      return 'a hard link';
    case 'character-device':
    case 'block-device':
      return 'a device';
    case 'fifo':
      return 'a FIFO';
    default:
      return `an unsupported entry type (${type})`;
  }
}

async function copyFile(
  path: string,
  entry: AsyncIterable<Buffer>,
  sink: MediaFileSink,
  progress: MediaProgress,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of entry) {
      hash.update(chunk);
      size += chunk.length;
      progress.add(chunk.length);
      yield chunk;
    }
  }
  await sink.writeFile(path, hashed());
  return { size, sha256: hash.digest('hex') };
}

async function readManifest(entry: AsyncIterable<Buffer>, header: Header): Promise<string> {
  if (header.size > MAX_MANIFEST_BYTES) throw mismatch(`${MANIFEST_ENTRY_NAME} is too large`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Every file in the tar is in the manifest with the same size and sha256, and the other way round. */
function compareWithManifest(received: Map<string, { size: number; sha256: string }>, manifest: MediaManifest): void {
  for (const file of manifest.files) {
    const got = received.get(file.path);
    if (got === undefined) throw mismatch(`${quote(file.path)} is in ${MANIFEST_ENTRY_NAME} but not in the tar`);
    if (got.size !== file.size) {
      throw mismatch(`${quote(file.path)} has ${got.size} bytes, ${MANIFEST_ENTRY_NAME} says ${file.size}`);
    }
    if (got.sha256 !== file.sha256) throw mismatch(`${quote(file.path)} does not match its sha256 in the manifest`);
  }
  if (received.size !== manifest.files.length) {
    const listed = new Set(manifest.files.map((file) => file.path));
    const extra = [...received.keys()].find((path) => !listed.has(path)) ?? '';
    throw mismatch(`${quote(extra)} is in the tar but not in ${MANIFEST_ENTRY_NAME}`);
  }
}

function damaged(cause: unknown): BackstopError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return mismatch(`the tar is damaged or truncated (${detail})`, cause);
}
