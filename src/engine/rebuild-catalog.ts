import { text } from 'node:stream/consumers';
import { type MetadataTrust, readBackupMetadata } from './backup-metadata.ts';
import type { EngineContext } from './engine-context.ts';

export interface RebuildReport {
  /** backup.json files found in the store. */
  found: number;
  /** Backups added to the catalogue. */
  added: string[];
  /** Backups the catalogue already had. */
  present: number;
  /** backup.json files that could not be read, with the reason. */
  unreadable: Array<{ key: string; reason: string }>;
  /** backup.json files not signed by a key held here (unsigned, forged, or another fleet's): not imported. */
  untrusted: Array<{ key: string; reason: string }>;
}

/**
 * Rebuilds the catalogue from the backup.json files in the store, e.g. after Backstop's state was lost. A backup.json
 * is written only once all of its backup's objects are, so each one found describes a complete backup; its parts are
 * checked to exist before it is added. Only metadata signed by a key held here is imported: anyone who can write to
 * the store knows the public recipient and could otherwise plant a backup; `trustUnsigned` imports the rest too.
 */
export async function rebuildCatalog(
  ctx: EngineContext,
  options: { trustUnsigned?: boolean } = {},
): Promise<RebuildReport> {
  const report: RebuildReport = { found: 0, added: [], present: 0, unreadable: [], untrusted: [] };
  const identities = await ctx.identities().catch(() => [] as string[]);
  for await (const object of ctx.store.list('')) {
    if (!object.key.endsWith('/backup.json') || object.key.startsWith('downloads/')) continue;
    report.found += 1;
    try {
      const { backup, trust } = readBackupMetadata(
        await text(await ctx.store.read(object.key)),
        object.key,
        identities,
      );
      if (trust !== 'valid' && !options.trustUnsigned) {
        report.untrusted.push({ key: object.key, reason: untrustedReason[trust] });
        continue;
      }
      for (const part of backup.storedParts) {
        const stat = await ctx.store.stat(part.key);
        if (!stat) throw new Error(`its object ${part.key} is missing`);
        if (stat.sizeBytes !== part.storedSizeBytes) throw new Error(`its object ${part.key} has the wrong size`);
      }
      if (await ctx.catalog.importBackup(backup)) report.added.push(backup.id);
      else report.present += 1;
    } catch (error) {
      report.unreadable.push({ key: object.key, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}

const untrustedReason: Record<Exclude<MetadataTrust, 'valid'>, string> = {
  unsigned: 'it carries no signature',
  forged: 'it was changed after it was written (its signature does not match)',
  'unknown-signer': 'it is signed by keys this instance does not hold',
};
