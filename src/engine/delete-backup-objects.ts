import type { Backup } from '../domain/backup.ts';
import { partFileName } from '../domain/parts.ts';
import type { EngineContext } from './engine-context.ts';

/**
 * Removes every object of a backup: backup.json first (so a half-deleted folder is never taken for a complete backup
 * by `catalog rebuild`), its parts by name (deleting a key also removes what a writer killed mid-write left of it,
 * which a listing does not show): those recorded, and those of every lease generation up to `generations`, then
 * whatever else is in its folder. Used by retention, and to discard or abandon an attempt.
 */
export async function deleteBackupObjects(
  ctx: Pick<EngineContext, 'store'>,
  backup: Backup,
  generations = 1,
): Promise<void> {
  const folder = `${backup.app}/${backup.env}/${backup.id}/`;
  await ctx.store.delete(`${folder}backup.json`);
  const names = new Set(backup.storedParts.map((part) => part.key));
  for (let generation = 1; generation <= generations; generation++) {
    for (const kind of ['db', 'media'] as const) names.add(`${folder}${partFileName(kind, generation)}`);
  }
  for (const key of names) await ctx.store.delete(key);
  for await (const object of ctx.store.list(folder)) await ctx.store.delete(object.key);
}
