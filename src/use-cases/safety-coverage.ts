import type { Restore } from '../domain/backup.ts';
import type { PartKind } from '../domain/part-kind.ts';
import { partKinds } from '../domain/parts.ts';
import type { Catalog } from '../state/catalog.ts';

/**
 * What undoing a restore can bring back: the safety backup taken first holds each restored part that existed in the
 * destination then; a part that did not exist (a database the restore created, a media folder it made) is not in
 * it, and restoring the safety backup leaves that part as the restore made it. Undefined when no safety backup was
 * taken.
 */
export async function safetyCoverage(
  catalog: Pick<Catalog, 'findBackup'>,
  restore: Pick<Restore, 'parts' | 'safetyBackupId'>,
): Promise<{ safetyBackupId: string; kept: PartKind[]; createdByRestore: PartKind[] } | undefined> {
  if (restore.safetyBackupId === null) return undefined;
  const safety = await catalog.findBackup(restore.safetyBackupId);
  const restored = partKinds(restore.parts);
  const kept = safety === undefined ? restored : partKinds(safety.parts).filter((kind) => restored.includes(kind));
  return {
    safetyBackupId: restore.safetyBackupId,
    kept,
    createdByRestore: restored.filter((kind) => !kept.includes(kind)),
  };
}

/** "the database", "the media", "the database and the media": for sentences about parts. */
export function partsInWords(kinds: readonly PartKind[]): string {
  return kinds.map((kind) => (kind === 'db' ? 'the database' : 'the media')).join(' and ');
}
