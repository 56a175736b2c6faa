import { findTarget } from '../../src/domain/find-target.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RestoreRequest } from '../../src/domain/restore-request.ts';
import { targetName } from '../../src/domain/target.ts';
import { describeRestore } from '../../src/engine/describe-restore.ts';
import { approveRestoreRequest } from '../../src/jobs/enqueue.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import type { Command } from '../command.ts';
import { formatBytes, formatTime } from '../handlers/format.ts';
import type { HandlerContext } from '../handlers/reply.ts';
import { resolveTarget } from '../handlers/resolve-target.ts';
import type { ChatContext } from './chat-handler.ts';
import type { ChatCaller, ChatMessage, ChatOutput } from './chat-types.ts';

/**
 * A restore into a protected target asked in chat: records a pending request, posts its card (what it overwrites,
 * with Approve, Deny and Withdraw) and tells the requester. Undefined when the destination is not protected (the
 * restore runs at once).
 */
export async function requestRestoreApproval(
  chat: ChatContext,
  ctx: HandlerContext,
  caller: ChatCaller,
  command: Extract<Command, { name: 'restore' }>,
  output: ChatOutput,
): Promise<RestoreRequest | undefined> {
  const backup = await chat.engine.catalog.getBackup(command.id);
  const dest =
    command.to === undefined
      ? findTarget(chat.engine.targets, backup.app, backup.env)
      : resolveTarget(ctx, command.to, 'restore ... to');
  if (!dest.protected) return undefined;
  const parts = command.parts ?? backup.parts;
  // Checked now, so an impossible restore is refused before anyone is asked to approve it.
  await describeRestore(chat.engine, { backupId: backup.id, parts, to: { app: dest.app, env: dest.env } });
  const now = chat.engine.clock();
  const request = await chat.requests.insert(
    {
      backupId: backup.id,
      parts,
      destApp: dest.app,
      destEnv: dest.env,
      safetyBackup: command.safetyBackup,
      requestedBy: caller.user,
      expiresAt: new Date(now.getTime() + chat.approvalTtlMs),
    },
    now,
  );
  const reference = await output.announce(await cardOf(chat, request, 'pending'));
  await chat.requests.addCard(request.id, reference);
  await output.update({
    outcome: 'ok',
    text:
      `${targetName(dest)} is protected: restore request ${request.id} waits for someone else with the approver role ` +
      `(until ${formatTime(request.expiresAt)}). You can withdraw it on its card.`,
  });
  return request;
}

/**
 * Marks the restore requests whose time ran out as expired, records it in the audit log and shows it on every copy
 * of their cards through `edit` (so no card keeps offering Approve). Each request is taken by one caller only (see
 * RestoreRequests.expireDue). A card that cannot be edited is logged; the request stays expired. Returns the
 * requests expired.
 */
export async function expireDueRequests(
  chat: ChatContext,
  edit: (reference: string, message: ChatMessage) => Promise<void>,
): Promise<RestoreRequest[]> {
  const now = chat.engine.clock();
  const expired = await chat.requests.expireDue(now);
  for (const request of expired) {
    await chat.audit.record(
      {
        principal: 'backstop',
        app: request.destApp,
        action: `expire ${request.id}`,
        outcome: 'ok',
        detail: `nobody approved it by ${formatTime(request.expiresAt)}`,
      },
      now,
    );
    const card = await cardOf(chat, request, `Expired at ${formatTime(request.expiresAt)}: nothing was restored.`);
    for (const reference of request.cards) {
      await edit(reference, card).catch((error: unknown) =>
        chat.engine.log(`could not mark the card of restore request ${request.id} expired: ${String(error)}`),
      );
    }
  }
  return expired;
}

/** A click on a card's button. Returns what the audit log records. */
export async function decideRestoreRequest(
  chat: ChatContext,
  caller: ChatCaller,
  verb: 'approve' | 'deny' | 'withdraw',
  id: string,
  output: ChatOutput,
): Promise<{ app: string | null; outcome: 'ok' | 'failed' | 'refused'; detail: string | null }> {
  const request = await chat.requests.get(id).catch(() => undefined);
  if (!request) {
    await output.private({ outcome: 'refused', text: `There is no restore request ${id}.` });
    return { app: null, outcome: 'refused', detail: 'no such request' };
  }
  const app = request.destApp;
  const refuse = async (text: string) => {
    await output.private({ outcome: 'refused', text });
    return { app, outcome: 'refused' as const, detail: text };
  };
  const principals = [caller.user, ...caller.groups, caller.channel];
  if (verb === 'withdraw' && caller.user !== request.requestedBy) {
    return refuse(`Only ${request.requestedBy}, who asked for it, can withdraw restore request ${id}.`);
  }
  if (verb !== 'withdraw' && caller.user === request.requestedBy) {
    return refuse(`You asked for restore request ${id}: someone else with the approver role must ${verb} it.`);
  }
  if (verb !== 'withdraw' && !chat.access.allows(principals, app, 'approver')) {
    return refuse(`To ${verb} restore request ${id} you need the approver role on ${app}.`);
  }
  if (verb === 'approve') {
    const approved = await approveRestoreRequest(chat.engine, chat.requests, id, caller.user);
    if (!approved) return alreadyDecided(chat, id, output);
    await editCards(chat, output, approved.request, `Approved by ${caller.user}: restoring now.`);
    const ended = await followApproved(chat, approved.request, approved.operation, output);
    return { app, outcome: ended === 'succeeded' ? 'ok' : 'failed', detail: `restore ${approved.restore.id} ${ended}` };
  }
  const status = verb === 'deny' ? 'denied' : 'withdrawn';
  const decided = await chat.requests.decide(id, { status, by: caller.user }, chat.engine.clock());
  if (!decided) return alreadyDecided(chat, id, output);
  await editCards(
    chat,
    output,
    decided,
    `${status === 'denied' ? 'Denied' : 'Withdrawn'} by ${caller.user}: nothing was restored.`,
  );
  return { app, outcome: 'ok', detail: status };
}

async function alreadyDecided(chat: ChatContext, id: string, output: ChatOutput) {
  const request = await chat.requests.get(id);
  const text =
    request.status === 'expired'
      ? `Restore request ${id} expired at ${formatTime(request.expiresAt)}: nothing was restored. Ask again with /backup restore.`
      : `Restore request ${id} was already ${request.status}${request.decidedBy ? ` by ${request.decidedBy}` : ''}.`;
  if (request.status === 'expired')
    await editCards(chat, output, request, `Expired at ${formatTime(request.expiresAt)}: nothing was restored.`);
  await output.private({ outcome: 'refused', text });
  return { app: request.destApp, outcome: 'refused' as const, detail: text };
}

/** Follows an approved restore, showing its progress and outcome on every copy of the card. */
async function followApproved(
  chat: ChatContext,
  request: RestoreRequest,
  operation: Operation,
  output: ChatOutput,
): Promise<string> {
  const ended = await followOperation(chat.engine, operation, {
    onProgress: (progress) => {
      const text = `Approved by ${request.decidedBy}: ${progress.phase} ${formatBytes(progress.bytesDone)}`;
      void editCards(chat, output, request, text).catch(() => undefined);
    },
  });
  const restore = await chat.engine.catalog.getRestore(request.restoreId!);
  const text =
    restore.status === 'succeeded'
      ? `Restored into ${request.destApp}/${request.destEnv}, asked by ${request.requestedBy}, approved by ${request.decidedBy}.` +
        (restore.safetyBackupId
          ? ` Safety backup: ${restore.safetyBackupId} (undo with /backup restore ${restore.safetyBackupId}).`
          : '')
      : `The restore failed, so ${request.destApp}/${request.destEnv} was left as it was: ${restore.error ?? ended.error}`;
  await editCards(chat, output, request, text, restore.status === 'succeeded' ? 'ok' : 'failed');
  return ended.status;
}

/** Shows `status` on every copy of the request's card. */
async function editCards(
  chat: ChatContext,
  output: ChatOutput,
  request: RestoreRequest,
  status: string,
  outcome: ChatMessage['outcome'] = 'ok',
): Promise<void> {
  const fresh = await chat.requests.get(request.id);
  const card = await cardOf(chat, fresh, status, outcome);
  await Promise.all(fresh.cards.map((reference) => output.edit(reference, card)));
}

/** The approval card: what would be restored where, and what it overwrites; buttons while pending. */
async function cardOf(
  chat: ChatContext,
  request: RestoreRequest,
  status: string,
  outcome: ChatMessage['outcome'] = 'ok',
): Promise<ChatMessage> {
  const backup = await chat.engine.catalog.getBackup(request.backupId);
  const preview = await describeRestore(chat.engine, {
    backupId: backup.id,
    parts: request.parts,
    to: { app: request.destApp, env: request.destEnv },
  }).catch(() => undefined);
  const ageHours = (chat.engine.clock().getTime() - backup.createdAt.getTime()) / 3_600_000;
  const size = backup.storedParts.reduce((sum, p) => sum + p.sizeBytes, 0);
  const pending = status === 'pending';
  return {
    outcome,
    text:
      `*Restore request ${request.id}*: ${request.requestedBy} asks to restore backup ${backup.id} into ` +
      `*${request.destApp}/${request.destEnv}* (protected).` +
      (pending ? ` Waiting for approval until ${formatTime(request.expiresAt)}.` : `\n${status}`),
    fields: [
      { label: 'Backup', value: `${backup.id} of ${backup.app}/${backup.env}` },
      { label: 'Age', value: ageHours < 48 ? `${ageHours.toFixed(1)} hours` : `${(ageHours / 24).toFixed(0)} days` },
      { label: 'Note', value: backup.note ?? '(none)' },
      { label: 'Size', value: formatBytes(size) },
      { label: 'Parts', value: request.parts },
      { label: 'Destination', value: `${request.destApp}/${request.destEnv}` },
      {
        label: 'This overwrites',
        value: preview
          ? preview.overwrites.join('; ')
          : `the ${request.parts} of ${request.destApp}/${request.destEnv}`,
      },
      { label: 'Safety backup first', value: request.safetyBackup ? 'yes' : 'no' },
    ],
    ...(pending && {
      buttons: [
        { action: `approve:${request.id}`, label: 'Approve', style: 'primary' as const },
        { action: `deny:${request.id}`, label: 'Deny', style: 'danger' as const },
        { action: `withdraw:${request.id}`, label: 'Withdraw', style: 'default' as const },
      ],
    }),
  };
}
