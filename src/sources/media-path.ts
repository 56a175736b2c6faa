/** Where a media file's bytes live in the tar: `media/<relative path>`. */
export const MEDIA_ENTRY_PREFIX = 'media/';

/** The tar's last entry, listing every file (see media-manifest.ts). */
export const MANIFEST_ENTRY_NAME = 'manifest.json';

/**
 * Why a relative media path is unsafe to archive or to restore, or `undefined` when it is fine. The backup side skips
 * what the restore side would reject, so every completed backup can be restored. Paths use "/" and must stay inside
 * the destination whatever tool extracts them: no absolute paths, no empty, "." or ".." segments, no backslashes
 * (a separator on Windows), no NUL (it ends a C string, so tar and the kernel would see a different name).
 */
export function mediaPathProblem(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.includes('\0')) return 'NUL in path';
  if (path.includes('\\')) return 'backslash in path';
  if (path.startsWith('/')) return 'absolute path';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
  }
  return undefined;
}
