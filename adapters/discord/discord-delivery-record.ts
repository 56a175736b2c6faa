import type { DeliveryRecord, RawChatRequest } from '../chat-platform/chat-platform.ts';
import type { DiscordDelivery } from './acknowledge-discord-interaction.ts';
import { maxRequestAgeMs } from './verify-discord-request.ts';

/**
 * How the fleet records a Discord interaction it delivered (see DeliveryRecord), for one acknowledgeDiscordInteraction
 * accepted: by the interaction's id, unique per interaction, and by its signature (Ed25519 signatures are
 * deterministic, so a replay of the same bytes repeats it, id or not). Kept until two time windows after the
 * request's timestamp: a copy is accepted up to one window after it; the second covers clocks that differ between
 * instances.
 */
export function discordDeliveryRecord(request: RawChatRequest, delivery: DiscordDelivery): DeliveryRecord {
  const keys = [`discord-signature:${header(request, 'x-signature-ed25519')?.toLowerCase()}`];
  const id = delivery.interaction.id;
  if (typeof id === 'string' && /^\d{1,25}$/.test(id)) keys.push(`discord-interaction:${id}`);
  const timestamp = Number(header(request, 'x-signature-timestamp'));
  return { keys, expiresAtMs: timestamp * 1000 + 2 * maxRequestAgeMs };
}

function header(request: RawChatRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
