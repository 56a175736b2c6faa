import { createHash } from 'node:crypto';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { isWellFormedId } from '../../src/domain/new-id.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import { type Target, targetName } from '../../src/domain/target.ts';
import { isAudited, record } from '../../src/use-cases/audited.ts';
import { previewRestore } from '../../src/use-cases/request-restore.ts';
import type { Command } from '../command.ts';
import type { HandlerContext } from '../handlers/reply.ts';
import { resolveTarget } from '../handlers/resolve-target.ts';
import { type ChatContext, chatPrincipal } from './chat-handler.ts';
import type { ChatCaller, ChatMessage, ChatOutput } from './chat-types.ts';
import { UpdateThrottle } from './update-throttle.ts';

/**
 * The confirm step of a restore asked in chat, for platforms whose buttons have no confirm dialog of their own
 * (Discord): the restore is first described privately to its asker ("Restore db of 7k3qx2 into shop/staging? This
 * replaces ...") with Restore and Cancel buttons, and only the asker's click on Restore asks for it, in the same
 * words through the same handler, use cases and approvals as a restore typed without the step.
 *
 * What the question described travels in its buttons' actions (the asker, when it was asked, the backup, the parts,
 * the destination as resolved then, the safety backup), so that any instance of a fleet can answer the click and the
 * restore is the one that was described, whatever the channel is bound to by then. A button's action comes back only
 * from the platform (signed), and the click runs as the clicker, with their roles: an action made up by someone could
 * ask for nothing they could not type themselves.
 */

/** How long the buttons work: what the question says the restore replaces goes stale. */
export const confirmationTtlMs = 15 * 60_000;

/** The longest action a button may carry on every platform: Discord's `custom_id` (Slack allows 2000). */
const maxActionLength = 100;

const confirmVerb = 'restore-confirm';
const cancelVerb = 'restore-cancel';

/** The least time between two edits of the channel's message about a confirmed restore (as for approval cards). */
const channelProgressIntervalMs = 3000;

/** A restore waiting for its asker's click: everything its buttons carry. */
interface AskedRestore {
  /** The asker's principal (`discord:123`): the only one whose click counts. */
  asker: string;
  askedAt: Date;
  backupId: string;
  parts: string;
  destination: { app: string; env: string };
  safetyBackup: boolean;
}

/** Whether a button's action is a restore confirmation's Restore or Cancel. */
export function isRestoreConfirmation(action: string): boolean {
  return action.startsWith(`${confirmVerb}:`) || action.startsWith(`${cancelVerb}:`);
}

/**
 * Describes the restore to its asker privately, with Restore and Cancel buttons; asks for nothing. A restore that
 * could not run (no such backup, a missing role, an unknown destination) is refused at once instead, in the
 * restore's own words, and audited.
 */
export async function askToConfirmRestore(
  chat: ChatContext,
  ctx: HandlerContext,
  command: Extract<Command, { name: 'restore' }>,
  caller: ChatCaller,
  output: ChatOutput,
): Promise<void> {
  try {
    const to = command.to === undefined ? undefined : resolveTarget(ctx, command.to, 'restore ... to');
    const preview = await previewRestore(chat.engine, ctx.principal, {
      backupId: command.id,
      ...(command.parts !== undefined && { parts: command.parts }),
      ...(to !== undefined && { to: { app: to.app, env: to.env } }),
      safetyBackup: command.safetyBackup,
    });
    const asked: AskedRestore = {
      asker: caller.user,
      askedAt: chat.engine.clock(),
      backupId: command.id,
      parts: preview.parts,
      destination: { app: preview.destination.app, env: preview.destination.env },
      safetyBackup: preview.safetyBackup,
    };
    // A destination whose name does not fit travels as its digest, found again among the configured targets.
    const short = actionOf(confirmVerb, asked, 'name').length > maxActionLength;
    const restore = actionOf(confirmVerb, asked, short ? 'digest' : 'name');
    if (restore.length > maxActionLength) {
      const message =
        `This restore is too long for chat's confirmation button to carry (${maxActionLength} characters). ` +
        `Run it where the config is: backstop ${wordsOf(asked)}`;
      throw new BackstopError('invalid-option', message, { userMessage: message });
    }
    const destination = targetName(preview.destination);
    await output.private({
      outcome: 'ok',
      text: [
        `*Restore ${asked.parts} of ${asked.backupId} into ${destination}?* This replaces ` +
          `${preview.overwrites.join('; ')}.`,
        `${capitalised(preview.backupSummary)}.`,
        asked.safetyBackup
          ? `A safety backup of ${destination} is taken first, so this can be undone.`
          : `No safety backup is taken: what ${destination} holds now is lost.`,
        ...(preview.needsApproval
          ? [`${destination} is protected: once you confirm, someone else with the approver role must approve it.`]
          : []),
        `Nothing happens until you choose Restore (within ${confirmationTtlMs / 60_000} minutes).`,
      ].join('\n'),
      buttons: [
        { action: restore, label: 'Restore', style: 'danger' },
        { action: actionOf(cancelVerb, asked, short ? 'digest' : 'name'), label: 'Cancel', style: 'default' },
      ],
    });
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    if (!isAudited(error)) {
      const app = command.to?.app ?? ctx.binding?.app ?? null;
      await record(chat.engine, ctx.principal, { app, action: ctx.asked ?? 'restore' }, 'refused', error.userMessage);
    }
    await output.update({ outcome: 'refused', text: error.userMessage });
  }
}

/**
 * A click on a confirmation's button. Only the asker's click counts (anyone else is refused privately, and audited).
 * Cancel edits the question to say nothing was done; Restore, within `confirmationTtlMs`, edits it to say so and
 * `run`s the restore's words with an output whose messages go to the channel, as a typed command's would.
 */
export async function answerRestoreConfirmation(
  chat: ChatContext,
  caller: ChatCaller,
  action: string,
  output: ChatOutput,
  run: (words: string, output: ChatOutput) => Promise<void>,
): Promise<void> {
  const separator = action.indexOf(':');
  const verb = action.slice(0, separator);
  const asked = parseAsked(action.slice(separator + 1), chat.engine.targets);
  if (asked === undefined) {
    await output.private({ outcome: 'refused', text: 'That button is not known to this Backstop.' });
    await record(chat.engine, chatPrincipal(caller), { app: null, action }, 'refused', 'unknown action');
    return;
  }
  const destination = targetName(asked.destination);
  const words = wordsOf(asked);
  if (caller.user !== asked.asker) {
    const message = `Only the person who asked for this restore can confirm or cancel it. To ask yourself: /backup ${words}`;
    await output.private({ outcome: 'refused', text: message });
    await record(
      chat.engine,
      chatPrincipal(caller),
      { app: asked.destination.app, action: `${verb} ${asked.backupId} to ${destination}` },
      'refused',
      message,
    );
    return;
  }
  if (verb === cancelVerb) {
    await output.update({
      outcome: 'ok',
      text: `Cancelled: nothing was done. ${destination} was not restored from ${asked.backupId}.`,
    });
    return;
  }
  if (chat.engine.clock().getTime() - asked.askedAt.getTime() > confirmationTtlMs) {
    await output.update({
      outcome: 'refused',
      text:
        `This confirmation expired after ${confirmationTtlMs / 60_000} minutes: nothing was done. ` +
        `To restore, ask again: /backup ${words}`,
    });
    return;
  }
  await output.update({
    outcome: 'ok',
    text: `Confirmed: restoring ${asked.parts} of ${asked.backupId} into ${destination}. The channel sees how it goes.`,
  });
  const channel = channelMessage(output, asked.asker, chat.engine.log);
  await run(words, channel.output);
  await channel.finish();
}

/**
 * An output whose `update` posts one message in the channel and edits it from then on (paced, the last version always
 * sent), each version saying who asked: a confirmed restore is shown in the channel as a typed command would be, not
 * in the asker's private question.
 */
function channelMessage(
  output: ChatOutput,
  asker: string,
  log: (line: string) => void,
): { output: ChatOutput; finish: () => Promise<void> } {
  let reference: string | undefined;
  const edits = new UpdateThrottle<ChatMessage>(
    async (message) => {
      if (reference === undefined) reference = await output.announce(message);
      else await output.edit(reference, message);
    },
    {
      intervalMs: channelProgressIntervalMs,
      onError: (error) => log(`could not show a confirmed restore in its channel: ${reasonOf(error)}`),
    },
  );
  return {
    output: {
      update: (message) => edits.push({ ...message, text: `${message.text}\nAsked by ${asker}.` }),
      private: (message) => output.private(message),
      announce: (message) => output.announce(message),
      edit: (ref, message) => output.edit(ref, message),
    },
    finish: () => edits.finish(),
  };
}

/**
 * `restore-confirm:discord:123,mk2f0a,7k3qx2,db,y,shop/staging`: the time in seconds, base 36; the destination by
 * name, or by `#` and the start of its name's sha256 when the name is too long to fit.
 */
function actionOf(verb: string, asked: AskedRestore, destination: 'name' | 'digest'): string {
  const name = targetName(asked.destination);
  return `${verb}:${[
    asked.asker,
    Math.floor(asked.askedAt.getTime() / 1000).toString(36),
    asked.backupId,
    asked.parts,
    asked.safetyBackup ? 'y' : 'n',
    destination === 'name' ? name : `#${digestOf(name)}`,
  ].join(',')}`;
}

/** 48 bits of the name's sha256: a clash among one config's targets is not going to happen. */
function digestOf(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 12);
}

const partsWords = new Set(['db', 'media', 'db+media']);
const namePattern = /^[a-z0-9][a-z0-9_-]*$/;

function parseAsked(text: string, targets: readonly Target[]): AskedRestore | undefined {
  const [asker, seconds, backupId, parts, safety, written, ...rest] = text.split(',');
  // A digest names a configured target; one no longer configured is not found, and the button is refused.
  const destination = written?.startsWith('#')
    ? targets.map(targetName).find((name) => `#${digestOf(name)}` === written)
    : written;
  const [app, env, ...more] = (destination ?? '').split('/');
  const askedAt = Number.parseInt(seconds ?? '', 36);
  const wellFormed =
    rest.length === 0 &&
    more.length === 0 &&
    /^[a-z-]+:\S+$/.test(asker ?? '') &&
    Number.isSafeInteger(askedAt) &&
    isWellFormedId(backupId ?? '') &&
    partsWords.has(parts ?? '') &&
    (safety === 'y' || safety === 'n') &&
    namePattern.test(app ?? '') &&
    namePattern.test(env ?? '');
  if (!wellFormed) return undefined;
  return {
    asker: asker!,
    askedAt: new Date(askedAt * 1000),
    backupId: backupId!,
    parts: parts!,
    destination: { app: app!, env: env! },
    safetyBackup: safety === 'y',
  };
}

/** The restore in /backup words, every choice spelled out: what the confirmed click asks for. */
function wordsOf(asked: AskedRestore): string {
  return [
    'restore',
    asked.backupId,
    asked.parts,
    'to',
    targetName(asked.destination),
    ...(asked.safetyBackup ? [] : ['--no-safety-backup']),
  ].join(' ');
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
