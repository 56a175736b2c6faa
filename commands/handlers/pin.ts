import { backupJson } from '../../src/use-cases/json-shapes.ts';
import { pinBackup } from '../../src/use-cases/pin-backup.ts';
import type { Command } from '../command.ts';
import type { HandlerContext, Reply } from './reply.ts';

/** `pin <id>` / `unpin <id>`: a pinned backup is never deleted by retention. */
export async function handlePin(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'pin' | 'unpin' }>,
): Promise<Reply> {
  const pinned = command.name === 'pin';
  const backup = await pinBackup(ctx.engine, ctx.principal, command.id, pinned);
  const text = pinned
    ? `Backup ${backup.id} of ${backup.app}/${backup.env} is pinned: retention will never delete it.`
    : `Backup ${backup.id} of ${backup.app}/${backup.env} is no longer pinned: the retention policy decides about it again.`;
  return { outcome: 'ok', text, data: backupJson(backup) };
}
