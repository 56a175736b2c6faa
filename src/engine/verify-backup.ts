import { pipeline, type Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createDecryptStream } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, BackupPart } from '../domain/backup.ts';
import type { PartKind } from '../domain/part-kind.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { HashCounter } from './hash-counter.ts';

/**
 * Checks a plaintext's own format (a tar against its manifest, a dump's header): reads the stream to its end and
 * rejects with the reason when the format does not hold.
 */
export type PlaintextCheck = (plaintext: Readable) => Promise<void>;

export interface PartVerification {
  kind: PartKind;
  ok: boolean;
  problem?: string;
}

/**
 * Reads every object of a backup back: the stored bytes' size and sha256, age decryption and authentication with the
 * configured identities, the plaintext's size and sha256, and the plaintext's own format (`checks`). Records the
 * outcome on the backup and returns it per part; a failed verification is a result, not an exception.
 */
export async function verifyBackup(
  ctx: EngineContext,
  backupId: string,
  checks: Partial<Record<PartKind, PlaintextCheck>>,
  options: RunOptions = {},
): Promise<{ backup: Backup; parts: PartVerification[] }> {
  const backup = await ctx.catalog.getBackup(backupId);
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}: only a completed backup can be verified.`;
    throw new BackstopError('backup-not-verifiable', message, { userMessage: message });
  }
  const identities = await ctx.identities();
  const parts: PartVerification[] = [];
  for (const part of backup.storedParts) {
    try {
      await verifyPart(ctx, part, identities, checks[part.kind], options);
      parts.push({ kind: part.kind, ok: true });
    } catch (error) {
      parts.push({ kind: part.kind, ok: false, problem: reasonOf(error) });
    }
  }
  const failed = parts.filter((p) => !p.ok);
  const summary = failed.length === 0 ? null : failed.map((p) => `${p.kind}: ${p.problem}`).join('; ');
  await ctx.catalog.recordVerification(backup.id, ctx.clock(), summary);
  return { backup: await ctx.catalog.getBackup(backup.id), parts };
}

async function verifyPart(
  ctx: EngineContext,
  part: BackupPart,
  identities: string[],
  check: PlaintextCheck | undefined,
  options: RunOptions,
): Promise<void> {
  const stored = new HashCounter();
  const plain = new HashCounter();
  const progress = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      options.onProgress?.({ phase: `verify ${part.kind}`, bytesDone: plain.bytes, bytesExpected: part.sizeBytes });
      callback(null, chunk);
    },
  });
  const plaintext = pipeline(
    await ctx.store.read(part.key),
    stored,
    createDecryptStream(identities),
    plain,
    progress,
    () => {},
  );
  if (check) {
    await check(plaintext).catch((error: unknown) => {
      plaintext.destroy(); // stop reading the object: the verdict is in
      throw error;
    });
  } else {
    plaintext.resume(); // read to the end for the digests; `finished` below reports any error of the pipeline
  }
  await finished(plaintext);
  if (stored.bytes !== part.storedSizeBytes || stored.sha256 !== part.storedSha256) {
    throw new BackstopError('verify-mismatch', 'the stored object differs from the one written (size or sha256)', {
      userMessage: 'the stored object differs from the one written (size or sha256)',
    });
  }
  if (plain.bytes !== part.sizeBytes || plain.sha256 !== part.sha256) {
    throw new BackstopError('verify-mismatch', 'the decrypted data differs from what was backed up (size or sha256)', {
      userMessage: 'the decrypted data differs from what was backed up (size or sha256)',
    });
  }
}
