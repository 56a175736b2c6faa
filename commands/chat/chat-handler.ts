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
import { answerRestoreConfirmation, askToConfirmRestore } from './restore-confirmation.ts';
import { isRestoreConfirmation } from './restore-confirmation-action.ts';

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
 * The /backup language in chat: parse, run it through the use cases as the caller (they check roles and write the
 * audit log), follow queued work with progress, send download links privately, and route restores into protected
 * targets through an approval card. Mistyped commands and unknown buttons are refused and audited here, since no
 * use case sees them.
 */
export function createChatHandler(chat: ChatContext): ChatHandler {
  const handler: ChatHandler = {
    async command(caller, text, output, options = {}) {
      const binding = chat.bindings.of(caller.channel);
      const parsed = parseCommand(tokenize(text), {
        ...(binding && { boundAppEnvironments: environmentsOf(chat, binding.app) }),
      });
      if (!parsed.ok) {
        await output.update({
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
        await output.update(handleHelp(command, '/backup '));
        return;
      }
      const ctx: HandlerContext = {
        engine: chat.engine,
        principal: chatPrincipal(caller),
        asked: text,
        ...(binding && { binding }),
        follow: (operation) =>
          followOperation(chat.engine, operation, {
            onProgress: (progress) => {
              const total = progress.bytesExpected ? ` / ${formatBytes(progress.bytesExpected)}` : '';
              void output
                .update({
                  outcome: 'ok',
                  text: `Working on \`/backup ${text}\`: ${progress.phase} ${formatBytes(progress.bytesDone)}${total}`,
                })
                .catch(() => undefined);
            },
          }),
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
          reply.buttons = [{ action: `download:${completed.id}`, label: 'Prepare download', style: 'default' }];
        }
        if ((command.name === 'download' || reply.carriesLinks) && reply.outcome === 'ok') {
          await output.private(reply);
          await output.update({ outcome: 'ok', text: publicDownloadText(reply) });
        } else {
          await output.update(reply);
        }
      } catch (error) {
        chat.engine.log(`chat command "${text}" by ${caller.user} failed: ${reasonOf(error)}`);
        await output.update({ outcome: 'failed', text: 'Something went wrong on Backstop’s side; see its log.' });
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
  };
  return handler;
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
