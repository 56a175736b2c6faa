import { BackstopError } from '../../src/domain/backstop-error.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import { targetName } from '../../src/domain/target.ts';
import { isAudited, record } from '../../src/use-cases/audited.ts';
import { previewRestore } from '../../src/use-cases/request-restore.ts';
import type { Command } from '../command.ts';
import type { HandlerContext } from '../handlers/reply.ts';
import { resolveTarget } from '../handlers/resolve-target.ts';
import { type ChatContext, chatPrincipal } from './chat-handler.ts';
import type { ChatCaller, ChatMessage, ChatOutput } from './chat-types.ts';
import { mention } from './mention.ts';
import {
  type AskedRestore,
  confirmationActions,
  confirmationTtlMs,
  maxActionLength,
  parseConfirmation,
  restoreWords,
} from './restore-confirmation-action.ts';
import { UpdateThrottle } from './update-throttle.ts';

/**
 * The confirm step of a restore asked in chat, for platforms whose buttons have no confirm dialog of their own
 * (Discord): the restore is first described privately to its asker ("Restore db of 7k3qx2 into shop/staging? This
 * replaces ...") with Restore and Cancel buttons, and only the asker's click on Restore asks for it, in the same
 * words through the same handler, use cases and approvals as a restore typed without the step.
 *
 * What the question described travels in its buttons' actions (restore-confirmation-action.ts: the asker, when it
 * was asked, the backup, the parts, the destination as resolved then, the safety backup), so that any instance of a
 * fleet can answer the click and the restore is the one that was described, whatever the channel is bound to by
 * then. A button's action comes back only from the platform (signed), and the click runs as the clicker, with their
 * roles: an action made up by someone could ask for nothing they could not type themselves. A platform takes the
 * clicks on one question once per person (`confirmationKey`), so a double click restores once.
 */

/** The least time between two edits of the channel's message about a confirmed restore (as for approval cards). */
const channelProgressIntervalMs = 3000;

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
    const actions = confirmationActions(asked);
    if (actions === undefined) {
      const message =
        `This restore is too long for chat's confirmation button to carry (${maxActionLength} characters). ` +
        `Run it where the config is: backstop ${restoreWords(asked)}`;
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
        { action: actions.restore, label: 'Restore', style: 'danger' },
        { action: actions.cancel, label: 'Cancel', style: 'default' },
      ],
    });
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    if (!isAudited(error)) {
      const app = command.to?.app ?? ctx.binding?.app ?? null;
      await record(chat.engine, ctx.principal, { app, action: ctx.asked ?? 'restore' }, 'refused', error.userMessage);
    }
    await output.private({ outcome: 'refused', text: error.userMessage });
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
  const clicked = parseConfirmation(action, chat.engine.targets);
  if (clicked === undefined) {
    await output.private({ outcome: 'refused', text: 'That button is not known to this Backstop.' });
    await record(chat.engine, chatPrincipal(caller), { app: null, action }, 'refused', 'unknown action');
    return;
  }
  const { button, asked } = clicked;
  const destination = targetName(asked.destination);
  const words = restoreWords(asked);
  if (caller.user !== asked.asker) {
    const message = `Only the person who asked for this restore can confirm or cancel it. To ask yourself: /backup ${words}`;
    // Recorded before the answer goes out: whoever reads the audit log after the answer finds it there.
    await record(
      chat.engine,
      chatPrincipal(caller),
      { app: asked.destination.app, action: `${button} button of: ${words}` },
      'refused',
      message,
    );
    await output.private({ outcome: 'refused', text: message });
    return;
  }
  if (button === 'cancel') {
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
      update: (message) => edits.push({ ...message, text: `${message.text}\nAsked by ${mention(asker)}.` }),
      private: (message) => output.private(message),
      announce: (message) => output.announce(message),
      edit: (ref, message) => output.edit(ref, message),
    },
    finish: () => edits.finish(),
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
