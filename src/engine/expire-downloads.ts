import { reasonOf } from '../domain/reason-of.ts';
import type { EngineContext } from './engine-context.ts';
import { deleteDownloadObjects } from './prepare-download.ts';

/**
 * Deletes the plaintext objects of downloads whose links have expired and marks them expired; returns how many. A
 * download whose objects cannot be deleted now stays ready and is tried again next time.
 */
export async function expireDownloads(ctx: EngineContext, now: Date): Promise<number> {
  let expired = 0;
  for (const download of await ctx.downloads.listExpired(now)) {
    try {
      await deleteDownloadObjects(
        ctx,
        download.id,
        download.files.map((f) => f.key),
      );
      await ctx.downloads.update(download.id, { status: 'expired' });
      expired += 1;
    } catch (error) {
      ctx.log(`download ${download.id}: its expired files could not be deleted yet: ${reasonOf(error)}`);
    }
  }
  if (expired > 0) ctx.log(`deleted the files of ${expired} expired download${expired === 1 ? '' : 's'}`);
  return expired;
}
