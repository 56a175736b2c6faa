import { createHash } from 'node:crypto';
import { BackstopError, isBackstopError } from '../domain/backstop-error.ts';
import type { BackupPart } from '../domain/backup.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { EngineContext } from './engine-context.ts';

/** The decryption failures that may come from the stored object itself. */
const DECRYPT_FAILURES = new Set(['decrypt-corrupt', 'decrypt-truncated', 'decrypt-no-identity']);

/**
 * A part that does not decrypt fails in several ways, by where the damage fell: a chunk that does not authenticate,
 * a header line that does not parse, a stanza that no identity unwraps (which reads like a wrong key). Backstop
 * recorded the stored object's sha256 when it wrote it, so it says which it is by reading the object again: when the
 * object is no longer what was written, `error` becomes one message for every such case, that the stored object is
 * damaged (what decryption found is kept, in parentheses); when it is what was written and no identity opens it, that
 * the key is the problem. Any other error is returned as it is.
 *
 * Reading again costs a read of the object: a restore or a drill (`readsAtMost`) does it for objects up to that
 * size, and for a larger one says that verify tells the two apart; verify itself always does it.
 */
export async function explainDecryptFailure(
  ctx: EngineContext,
  part: BackupPart,
  error: unknown,
  readsAtMost = Number.POSITIVE_INFINITY,
): Promise<unknown> {
  if (!(error instanceof BackstopError) || !DECRYPT_FAILURES.has(error.code)) return error;
  if (part.storedSizeBytes > readsAtMost) {
    const message = `${reasonOf(error)} To tell damage from a wrong key, run verify on the backup: it compares the stored object with its recorded sha256.`;
    return new BackstopError(error.code, message, { userMessage: message, cause: error });
  }
  let intact: boolean;
  try {
    intact = await storedObjectIsAsWritten(ctx, part);
  } catch {
    return error; // the store failed meanwhile: the first answer stands
  }
  if (!intact) {
    // Not the key's advice: the key is not what is wrong.
    const found =
      error.code === 'decrypt-no-identity' ? 'its header opens with none of the identities' : reasonOf(error);
    const message =
      'the stored object is damaged: it is no longer what was written (its sha256 differs from the one recorded; ' +
      `decrypting it found: ${found}). Take a new backup, and check the storage.`;
    const code = error.code === 'decrypt-no-identity' ? 'decrypt-corrupt' : error.code;
    return new BackstopError(code, message, { userMessage: message, cause: error });
  }
  if (!isBackstopError(error, 'decrypt-no-identity')) return error;
  const message =
    `${reasonOf(error)} The stored object is exactly as it was written (its sha256 matches), so it is the key: ` +
    'restore with the identity file that was in use when this backup was taken.';
  return new BackstopError('decrypt-no-identity', message, { userMessage: message, cause: error });
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
