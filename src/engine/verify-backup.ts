import { pipeline, type Readable, Transform } from 'node:stream';
import { text } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import { createDecryptStream } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, BackupPart } from '../domain/backup.ts';
import type { PartKind } from '../domain/part-kind.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { readBackupMetadata } from './backup-metadata.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { HashCounter } from './hash-counter.ts';
import { explainDecryptFailure } from './undecryptable-part.ts';

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
): Promise<{ backup: Backup; parts: PartVerification[]; metadata: MetadataVerification }> {
  const backup = await ctx.catalog.getBackup(backupId);
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}: only a completed backup can be verified.`;
    throw new BackstopError('backup-not-verifiable', message, { userMessage: message });
  }
  const identities = await ctx.identities();
  const parts: PartVerification[] = [];
  for (const part of backup.storedParts) {
    ctx.log(`verify ${backup.id}: reading the ${part.kind} part ${part.key} in ${ctx.store.describe()}`);
    try {
      await verifyPart(ctx, part, identities, checks[part.kind], options);
      parts.push({ kind: part.kind, ok: true });
      ctx.log(`verify ${backup.id}: the ${part.kind} part is ok (${part.sizeBytes} bytes, sha256 and format check)`);
    } catch (thrown) {
      const error = await explainDecryptFailure(ctx, part, thrown);
      parts.push({ kind: part.kind, ok: false, problem: reasonOf(error) });
      ctx.log(`verify ${backup.id}: the ${part.kind} part FAILED: ${reasonOf(error)}`);
    }
  }
  ctx.log(`verify ${backup.id}: reading backup.json back and checking its signature`);
  const metadata = await verifyMetadata(ctx, backup, identities);
  const failed = [...parts, { kind: 'metadata', ...metadata }].filter((p) => !p.ok);
  const summary = failed.length === 0 ? null : failed.map((p) => `${p.kind}: ${p.problem}`).join('; ');
  await ctx.catalog.recordVerification(backup.id, ctx.clock(), summary);
  return { backup: await ctx.catalog.getBackup(backup.id), parts, metadata };
}

export interface MetadataVerification {
  ok: boolean;
  problem?: string;
}

/**
 * The stored backup.json: present, valid JSON, describing this backup's objects as the catalogue does, and signed by
 * a key held here with nothing changed since. It is what a catalogue rebuild would trust, so it is checked too.
 */
async function verifyMetadata(
  ctx: EngineContext,
  backup: Backup,
  identities: readonly string[],
): Promise<MetadataVerification> {
  const key = `${backup.app}/${backup.env}/${backup.id}/backup.json`;
  let stored: ReturnType<typeof readBackupMetadata>;
  try {
    stored = readBackupMetadata(await text(await ctx.store.read(key)), key, identities);
  } catch (error) {
    return { ok: false, problem: `backup.json cannot be read back: ${reasonOf(error)}` };
  }
  const mismatch = differences(backup, stored.backup);
  if (mismatch.length > 0) {
    return { ok: false, problem: `backup.json does not match the catalogue (${mismatch.join(', ')})` };
  }
  switch (stored.trust) {
    case 'valid':
      return { ok: true };
    case 'forged':
      return { ok: false, problem: 'backup.json was changed after it was written: its signature does not match' };
    case 'unsigned':
      return { ok: false, problem: 'backup.json carries no signature' };
    case 'unknown-signer':
      return {
        ok: false,
        problem: 'backup.json is signed by keys this instance does not hold, so it cannot be checked',
      };
  }
}

/** Where the stored metadata and the catalogue disagree on what the backup is and holds. */
function differences(catalogued: Backup, stored: Backup): string[] {
  const found: string[] = [];
  for (const field of ['id', 'app', 'env', 'trigger'] as const) {
    if (catalogued[field] !== stored[field]) found.push(field);
  }
  const describe = (b: Backup) =>
    b.storedParts
      .map((p) => [p.kind, p.key, p.sizeBytes, p.sha256, p.storedSizeBytes, p.storedSha256].join(' '))
      .sort()
      .join('|');
  if (describe(catalogued) !== describe(stored)) found.push('objects: kinds, keys, sizes or sha256');
  return found;
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
