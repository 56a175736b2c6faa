import { DiscordAPIError, HTTPError, MessageFlags, type REST, Routes } from 'discord.js';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { DiscordMessageRef } from './discord-reference.ts';
import type { DiscordMessageBody } from './render-discord-message.ts';

/** One interaction as the messenger needs it. */
export interface InteractionContext {
  token: string;
  /** When it arrived (ms since the epoch): its token works for 15 minutes from then. */
  receivedAt: number;
  channelId: string;
  /** Who started it: private messages go to them. */
  userId: string;
}

/** A message Discord created: enough to edit it later. */
export interface PostedMessage {
  id: string;
  channelId: string;
}

/**
 * Discord rejects an interaction token 15 minutes after the interaction; stop using it a minute early so a request in
 * flight does not straddle the deadline.
 */
export const interactionTokenLifetimeMs = 14 * 60 * 1000;

/** Discord's code for "Invalid Webhook Token" (the interaction token expired). */
const invalidWebhookToken = 50027;

/**
 * Sends and edits the messages of interactions through discord.js REST. While an interaction's token is valid it uses
 * the interaction webhook (no permissions needed); after that it falls back to the bot (`chat.discord.botToken`):
 * edits through the channel-message endpoint, public posts into the channel, private ones as a direct message,
 * because a backup or an approval easily outlives 15 minutes. Ephemeral messages cannot be edited by the bot at all.
 * Failures reject with a BackstopError whose message never holds the token (discord.js errors carry the URL).
 */
export class DiscordMessenger {
  constructor(
    private readonly rest: REST,
    private readonly applicationId: string,
    private readonly now: () => Date,
  ) {}

  /** Edits the interaction's original message; `messageId` (when known) lets the bot edit it after the token expired. */
  async editOriginal(
    interaction: InteractionContext,
    body: DiscordMessageBody,
    messageId?: string,
  ): Promise<PostedMessage> {
    return this.withFallback(
      'edit the message',
      interaction.receivedAt,
      () =>
        this.rest.patch(Routes.webhookMessage(this.applicationId, interaction.token, '@original'), {
          body,
          auth: false,
        }),
      messageId === undefined
        ? undefined
        : () => this.rest.patch(Routes.channelMessage(interaction.channelId, messageId), { body }),
    );
  }

  /** Deletes the interaction's original message (the "thinking…" placeholder of a command that never updated it). */
  async deleteOriginal(interaction: InteractionContext): Promise<void> {
    await this.withFallback('delete the placeholder message', interaction.receivedAt, async () => {
      await this.rest.delete(Routes.webhookMessage(this.applicationId, interaction.token, '@original'), {
        auth: false,
      });
      return undefined;
    });
  }

  /** Posts a follow-up: ephemeral (only the caller sees it, or a direct message once the token expired) or public. */
  async followUp(
    interaction: InteractionContext,
    body: DiscordMessageBody,
    ephemeral: boolean,
  ): Promise<PostedMessage> {
    return this.withFallback(
      ephemeral ? 'send a private message' : 'post a message',
      interaction.receivedAt,
      () =>
        this.rest.post(Routes.webhook(this.applicationId, interaction.token), {
          body: ephemeral ? { ...body, flags: MessageFlags.Ephemeral } : body,
          auth: false,
        }),
      ephemeral
        ? async () => {
            const dm = (await this.rest.post(Routes.userChannels(), {
              body: { recipient_id: interaction.userId },
            })) as { id: string };
            return this.rest.post(Routes.channelMessages(dm.id), { body });
          }
        : () => this.rest.post(Routes.channelMessages(interaction.channelId), { body }),
    );
  }

  /** Edits a message posted earlier (an approval card). */
  async editMessage(ref: DiscordMessageRef, body: DiscordMessageBody): Promise<PostedMessage> {
    return this.withFallback(
      'edit the message',
      ref.receivedAt,
      () => this.rest.patch(Routes.webhookMessage(this.applicationId, ref.token, ref.messageId), { body, auth: false }),
      () => this.rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body }),
    );
  }

  private async withFallback(
    what: string,
    receivedAt: number,
    viaWebhook: () => Promise<unknown>,
    viaBot?: () => Promise<unknown>,
  ): Promise<PostedMessage> {
    const tokenValid = this.now().getTime() - receivedAt < interactionTokenLifetimeMs;
    try {
      if (tokenValid) {
        try {
          return posted(await viaWebhook());
        } catch (error) {
          // A clock a little off, or a token Discord already dropped: the bot can still reach the message.
          if (!(error instanceof DiscordAPIError && error.code === invalidWebhookToken) || viaBot === undefined)
            throw error;
        }
      }
      if (viaBot === undefined) {
        throw new BackstopError('discord-token-expired', `could not ${what}: the interaction's token has expired`);
      }
      return posted(await viaBot());
    } catch (error) {
      if (error instanceof BackstopError) throw error;
      throw new BackstopError('discord-api', `could not ${what} on Discord: ${describeDiscordError(error)}`, {
        retryable: isRetryable(error),
      });
    }
  }
}

function posted(answer: unknown): PostedMessage {
  const message = (answer ?? {}) as { id?: unknown; channel_id?: unknown };
  return {
    id: typeof message.id === 'string' ? message.id : '',
    channelId: typeof message.channel_id === 'string' ? message.channel_id : '',
  };
}

/** A one-line description without the request URL (it holds the interaction token). */
export function describeDiscordError(error: unknown): string {
  if (error instanceof DiscordAPIError) return `${error.status} (code ${error.code}) ${error.message.split('\n')[0]}`;
  if (error instanceof HTTPError) return `${error.status} ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

function isRetryable(error: unknown): boolean {
  if (error instanceof DiscordAPIError || error instanceof HTTPError)
    return error.status === 429 || error.status >= 500;
  return true; // network errors, timeouts
}
