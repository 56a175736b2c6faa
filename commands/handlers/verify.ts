import type { PartKind } from '../../src/domain/part-kind.ts';
import type { PlaintextCheck } from '../../src/engine/verify-backup.ts';
import { backupJson } from '../../src/use-cases/json-shapes.ts';
import { verifyStoredBackup } from '../../src/use-cases/verify-stored-backup.ts';
import type { Command } from '../command.ts';
import type { HandlerContext, Reply } from './reply.ts';

/** `verify <id>`: reads the backup back and checks every checksum; fails when any part does not check out. */
export async function handleVerify(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'verify' }>,
  checks: Partial<Record<PartKind, PlaintextCheck>>,
): Promise<Reply> {
  const { backup, parts, metadata } = await verifyStoredBackup(ctx.engine, ctx.principal, command.id, {
    checks,
    ...(ctx.onProgress && { onProgress: ctx.onProgress }),
  });
  const ok = parts.every((p) => p.ok) && metadata.ok;
  const lines = [
    ...parts.map(
      (p) => `  ${p.kind}: ${p.ok ? 'ok (decrypted, authenticated, sha256 and size match)' : `FAILED: ${p.problem}`}`,
    ),
    `  backup.json: ${metadata.ok ? 'ok (matches the catalogue, signature valid)' : `FAILED: ${metadata.problem}`}`,
  ];
  return {
    outcome: ok ? 'ok' : 'failed',
    text: [
      `Backup ${backup.id} of ${backup.app}/${backup.env} ${ok ? 'verified' : 'FAILED verification'}:`,
      ...lines,
    ].join('\n'),
    data: { ...backupJson(backup), verification: { ok, parts, metadata } },
  };
}
