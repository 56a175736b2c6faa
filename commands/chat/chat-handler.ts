import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Principal } from '../../src/domain/principal.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import { record } from '../../src/use-cases/audited.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import type { Command } from '../command.ts';
import { formatBytes } from '../handlers/format.ts';
import { handleHelp } from '../handlers/help.ts';
import type { HandlerContext, Reply } from '../handlers/reply.ts';
import { runCommand } from '../handlers/run-command.ts';
import { parseCommand } from '../parse-command.ts';
import { tokenize } from '../tokenize.ts';
import { decideRestoreRequest, requestRestoreApproval } from './approvals.ts';
import type { ChannelBindings } from './channel-bindings.ts';
import type { ChatCaller, ChatHandler, ChatMessage, ChatOutput } from './chat-types.ts';
import { homeView } from './home-view.ts';
import { mention } from './mention.ts';
import { answerRestoreConfirmation, askToConfirmRestore } from './restore-confirmation.ts';
import { isRestoreConfirmation } from './restore-confirmation-action.ts';
import { backupOfRestoreForm, checkRestoreForm, restoreForm, restoreFormCommand } from './restore-form.ts';

/** What the chat flow needs: the use cases' context and which channel is bound to what. */
export interface ChatContext {
  engine: UseCaseContext;
  bindings: ChannelBindings;
}

/** A chat user as the use cases see them: the person, with their roles on the platform and the channel. */
export function chatPrincipal(caller: ChatCaller): Principal {
  return { kind: 'chat', id: caller.user, also: [...caller.groups, caller.channel] };
}

/**
 * Commands whose work the channel sees: they change something (a backup taken, a restore, a pin), prepare a download
 * (whose links still go to the asker alone) or prove a backup restores (a drill), so their progress and outcome are
 * public. Everything else (help, reads, and any refusal) is answered to the caller alone.
 */
const publicCommands = new Set<Command['name']>([
  'create',
  'restore',
  'download',
  'verify',
  'drill',
  'pin',
  'unpin',
  'prune',
  'cancel',
]);

/** Whether a command's outcome is for the channel (see publicCommands); `prune --dry-run` changes nothing. */
function isPublic(command: Command): boolean {
  return publicCommands.has(command.name) && !(command.name === 'prune' && command.dryRun);
}

/**
 * The /backup language in chat: parse, run it through the use cases as the caller (they check roles and write the
 * audit log), follow queued work with progress, send download links privately, and route restores into protected
 * targets through an approval card. What changes something is shown to the channel (`update`): its progress and
 * outcome; help, usage errors, reads and refusals go to the caller alone (`private`). Mistyped commands and unknown
 * buttons are refused and audited here, since no use case sees them. People are written as mentions.
 */
export function createChatHandler(chat: ChatContext): ChatHandler {
  const handler: ChatHandler = {
    async command(caller, text, output, options = {}) {
      const binding = chat.bindings.of(caller.channel);
      const parsed = parseCommand(tokenize(text), {
        ...(binding && { boundAppEnvironments: environmentsOf(chat, binding.app) }),
      });
      if (!parsed.ok) {
        await output.private({
          outcome: 'refused',
          text: `${parsed.message}${parsed.usage ? `\nUsage: /backup ${parsed.usage}` : '\nSee: /backup help'}`,
        });
        await record(
          chat.engine,
          chatPrincipal(caller),
          { app: binding?.app ?? null, action: text },
          'refused',
          parsed.message,
        );
        return;
      }
      const command = parsed.command;
      if (command.name === 'help') {
        await output.private(handleHelp(command, '/backup '));
        return;
      }
      const shown = isPublic(command) ? output.update.bind(output) : output.private.bind(output);
      const ctx: HandlerContext = {
        engine: chat.engine,
        principal: chatPrincipal(caller),
        asked: text,
        person: mention,
        ...(binding && { binding }),
        follow: (operation) => {
          // Queued: from here the work is under way, and a public command's message shows it.
          if (isPublic(command)) {
            void output.update({ outcome: 'ok', text: `Working on \`/backup ${text}\`...` }).catch(() => undefined);
          }
          return followOperation(chat.engine, operation, {
            onProgress: (progress) => {
              const total = progress.bytesExpected ? ` / ${formatBytes(progress.bytesExpected)}` : '';
              void output
                .update({
                  outcome: 'ok',
                  text: `Working on \`/backup ${text}\`: ${progress.phase} ${formatBytes(progress.bytesDone)}${total}`,
                })
                .catch(() => undefined);
            },
          });
        },
      };
      try {
        if (command.name === 'restore' && options.confirmRestore) {
          await askToConfirmRestore(chat, ctx, command, caller, output);
          return;
        }
        if (command.name === 'restore' && (await requestRestoreApproval(chat, ctx, command, output))) return;
        const reply: ChatMessage = await runCommand(ctx, await withCallerEmail(command, caller), {
          prefix: '/backup ',
          checks: {},
        });
        const completed = (reply.data as { id?: string; status?: string } | undefined) ?? {};
        if ((command.name === 'create' || command.name === 'show') && completed.status === 'completed') {
          reply.buttons = backupButtons(completed.id!);
        }
        if (reply.outcome === 'refused') {
          await output.private(reply);
        } else if ((command.name === 'download' || reply.carriesLinks) && reply.outcome === 'ok') {
          await output.private(reply);
          if (isPublic(command)) await output.update({ outcome: 'ok', text: publicDownloadText(reply) });
        } else {
          await shown(reply);
        }
      } catch (error) {
        chat.engine.log(`chat command "${text}" by ${caller.user} failed: ${reasonOf(error)}`);
        await shown({ outcome: 'failed', text: 'Something went wrong on Backstop’s side; see its log.' });
      }
    },

    async action(caller, action, output) {
      if (isRestoreConfirmation(action)) {
        await answerRestoreConfirmation(chat, caller, action, output, (words, out) =>
          handler.command(caller, words, out),
        );
        return;
      }
      const [verb, id] = action.split(':');
      if ((verb === 'approve' || verb === 'deny' || verb === 'withdraw') && id) {
        await decideRestoreRequest(chat, caller, verb, id, output);
        return;
      }
      if (verb === 'restore-form' && id) {
        await openRestoreForm(chat, caller, id, output);
        return;
      }
      if (verb === 'download' && id) {
        // The clicker's own download: everything it says goes to them alone, the backup's message stays as it is.
        await handler.command(caller, `download ${id}`, {
          update: (message) => output.private(message),
          private: (message) => output.private(message),
          announce: (message) => output.announce(message),
          edit: (reference, message) => output.edit(reference, message),
        });
        return;
      }
      await output.private({ outcome: 'refused', text: 'That button is not known to this Backstop.' });
      await record(chat.engine, chatPrincipal(caller), { app: null, action }, 'refused', 'unknown action');
    },

    async checkForm(caller, form, values) {
      const backupId = backupOfRestoreForm(form);
      if (backupId === undefined) return {};
      return checkRestoreForm(chat, chatPrincipal(caller), backupId, values);
    },

    async submitForm(caller, form, values, output) {
      const backupId = backupOfRestoreForm(form);
      if (backupId === undefined) {
        await output.private({ outcome: 'refused', text: 'That form is not known to this Backstop.' });
        await record(chat.engine, chatPrincipal(caller), { app: null, action: form }, 'refused', 'unknown form');
        return;
      }
      // The restore as if typed: the same parsing, use case, approval card and audit entry.
      await handler.command(caller, restoreFormCommand(backupId, values), output);
    },

    home: (caller) => homeView(chat, chatPrincipal(caller)),
  };
  return handler;
}

/** The buttons under a completed backup: a download for the clicker, and a restore form. */
function backupButtons(backupId: string): ChatMessage['buttons'] {
  return [
    { action: `download:${backupId}`, label: 'Prepare download', style: 'default' },
    {
      action: `restore-form:${backupId}`,
      label: 'Restore...',
      style: 'default',
      confirm: {
        title: 'Restore from this backup?',
        text:
          `Next you choose what to restore from backup ${backupId} and into which environment; what is there now ` +
          'is overwritten when you submit.',
        confirm: 'Choose',
        deny: 'Cancel',
        danger: false,
      },
    },
  ];
}

/**
 * A click on Restore...: the restore form, where the platform has forms; a refusal (no restorer role, a backup not
 * completed) goes privately to the clicker, and so does the command to type where there are no forms.
 */
async function openRestoreForm(chat: ChatContext, caller: ChatCaller, backupId: string, output: ChatOutput) {
  try {
    const form = await restoreForm(chat, chatPrincipal(caller), backupId);
    if (output.openForm === undefined) {
      await output.private({
        outcome: 'ok',
        text: `Restore it with: /backup restore ${backupId} [db|media|db+media] [to <app/env>] [--no-safety-backup]`,
      });
      return;
    }
    await output.openForm(form);
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) throw error;
    await output.private({ outcome: 'refused', text: error.userMessage });
  }
}

async function withCallerEmail(command: Command, caller: ChatCaller): Promise<Command> {
  if (command.name === 'download' && command.email === undefined && caller.email !== undefined) {
    const email = await caller.email();
    if (email !== undefined) return { ...command, email };
  }
  return command;
}

/** In the channel, a download says it is ready without its links: those go to the requester only. */
function publicDownloadText(reply: Reply): string {
  const data = reply.data as { id: string; backupId: string; email?: string | null };
  return (
    `Download ${data.id} of backup ${data.backupId} is ready; the links were sent privately to whoever asked` +
    `${data.email ? ' (and by email)' : ''}.`
  );
}

function environmentsOf(chat: ChatContext, app: string): string[] {
  return chat.engine.targets.filter((t) => t.app === app).map((t) => t.env);
}

export type { ChatMessage, ChatOutput };
