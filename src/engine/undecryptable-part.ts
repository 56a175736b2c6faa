import { createHash } from 'node:crypto';
import { BackstopError, isBackstopError } from '../domain/backstop-error.ts';
import type { BackupPart } from '../domain/backup.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { EngineContext } from './engine-context.ts';

/**
 * When no identity opens a part's header, either the key is wrong or the header was damaged: age cannot tell the two
 * apart (a damaged stanza fails to unwrap like a stranger's). Backstop can: it recorded the stored object's sha256
 * when it wrote it. So `error`, when it is `decrypt-no-identity`, is replaced by what reading the object again says:
 * damaged (`decrypt-corrupt`) when the object is no longer what was written, a key problem when it is. Any other error
 * is returned as it is.
 */
export async function explainUndecryptable(ctx: EngineContext, part: BackupPart, error: unknown): Promise<unknown> {
  if (!isBackstopError(error, 'decrypt-no-identity')) return error;
  let intact: boolean;
  try {
    intact = await storedObjectIsAsWritten(ctx, part);
  } catch {
    return error; // the store failed meanwhile: the first answer stands
  }
  if (intact) {
    const message =
      `${reasonOf(error)} The stored object is exactly as it was written (its sha256 matches), so it is the key: ` +
      'restore with the identity file that was in use when this backup was taken.';
    return new BackstopError('decrypt-no-identity', message, { userMessage: message, cause: error });
  }
  const message =
    'the stored object is damaged: it is no longer what was written (its sha256 differs from the one recorded), and ' +
    'its header no longer opens with the key. Take a new backup, and check the storage.';
  return new BackstopError('decrypt-corrupt', message, { userMessage: message, cause: error });
}

/** Reads the stored object whole and compares its size and sha256 with those recorded when it was written. */
async function storedObjectIsAsWritten(ctx: EngineContext, part: BackupPart): Promise<boolean> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await ctx.store.read(part.key)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return bytes === part.storedSizeBytes && hash.digest('hex') === part.storedSha256;
}
