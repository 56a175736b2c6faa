import { mismatch, quote } from './media-errors.ts';
import { MANIFEST_ENTRY_NAME, mediaPathProblem } from './media-path.ts';

export const MEDIA_FORMAT = 'backstop-media/1';

/** One archived file; `path` is relative to the media root (its tar entry is `media/<path>`). */
export interface MediaManifestFile {
  path: string;
  size: number;
  sha256: string;
  /** ISO 8601, millisecond precision. */
  mtime: string;
  /** Only for S3 sources: the object's Content-Type, restored on upload. */
  contentType?: string;
}

/** Something in the source that is not in the tar, and why (a symlink, a socket, a name the format cannot hold). */
export interface MediaSkippedFile {
  path: string;
  reason: string;
}

/** The content of `manifest.json`, the tar's last entry. */
export interface MediaManifest {
  format: typeof MEDIA_FORMAT;
  files: MediaManifestFile[];
  skipped: MediaSkippedFile[];
  totals: { files: number; bytes: number; skipped: number };
}

/** Parses and checks `manifest.json`; anything malformed is a `media-manifest-mismatch` naming the problem. */
export function parseMediaManifest(text: string): MediaManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw mismatch(`${MANIFEST_ENTRY_NAME} is not valid JSON`, error);
  }
  if (!isRecord(value) || value['format'] !== MEDIA_FORMAT) {
    throw mismatch(`${MANIFEST_ENTRY_NAME} is not a "${MEDIA_FORMAT}" manifest`);
  }
  const files = requireArray(value['files'], 'files').map(parseFile);
  const skipped = value['skipped'] === undefined ? [] : requireArray(value['skipped'], 'skipped').map(parseSkipped);
  const totals = value['totals'];
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  if (!isRecord(totals) || totals['files'] !== files.length || totals['bytes'] !== bytes) {
    throw mismatch(`${MANIFEST_ENTRY_NAME} totals do not match its list of ${files.length} files and ${bytes} bytes`);
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw mismatch(`${MANIFEST_ENTRY_NAME} lists ${quote(file.path)} twice`);
    seen.add(file.path);
  }
  return { format: MEDIA_FORMAT, files, skipped, totals: { files: files.length, bytes, skipped: skipped.length } };
}

function parseFile(value: unknown, index: number): MediaManifestFile {
  const where = `${MANIFEST_ENTRY_NAME} file #${index + 1}`;
  if (!isRecord(value)) throw mismatch(`${where} is not an object`);
  const { path, size, sha256, mtime, contentType } = value;
  if (typeof path !== 'string' || mediaPathProblem(path) !== undefined) {
    throw mismatch(`${where} has an invalid path ${quote(String(path))}`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw mismatch(`${where} (${quote(path)}) has an invalid size`);
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw mismatch(`${where} (${quote(path)}) has an invalid sha256`);
  }
  if (typeof mtime !== 'string' || Number.isNaN(Date.parse(mtime))) {
    throw mismatch(`${where} (${quote(path)}) has an invalid mtime`);
  }
  if (contentType !== undefined && typeof contentType !== 'string') {
    throw mismatch(`${where} (${quote(path)}) has an invalid contentType`);
  }
  return contentType === undefined ? { path, size, sha256, mtime } : { path, size, sha256, mtime, contentType };
}

function parseSkipped(value: unknown, index: number): MediaSkippedFile {
  if (!isRecord(value) || typeof value['path'] !== 'string' || typeof value['reason'] !== 'string') {
    throw mismatch(`${MANIFEST_ENTRY_NAME} skipped entry #${index + 1} is not { path, reason }`);
  }
  return { path: value['path'], reason: value['reason'] };
}

function requireArray(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value)) throw mismatch(`${MANIFEST_ENTRY_NAME} has no "${key}" list`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
