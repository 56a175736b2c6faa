import { BackstopError } from '../../src/domain/backstop-error.ts';

/**
 * Where a posted message is, and how to edit it: through the interaction's webhook while its token lasts (15 minutes
 * from `receivedAt`), through the bot afterwards (channel and message id). The token is a short-lived credential for
 * this one interaction; whoever stores a reference stores it too. A message the bot posted on its own (not in answer to
 * an interaction) has no token and `receivedAt` 0: it is always edited through the bot.
 */
export interface DiscordMessageRef {
  /** When the interaction arrived, in ms since the epoch. */
  receivedAt: number;
  channelId: string;
  messageId: string;
  token: string;
}

/** What every reference this adapter writes starts with (its version). */
export const discordReferencePrefix = 'discord1.';
const prefix = 'discord1';

/** A reference as `ChatOutput.announce` returns it: one string, safe to keep in a database column. */
export function encodeDiscordReference(ref: DiscordMessageRef): string {
  return [prefix, ref.receivedAt, ref.channelId, ref.messageId, ref.token].join('.');
}

/** The inverse of `encodeDiscordReference`; throws on anything it did not write. */
export function decodeDiscordReference(reference: string): DiscordMessageRef {
  const [tag, receivedAt, channelId, messageId, ...token] = reference.split('.');
  const ref = {
    receivedAt: Number(receivedAt),
    channelId: channelId ?? '',
    messageId: messageId ?? '',
    token: token.join('.'),
  };
  if (
    tag !== prefix ||
    !Number.isSafeInteger(ref.receivedAt) ||
    !/^\d+$/.test(ref.channelId) ||
    !/^\d+$/.test(ref.messageId) ||
    (ref.token === '' && ref.receivedAt !== 0)
  ) {
    throw new BackstopError('discord-bad-reference', 'not a Discord message reference written by this adapter');
  }
  return ref;
}
