import type { Backup } from '../domain/backup.ts';
import type { Principal } from '../domain/principal.ts';
import { readMediaManifest } from '../engine/read-media-manifest.ts';
import type { MediaManifest, MediaManifestFile } from '../sources/media-manifest.ts';
import { authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** How many manifests a process keeps read (a completed backup's manifest never changes). */
const manifestsKept = 4;
const kept = new Map<string, Promise<MediaManifest>>();

/**
 * The files of a backup's media, from its manifest (viewer role on the backup's app): those whose path contains
 * `search` (any case), in the manifest's order, `limit` from `offset`, with how many matched, and the backup. Reading a manifest
 * reads the whole media part once; the last few read are kept.
 */
export async function listBackupFiles(
  ctx: UseCaseContext,
  principal: Principal,
  backupId: string,
  query: { search?: string; offset: number; limit: number },
): Promise<{
  backup: Backup;
  files: MediaManifestFile[];
  matched: number;
  total: number;
  skipped: MediaManifest['skipped'];
}> {
  const backup = await ctx.catalog.getBackup(backupId);
  await authorizedRead(ctx, principal, 'backup.read', backup.app, `files ${backup.id}`);
  let manifest = kept.get(backup.id);
  if (!manifest) {
    manifest = readMediaManifest(ctx, backup);
    kept.set(backup.id, manifest);
    manifest.catch(() => kept.delete(backup.id));
    while (kept.size > manifestsKept) kept.delete(kept.keys().next().value as string);
  }
  const { files, skipped } = await manifest;
  const needle = query.search?.trim().toLowerCase();
  const matching = needle ? files.filter((f) => f.path.toLowerCase().includes(needle)) : files;
  return {
    backup,
    files: matching.slice(query.offset, query.offset + query.limit),
    matched: matching.length,
    total: files.length,
    skipped,
  };
}
