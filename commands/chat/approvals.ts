import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RestoreRequest } from '../../src/domain/restore-request.ts';
import { targetName } from '../../src/domain/target.ts';
import { describeRestore } from '../../src/engine/describe-restore.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import {
  type Decision,
  decideRestoreRequest as decide,
  expireRestoreRequests,
} from '../../src/use-cases/decide-restore-request.ts';
import { needsApproval, openRestoreRequest } from '../../src/use-cases/request-restore.ts';
import type { Command } from '../command.ts';
import { formatBytes, formatTime } from '../handlers/format.ts';
import type { HandlerContext } from '../handlers/reply.ts';
import { resolveTarget } from '../handlers/resolve-target.ts';
import { type ChatContext, chatPrincipal } from './chat-handler.ts';
import type { ChatCaller, ChatMessage, ChatOutput } from './chat-types.ts';

/**
 * A restore asked in chat whose destination needs a second person's approval (see needsApproval): records the
 * request through the use case (which checks roles and that the restore is possible, and audits), posts its card
 * (what it overwrites, with Approve, Deny and Withdraw) and tells the requester. False when the destination needs no
 * approval: the restore is then asked for as any other command.
 */
export async function requestRestoreApproval(
  chat: ChatContext,
  ctx: HandlerContext,
  command: Extract<Command, { name: 'restore' }>,
  output: ChatOutput,
): Promise<boolean> {
  const backup = await chat.engine.catalog.findBackup(command.id);
  if (!backup) return false; // the use case says so, in the restore's own words
  // A destination the words do not name is refused by the restore itself, in its own words.
  const to =
    command.to === undefined
      ? { app: backup.app, env: backup.env }
      : tryResolve(() => resolveTarget(ctx, command.to!, 'restore ... to'));
  if (!to) return false;
  const destination = chat.engine.targets.find((t) => t.app === to.app && t.env === to.env);
  if (!destination || !needsApproval(ctx.principal, destination)) return false;
  let request: RestoreRequest;
  try {
    request = await openRestoreRequest(
      chat.engine,
      ctx.principal,
      {
        backupId: backup.id,
        ...(command.parts !== undefined && { parts: command.parts }),
        to: { app: destination.app, env: destination.env },
        safetyBackup: command.safetyBackup,
      },
      ctx.asked,
    );
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    await output.update({ outcome: 'refused', text: error.userMessage });
    return true;
  }
  const reference = await output.announce(await cardOf(chat, request, 'pending'));
  await chat.engine.requests.addCard(request.id, reference);
  await output.update({
    outcome: 'ok',
    text:
      `${targetName(destination)} is protected: restore request ${request.id} waits for someone else with the approver role ` +
      `(until ${formatTime(request.expiresAt)}). You can withdraw it on its card.`,
  });
  return true;
}

function tryResolve<T>(resolve: () => T): T | undefined {
  try {
    return resolve();
  } catch {
    return undefined;
  }
}

/**
 * Marks the restore requests whose time ran out as expired (audited by the use case) and shows it on every copy of
 * their cards through `edit` (so no card keeps offering Approve). A card that cannot be edited is logged; the request
 * stays expired. Returns the requests expired.
 */
export async function expireDueRequests(
  chat: ChatContext,
  edit: (reference: string, message: ChatMessage) => Promise<void>,
): Promise<RestoreRequest[]> {
  const expired = await expireRestoreRequests(chat.engine);
  for (const request of expired) {
    const card = await cardOf(chat, request, `Expired at ${formatTime(request.expiresAt)}: nothing was restored.`);
    for (const reference of request.cards) {
      await edit(reference, card).catch((error: unknown) =>
        chat.engine.log(`could not mark the card of restore request ${request.id} expired: ${String(error)}`),
      );
    }
  }
  return expired;
}

/**
 * A click on a card's button, decided by the use case (roles, not one's own request, once only; audited). A refusal
 * goes privately to the clicker; a request found expired has its cards say so; an approval is followed on every copy
 * of the card.
 */
export async function decideRestoreRequest(
  chat: ChatContext,
  caller: ChatCaller,
  decision: Decision,
  id: string,
  output: ChatOutput,
): Promise<void> {
  let decided: Awaited<ReturnType<typeof decide>>;
  try {
    decided = await decide(chat.engine, chatPrincipal(caller), decision, id);
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    if (error.code === 'request-decided' && error.details?.['status'] === 'expired') {
      const request = await chat.engine.requests.get(id);
      await editCards(chat, output, request, `Expired at ${formatTime(request.expiresAt)}: nothing was restored.`);
    }
    await output.private({ outcome: 'refused', text: error.userMessage });
    return;
  }
  if (decision === 'approve') {
    await editCards(chat, output, decided.request, `Approved by ${caller.user}: restoring now.`);
    await followApproved(chat, decided.request, decided.operation!, output);
    return;
  }
  await editCards(
    chat,
    output,
    decided.request,
    `${decision === 'deny' ? 'Denied' : 'Withdrawn'} by ${caller.user}: nothing was restored.`,
  );
}

/** Follows an approved restore, showing its progress and outcome on every copy of the card. */
async function followApproved(
  chat: ChatContext,
  request: RestoreRequest,
  operation: Operation,
  output: ChatOutput,
): Promise<void> {
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
}

/** Shows `status` on every copy of the request's card. */
async function editCards(
  chat: ChatContext,
  output: ChatOutput,
  request: RestoreRequest,
  status: string,
  outcome: ChatMessage['outcome'] = 'ok',
): Promise<void> {
  const fresh = await chat.engine.requests.get(request.id);
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
