import { pipeline } from 'node:stream';
import { createDecryptStream } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';
import type { MediaManifest } from '../sources/media-manifest.ts';
import { readMediaTar } from '../sources/media-tar-reader.ts';
import type { EngineContext } from './engine-context.ts';

/**
 * The manifest of a completed backup's media part: its stored object decrypted and read to the end, every file
 * checked against the manifest on the way (the manifest is the tar's last entry), nothing written. Costs a read of
 * the whole part; callers keep the answer (a completed backup never changes).
 */
export async function readMediaManifest(
  ctx: Pick<EngineContext, 'store' | 'identities'>,
  backup: Backup,
  signal?: AbortSignal,
): Promise<MediaManifest> {
  const part = backup.storedParts.find((p) => p.kind === 'media');
  if (backup.status !== 'completed' || !part) {
    const message = `Backup ${backup.id} has no media to list${backup.status === 'completed' ? '' : ` (it is ${backup.status})`}.`;
    throw new BackstopError('no-media', message, { userMessage: message });
  }
  const identities = await ctx.identities();
  const plaintext = pipeline(await ctx.store.read(part.key), createDecryptStream(identities), () => {});
  return readMediaTar(
    plaintext,
    {
      async writeFile(_path, content) {
        for await (const _ of content);
      },
    },
    signal ? { signal } : {},
  );
}
