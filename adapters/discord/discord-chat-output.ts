import type { ChatMessage, ChatOutput } from '../../commands/chat/chat-types.ts';
import { UpdateThrottle } from '../../commands/chat/update-throttle.ts';
import { type DiscordMessenger, describeDiscordError, type InteractionContext } from './discord-messenger.ts';
import { decodeDiscordReference, encodeDiscordReference } from './discord-reference.ts';
import { type DiscordMessageBody, renderDiscordMessage } from './render-discord-message.ts';

/** A `ChatOutput` for one interaction, plus what the adapter needs to finish it. */
export interface DiscordChatOutput extends ChatOutput {
  /** Whether `update` was called at least once (else the "thinking…" placeholder is still there). */
  readonly updated: boolean;
  /** Resolves when the last update has gone out (or failed, logged). */
  idle(): Promise<void>;
  /** Sends a waiting update at once, ignoring the throttle (shutting down). */
  flush(): Promise<void>;
}

export interface DiscordChatOutputOptions {
  messenger: DiscordMessenger;
  interaction: InteractionContext;
  /** The message `update` edits when it is known up front: the message a clicked button is on. */
  messageId?: string;
  /** Least time between two edits of the message; Discord allows about five edits per five seconds. */
  updateIntervalMs: number;
  log: (line: string) => void;
}

/**
 * `update` edits the interaction's original message (for a slash command, the deferred reply; for a button, the
 * message the button is on), throttled; it never rejects, since progress listeners do not wait for it, and a failed
 * edit is logged (the next one may succeed). `private` is an ephemeral follow-up, `announce` a public one whose
 * reference `edit` takes; these reject when Discord refuses them.
 */
export function createDiscordChatOutput(options: DiscordChatOutputOptions): DiscordChatOutput {
  const { messenger, interaction, log } = options;
  let messageId = options.messageId;
  let updated = false;
  const updater = new UpdateThrottle<DiscordMessageBody>(
    async (body) => {
      const message = await messenger.editOriginal(interaction, body, messageId);
      if (message.id !== '') messageId = message.id;
    },
    {
      intervalMs: options.updateIntervalMs,
      onError: (error) => log(`discord: ${describeDiscordError(error)}`),
    },
  );

  return {
    get updated() {
      return updated;
    },
    update(message: ChatMessage): Promise<void> {
      updated = true;
      return updater.push(renderDiscordMessage(message));
    },
    async private(message: ChatMessage): Promise<void> {
      await messenger.followUp(interaction, renderDiscordMessage(message), true);
    },
    async announce(message: ChatMessage): Promise<string> {
      const posted = await messenger.followUp(interaction, renderDiscordMessage(message), false);
      return encodeDiscordReference({
        receivedAt: interaction.receivedAt,
        channelId: posted.channelId || interaction.channelId,
        messageId: posted.id,
        token: interaction.token,
      });
    },
    async edit(reference: string, message: ChatMessage): Promise<void> {
      await messenger.editMessage(decodeDiscordReference(reference), renderDiscordMessage(message));
    },
    idle: () => updater.finish(),
    flush: () => updater.flush(),
  };
}
