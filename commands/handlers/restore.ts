import { BackstopError } from '../../src/domain/backstop-error.ts';
import { targetName } from '../../src/domain/target.ts';
import { restoreJson } from '../../src/use-cases/json-shapes.ts';
import { requestRestore } from '../../src/use-cases/request-restore.ts';
import { partsInWords, safetyCoverage } from '../../src/use-cases/safety-coverage.ts';
import type { Command } from '../command.ts';
import { operationError } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/**
 * `restore <id> [parts] [to target] [--no-safety-backup]`: queues a restore that overwrites the destination with the
 * backup, after a safety backup; with `ctx.follow`, waits for its end. The terminal's confirmation happens before
 * this is called; a restore that needs approval (a protected destination, asked from chat) is routed by the chat
 * handler to an approval card before it gets here, so here it is refused saying where to ask.
 */
export async function handleRestore(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'restore' }>,
): Promise<Reply> {
  const to = command.to === undefined ? undefined : resolveTarget(ctx, command.to, 'restore ... to');
  const outcome = await requestRestore(
    ctx.engine,
    ctx.principal,
    {
      backupId: command.id,
      ...(command.parts !== undefined && { parts: command.parts }),
      ...(to !== undefined && { to: { app: to.app, env: to.env } }),
      safetyBackup: command.safetyBackup,
    },
    ctx.asked,
  );
  if (outcome.kind === 'approval-required') {
    const message = `${targetName(outcome.destination)} is protected: a restore into it needs approval by someone else with the approver role.`;
    throw new BackstopError('approval-required', message, { userMessage: message });
  }
  const { restore: queued, operation } = outcome;
  const destination = `${queued.destApp}/${queued.destEnv}`;
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text:
        `Restore ${queued.id} of backup ${queued.backupId} into ${destination} is queued (operation ${operation.id}). ` +
        'Follow it with: status',
      data: { ...restoreJson(queued), operationId: operation.id },
    };
  }
  const ended = await ctx.follow(operation);
  const restore = await ctx.engine.catalog.getRestore(queued.id);
  if (restore.status !== 'succeeded') {
    const why = ended.status === 'cancelled' ? operationError(ended, ctx.person) : (restore.error ?? ended.error);
    return {
      outcome: 'failed',
      text: `Restore ${restore.id} of backup ${restore.backupId} into ${destination} ${ended.status === 'cancelled' ? 'was cancelled' : 'failed'}; ${destination} was left as it was. ${why}`,
      data: { ...restoreJson(restore), operationId: operation.id },
    };
  }
  const coverage = await safetyCoverage(ctx.engine.catalog, restore);
  const safety = coverage
    ? coverage.createdByRestore.length === 0
      ? ` A safety backup of the previous state is ${coverage.safetyBackupId} (undo with: restore ${coverage.safetyBackupId}).`
      : ` A safety backup of the previous state of ${partsInWords(coverage.kept)} is ${coverage.safetyBackupId} ` +
        `(undo that with: restore ${coverage.safetyBackupId}). ${capitalised(partsInWords(coverage.createdByRestore))} ` +
        `did not exist before and ${coverage.createdByRestore.length === 1 ? 'was' : 'were'} created by this restore: ` +
        'restoring the safety backup leaves it as it is now.'
    : restore.safetyBackup
      ? ` No safety backup was taken: ${destination} held nothing to keep yet (its database or media did not exist).`
      : ' No safety backup was taken.';
  return {
    outcome: 'ok',
    text: `Restored ${restore.parts} of backup ${restore.backupId} into ${destination}.${safety}`,
    data: { ...restoreJson(restore), operationId: operation.id },
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
