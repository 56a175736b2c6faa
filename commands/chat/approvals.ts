import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Operation } from '../../src/domain/operation.ts';
import { partKinds } from '../../src/domain/parts.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import type { RestoreRequest } from '../../src/domain/restore-request.ts';
import { targetName } from '../../src/domain/target.ts';
import { describeRestore } from '../../src/engine/describe-restore.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import { type Decision, decideRestoreRequest as decide } from '../../src/use-cases/decide-restore-request.ts';
import { needsApproval, openRestoreRequest } from '../../src/use-cases/request-restore.ts';
import { partsInWords, safetyCoverage } from '../../src/use-cases/safety-coverage.ts';
import type { Command } from '../command.ts';
import { formatBytes, formatTime } from '../handlers/format.ts';
import type { HandlerContext } from '../handlers/reply.ts';
import { resolveTarget } from '../handlers/resolve-target.ts';
import { type ChatContext, chatPrincipal } from './chat-handler.ts';
import type { ChatAnnouncer, ChatButton, ChatCaller, ChatMessage, ChatOutput } from './chat-types.ts';
import { mention, mentionIn } from './mention.ts';
import { UpdateThrottle } from './update-throttle.ts';

/**
 * A restore asked in chat whose destination needs a second person's approval (see needsApproval): records the
 * request through the use case (which checks roles and that the restore is possible, and audits), posts its card
 * (what it overwrites, with Approve, Deny and Withdraw) and tells the requester privately (the card tells the
 * channel; a refusal is the requester's alone). False when the destination needs no approval: the restore is then
 * asked for as any other command.
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
    await output.private({ outcome: 'refused', text: error.userMessage });
    return true;
  }
  const reference = await output.announce(await cardOf(chat, request, 'pending'));
  await chat.engine.requests.addCard(request.id, reference);
  await output.private({
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
 * A click on a card's button, decided by the use case (roles, not one's own request, once only; audited). A refusal
 * goes privately to the clicker; a request found decided or expired has its cards brought up to date; an approval is
 * followed on every copy of the card.
 */
export async function decideRestoreRequest(
  chat: ChatContext,
  caller: ChatCaller,
  decision: Decision,
  id: string,
  output: ChatOutput,
): Promise<void> {
  const edit = (reference: string, message: ChatMessage) => output.edit(reference, message);
  let decided: Awaited<ReturnType<typeof decide>>;
  try {
    decided = await decide(chat.engine, chatPrincipal(caller), decision, id);
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    // The use case's words, with whoever asked for the request or decided it as mentions ("already approved by @ben").
    const request =
      error.code === 'request-not-found' ? undefined : await chat.engine.requests.get(id).catch(() => undefined);
    if (error.code === 'request-decided' && request) await showOnCards(chat, request, edit);
    const people = [request?.requestedBy, request?.decidedBy].filter((p): p is string => typeof p === 'string');
    await output.private({ outcome: 'refused', text: mentionIn(error.userMessage, people) });
    return;
  }
  await showOnCards(chat, decided.request, edit);
  if (decision === 'approve') await followApproved(chat, decided.request, decided.operation!, edit);
}

/** The least time between two progress edits of a request's cards (Slack's own pacing of a command's message). */
const CARD_PROGRESS_INTERVAL_MS = 3000;

/**
 * Follows an approved restore, showing its progress on every copy of the card, then its outcome (unless another
 * instance showed it first).
 */
async function followApproved(
  chat: ChatContext,
  request: RestoreRequest,
  operation: Operation,
  edit: (reference: string, message: ChatMessage) => Promise<void>,
): Promise<void> {
  // Paced and in order: platforms limit how often a message may be edited (an edit refused for that is not tried
  // again), and a progress edit still on its way must not land after the outcome.
  const progressEdits = new UpdateThrottle<string>(
    async (text) => {
      const card = await cardOf(chat, request, text);
      await Promise.all(request.cards.map((reference) => edit(reference, card)));
    },
    {
      intervalMs: CARD_PROGRESS_INTERVAL_MS,
      onError: (error) => chat.engine.log(`could not show the restore's progress on its card: ${reasonOf(error)}`),
    },
  );
  let shown = '';
  try {
    await followOperation(chat.engine, operation, {
      onProgress: (progress) => {
        const text = `Approved by ${decider(request)}: ${progress.phase} ${formatBytes(progress.bytesDone)}`;
        if (text === shown) return; // the same words again: no edit
        shown = text;
        void progressEdits.push(text);
      },
    });
  } finally {
    await progressEdits.discard(); // the outcome follows: a progress edit still waiting is stale
  }
  await showOnCards(chat, await chat.engine.requests.get(request.id), edit);
}

/** What a request's cards show in its present state: the state's name (kept as `cardsShown`) and its words. */
async function cardState(
  chat: ChatContext,
  request: RestoreRequest,
): Promise<{ shown: string; status: string; outcome: ChatMessage['outcome'] }> {
  const destination = `${request.destApp}/${request.destEnv}`;
  switch (request.status) {
    case 'pending':
      return { shown: 'pending', status: 'pending', outcome: 'ok' };
    case 'expired':
      return {
        shown: 'expired',
        status: `Expired at ${formatTime(request.expiresAt)}: nothing was restored.`,
        outcome: 'ok',
      };
    case 'denied':
    case 'withdrawn':
      return {
        shown: request.status,
        status: `${request.status === 'denied' ? 'Denied' : 'Withdrawn'} by ${decider(request)}: nothing was restored.`,
        outcome: 'ok',
      };
    case 'approved': {
      const restore = request.restoreId === null ? undefined : await chat.engine.catalog.findRestore(request.restoreId);
      if (restore?.status === 'succeeded') {
        const coverage = await safetyCoverage(chat.engine.catalog, restore);
        const created = coverage?.createdByRestore ?? [];
        return {
          shown: 'restore-succeeded',
          status:
            `Restored into ${destination}, asked by ${mention(request.requestedBy)}, approved by ` +
            `${decider(request)}.` +
            (coverage
              ? ` Safety backup: ${coverage.safetyBackupId} (undo with /backup restore ${coverage.safetyBackupId}).` +
                (created.length > 0
                  ? ` It holds ${partsInWords(coverage.kept)} only: ${partsInWords(created)} did not exist before ` +
                    'and stays as restored.'
                  : '')
              : ''),
          outcome: 'ok',
        };
      }
      if (restore?.status === 'failed' || restore?.status === 'cancelled') {
        const how = restore.status === 'failed' ? 'failed' : 'was cancelled';
        return {
          shown: 'restore-failed',
          status: `The restore ${how}, so ${destination} was left as it was${restore.error ? `: ${restore.error}` : '.'}`,
          outcome: 'failed',
        };
      }
      return { shown: 'approved', status: `Approved by ${decider(request)}: restoring now.`, outcome: 'ok' };
    }
  }
}

/**
 * Brings every copy of the request's card up to its present state, once: of the instances and surfaces that try at
 * the same time, the one that records the new state (`claimCardsShown`) edits. A card that cannot be edited is
 * logged. True when this call edited.
 */
export async function showOnCards(
  chat: ChatContext,
  request: RestoreRequest,
  edit: (reference: string, message: ChatMessage) => Promise<void>,
): Promise<boolean> {
  const state = await cardState(chat, request);
  if (state.shown === request.cardsShown) return false;
  if (!(await chat.engine.requests.claimCardsShown(request.id, request.cardsShown, state.shown))) return false;
  const card = await cardOf(chat, request, state.status, state.outcome);
  for (const reference of request.cards) {
    await edit(reference, card).catch((error: unknown) =>
      chat.engine.log(`could not update a card of restore request ${request.id}: ${reasonOf(error)}`),
    );
  }
  return true;
}

/**
 * Posts the card of a request opened where no card was posted (the API, the web view) to every channel bound to its
 * destination, through the platform of each. Returns how many cards were posted.
 */
export async function postCards(
  chat: ChatContext,
  request: RestoreRequest,
  announcers: readonly ChatAnnouncer[],
): Promise<number> {
  const card = await cardOf(chat, request, 'pending');
  let posted = 0;
  for (const channel of chat.bindings.channelsOf(request.destApp, request.destEnv)) {
    const announcer = announcers.find((a) => channel.startsWith(a.channelPrefix));
    if (!announcer) continue;
    try {
      const reference = await announcer.post(channel.slice(announcer.channelPrefix.length), card);
      await chat.engine.requests.addCard(request.id, reference);
      posted += 1;
    } catch (error) {
      chat.engine.log(`could not post the card of restore request ${request.id} in ${channel}: ${reasonOf(error)}`);
    }
  }
  if (posted === 0) {
    chat.engine.log(
      `restore request ${request.id} into ${request.destApp}/${request.destEnv} has no card in chat: no reachable ` +
        `channel is bound to ${request.destApp} (apps.${request.destApp}.channels in the config)`,
    );
  }
  return posted;
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
      `*Restore request ${request.id}*: ${mention(request.requestedBy)} asks to restore backup ${backup.id} into ` +
      `*${request.destApp}/${request.destEnv}* (protected).` +
      (pending ? ` Waiting for approval until ${formatTime(request.expiresAt)}.` : `\n${status}`),
    fields: [
      { label: 'Backup', value: `${backup.id} of ${backup.app}/${backup.env}` },
      { label: 'Age', value: ageHours < 48 ? `${ageHours.toFixed(1)} hours` : `${(ageHours / 24).toFixed(0)} days` },
      { label: 'Note', value: backup.note ?? '(none)' },
      ...(backup.codeVersion ? [{ label: 'Code version', value: backup.codeVersion }] : []),
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
      buttons: [...decisionButtons(request), { action: `withdraw:${request.id}`, label: 'Withdraw', style: 'default' }],
    }),
  };
}

/** Who decided the request, as a mention (someone always did, once it is no longer pending or expired). */
function decider(request: RestoreRequest): string {
  return request.decidedBy === null ? 'someone' : mention(request.decidedBy);
}

/**
 * Approve and Deny for a pending request, each asking first: approving overwrites the destination at once, and
 * neither can be taken back.
 */
export function decisionButtons(request: RestoreRequest): ChatButton[] {
  const destination = `${request.destApp}/${request.destEnv}`;
  const parts = partKinds(request.parts)
    .map((kind) => (kind === 'db' ? 'database' : 'media'))
    .join(' and ');
  return [
    {
      action: `approve:${request.id}`,
      label: 'Approve',
      style: 'primary',
      confirm: {
        title: 'Approve this restore?',
        text:
          `Backup ${request.backupId} is restored into ${destination} at once, overwriting its ${parts}. ` +
          (request.safetyBackup ? 'A safety backup of it is taken first.' : 'No safety backup is taken first.'),
        confirm: 'Approve and restore',
        deny: 'Cancel',
        danger: true,
      },
    },
    {
      action: `deny:${request.id}`,
      label: 'Deny',
      style: 'danger',
      confirm: {
        title: 'Deny this restore?',
        text: `Nothing is restored into ${destination}, and request ${request.id} cannot be approved any more.`,
        confirm: 'Deny',
        deny: 'Cancel',
        danger: true,
      },
    },
  ];
}
