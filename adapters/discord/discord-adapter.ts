import { REST, Routes } from 'discord.js';
import type { ChatSuggestions } from '../../commands/chat/chat-suggestions.ts';
import type { ChatCaller, ChatHandler } from '../../commands/chat/chat-types.ts';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { type ChatPlatform, notStartedText } from '../chat-platform/chat-platform.ts';
import {
  type DiscordDelivery,
  type DiscordQuestion,
  type InteractionPayload,
  interactionType,
} from './acknowledge-discord-interaction.ts';
import { answerAutocomplete } from './discord-autocomplete.ts';
import { callerOf } from './discord-caller.ts';
import { createDiscordChatOutput, type DiscordChatOutput } from './discord-chat-output.ts';
import { interactionToText } from './discord-commands.ts';
import { DiscordMessenger, describeDiscordError, type InteractionContext } from './discord-messenger.ts';
import { decodeDiscordReference, discordReferencePrefix, encodeDiscordReference } from './discord-reference.ts';
import { renderDiscordMessage } from './render-discord-message.ts';
import { discordPublicKey } from './verify-discord-request.ts';

export interface DiscordOptions {
  /** The application's Public Key from the developer portal (64 hex characters). */
  publicKey: string;
  applicationId: string;
  /** Used only after an interaction's token expired (edits of long operations, private messages as DMs). */
  botToken: string;
  /** Discord's API root without the version, e.g. `http://127.0.0.1:PORT/api` for a test double. */
  apiUrl?: string;
  handler: ChatHandler;
  /** Where autocomplete's choices come from (backups, targets); without it, Discord is offered none. */
  suggestions?: ChatSuggestions;
  log: (line: string) => void;
  clock?: () => Date;
  /** Least time between two edits of one message (default 2000 ms). */
  updateIntervalMs?: number;
  /** How long `close()` waits for running commands before it stops waiting (default 10 s). */
  closeTimeoutMs?: number;
  /**
   * Called once for each delivery when the adapter is done with it: the work it started has ended (the handler
   * returned and the last update went out), or it started none (stopping, an interaction it cannot run). For a
   * caller that counts work in flight or waits until it is done. Must not throw.
   */
  onSettled?: () => void;
}

/**
 * Discord for `serve`. `close` waits up to `closeTimeoutMs` for running commands and never rejects. The announcer
 * posts with the bot token and edits a card through the interaction's webhook while its token lasts, the bot after.
 */
export type DiscordChat = ChatPlatform;

export const discordInteractionsPath = '/discord/interactions';

const internalErrorText = 'Backstop could not finish this because of an internal error; the details are in its log.';

/**
 * Discord for Backstop: its HTTP interactions endpoint (`/discord/interactions`), answered by the HTTP front on its
 * own thread (acknowledge-discord-interaction.ts: signature, PING, a deferred reply to `/backup` and a deferred update
 * to a click, within Discord's 3 seconds). Each acknowledged interaction is delivered here and runs in the
 * background: a command through `handler.command` with the words as typed, its output editing the deferred reply; a
 * click through `handler.action` with the button's action. An autocomplete is answered here too, on this thread
 * (the state is here), while the front holds Discord's request open: its choices come from `suggestions`. Options
 * are checked here, so a wrong config fails at start.
 */
export function createDiscord(options: DiscordOptions): DiscordChat {
  discordPublicKey(options.publicKey);
  if (!/^\d{15,25}$/.test(options.applicationId)) {
    throw new BackstopError('discord-config', 'chat.discord.applicationId is not a Discord id', {
      userMessage:
        'chat.discord.applicationId must be the Application ID (digits) from the General Information page of the ' +
        'application in the Discord developer portal.',
    });
  }
  if (options.botToken.trim() === '') {
    throw new BackstopError('discord-config', 'chat.discord.botToken is empty', {
      userMessage: "chat.discord.botToken must be the bot's token (developer portal, Bot page, Reset Token).",
    });
  }
  const { handler, log } = options;
  const clock = options.clock ?? (() => new Date());
  const rest = new REST({ version: '10', ...(options.apiUrl ? { api: options.apiUrl } : {}) }).setToken(
    options.botToken,
  );
  const messenger = new DiscordMessenger(rest, options.applicationId, clock);
  const updateIntervalMs = options.updateIntervalMs ?? 2000;
  const running = new Set<{ done: Promise<void>; output: DiscordChatOutput }>();
  // Private messages saying that an interaction was not started, until they went out.
  const telling = new Set<Promise<void>>();
  let closed = false;

  function run(
    interaction: InteractionContext,
    messageId: string | undefined,
    work: (output: DiscordChatOutput) => Promise<void>,
  ) {
    const output = createDiscordChatOutput({ messenger, interaction, messageId, updateIntervalMs, log });
    const entry = { output, done: Promise.resolve() };
    entry.done = work(output)
      .catch((error: unknown) => log(`discord: ${describeDiscordError(error)}`))
      .finally(() => {
        running.delete(entry);
        options.onSettled?.();
      });
    running.add(entry);
  }

  function runCommand(caller: ChatCaller, text: string, interaction: InteractionContext) {
    run(interaction, undefined, async (output) => {
      try {
        // Discord's buttons have no confirm dialog: a restore asks first, in a private message of its own.
        await handler.command(caller, text, output, { confirmRestore: true });
      } catch (error) {
        log(`discord: /backup ${text} from ${caller.user} failed: ${describeDiscordError(error)}`);
        await output.update({ outcome: 'failed', text: shownError(error) });
      }
      await output.idle();
      // A command that only answered privately (or posted a card) leaves Discord's "thinking…" placeholder behind.
      if (!output.updated) await messenger.deleteOriginal(interaction);
    });
  }

  function runAction(
    caller: ChatCaller,
    action: string,
    interaction: InteractionContext,
    messageId: string | undefined,
  ) {
    run(interaction, messageId, async (output) => {
      try {
        await handler.action(caller, action, output);
      } catch (error) {
        log(`discord: button ${action} from ${caller.user} failed: ${describeDiscordError(error)}`);
        await output.private({ outcome: 'failed', text: shownError(error) });
      }
      await output.idle();
    });
  }

  function deliver({ interaction }: DiscordDelivery): void {
    if (closed) {
      log('discord: an interaction acknowledged while stopping was not started');
      options.onSettled?.();
      return;
    }
    const caller = callerOf(interaction);
    // Its token lasts 15 minutes from the acknowledgement, a moment ago: read on the clock the messenger goes by.
    const context = contextOf(interaction, clock().getTime());
    if (caller === undefined || context === undefined) {
      log('discord: an interaction came without a user, a channel or a token');
      options.onSettled?.();
      return;
    }
    if (interaction.type === interactionType.applicationCommand) {
      runCommand(caller, interactionToText({ name: 'backup', options: interaction.data?.options ?? [] }), context);
    } else if (typeof interaction.data?.custom_id === 'string') {
      runAction(caller, interaction.data.custom_id, context, interaction.message?.id);
    } else {
      options.onSettled?.();
    }
  }

  function notStarted({ interaction }: DiscordDelivery): void {
    const context = contextOf(interaction, clock().getTime());
    if (context === undefined) return;
    const told = (async () => {
      await messenger.followUp(context, renderDiscordMessage({ outcome: 'failed', text: notStartedText }), true);
      // A command's "thinking…" placeholder would otherwise stay until Discord gives up on it.
      if (interaction.type === interactionType.applicationCommand) await messenger.deleteOriginal(context);
    })()
      .catch((error: unknown) =>
        log(
          `discord: could not tell ${context.userId} that an interaction was not started: ${describeDiscordError(error)}`,
        ),
      )
      .finally(() => telling.delete(told));
    telling.add(told);
  }

  return {
    endpoint: {
      path: discordInteractionsPath,
      settings: { platform: 'discord', publicKey: options.publicKey },
      deliver: (delivery) => deliver(delivery as DiscordDelivery),
      notStarted: (delivery) => notStarted(delivery as DiscordDelivery),
      answer: async (question) => ({
        json: await answerAutocomplete(question as DiscordQuestion, options.suggestions),
      }),
    },
    announcer: {
      channelPrefix: 'discord-channel:',
      async post(channelId, message) {
        const posted = (await rest.post(Routes.channelMessages(channelId), {
          body: renderDiscordMessage(message),
        })) as { id: string; channel_id?: string };
        // Posted by the bot, not in answer to an interaction: no interaction token, so edits go through the bot.
        return encodeDiscordReference({
          receivedAt: 0,
          channelId: posted.channel_id ?? channelId,
          messageId: posted.id,
          token: '',
        });
      },
      owns: (reference) => reference.startsWith(discordReferencePrefix),
      async edit(reference, message) {
        await messenger.editMessage(decodeDiscordReference(reference), renderDiscordMessage(message));
      },
    },
    async close() {
      closed = true;
      // Waiting updates go out now rather than after the throttle interval.
      for (const r of running) void r.output.flush();
      const timeoutMs = options.closeTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...[...running].map((r) => r.done), ...telling]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await Promise.all([...running].map((r) => r.output.flush()));
      if (running.size > 0) {
        log(`discord: ${running.size} chat command(s) still running at shutdown; their messages stop updating here`);
      }
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}

/** Only a BackstopError's userMessage reaches a channel; anything else is in the log. */
function shownError(error: unknown): string {
  return error instanceof BackstopError && error.userMessage !== undefined ? error.userMessage : internalErrorText;
}

function contextOf(interaction: InteractionPayload, receivedAt: number): InteractionContext | undefined {
  const userId = interaction.member?.user?.id ?? interaction.user?.id;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (userId === undefined || channelId === undefined || typeof interaction.token !== 'string') return undefined;
  return { token: interaction.token, receivedAt, channelId, userId };
}
