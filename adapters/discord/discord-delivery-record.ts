import { confirmationKey, confirmationTtlMs } from '../../commands/chat/restore-confirmation-action.ts';
import type { DeliveryRecord, RawChatRequest } from '../chat-platform/chat-platform.ts';
import { type DiscordDelivery, interactionType } from './acknowledge-discord-interaction.ts';
import { maxRequestAgeMs } from './verify-discord-request.ts';

/**
 * How the fleet records a Discord interaction it delivered (see DeliveryRecord), for one acknowledgeDiscordInteraction
 * accepted: by the interaction's id, unique per interaction, and by its signature (Ed25519 signatures are
 * deterministic, so a replay of the same bytes repeats it, id or not). Kept until two time windows after the
 * request's timestamp: a copy is accepted up to one window after it; the second covers clocks that differ between
 * instances.
 *
 * A click on a restore's confirmation is also recorded by the question and the clicker, for as long as its buttons
 * work: a second click of that person on either of its buttons (a double click on Restore, Restore after Cancel) is a
 * new interaction, which the interaction id alone would let run, and restore twice.
 */
export function discordDeliveryRecord(request: RawChatRequest, delivery: DiscordDelivery): DeliveryRecord {
  const keys = [`discord-signature:${header(request, 'x-signature-ed25519')?.toLowerCase()}`];
  const { interaction } = delivery;
  if (typeof interaction.id === 'string' && /^\d{1,25}$/.test(interaction.id)) {
    keys.push(`discord-interaction:${interaction.id}`);
  }
  const timestamp = Number(header(request, 'x-signature-timestamp'));
  let expiresAtMs = timestamp * 1000 + 2 * maxRequestAgeMs;
  const question = confirmationKey(interaction.data?.custom_id ?? '');
  const clicker = interaction.member?.user?.id ?? interaction.user?.id;
  if (interaction.type === interactionType.messageComponent && question !== undefined && clicker !== undefined) {
    keys.push(`discord-confirmation:${clicker}:${question}`);
    expiresAtMs += confirmationTtlMs;
  }
  return { keys, expiresAtMs };
}

function header(request: RawChatRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
