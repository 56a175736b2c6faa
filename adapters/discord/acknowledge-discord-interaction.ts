import type { KeyObject } from 'node:crypto';
import type { Acknowledgement } from '../chat-platform/chat-platform.ts';
import type { DiscordCommandOption } from './discord-commands.ts';
import { verifyDiscordRequest } from './verify-discord-request.ts';

/** Interaction and response types (https://discord.com/developers/docs/interactions/receiving-and-responding). */
export const interactionType = { ping: 1, applicationCommand: 2, messageComponent: 3, autocomplete: 4 } as const;
export const responseType = {
  pong: 1,
  message: 4,
  deferredMessage: 5,
  deferredUpdate: 6,
  autocompleteResult: 8,
} as const;
export const ephemeralFlag = 64;

/** The subset of an interaction Backstop reads. */
export interface InteractionPayload {
  /** Unique per interaction: the fleet records it, so an interaction sent twice runs once. */
  id?: string;
  type?: number;
  token?: string;
  data?: { name?: string; options?: DiscordCommandOption[]; custom_id?: string };
  member?: { user?: { id?: string }; roles?: string[] };
  user?: { id?: string };
  channel_id?: string;
  channel?: { id?: string };
  message?: { id?: string };
}

/** An interaction Discord was answered for with a deferred reply or update: the adapter runs it. */
export interface DiscordDelivery {
  interaction: InteractionPayload;
}

/** An autocomplete interaction, whose choices the adapter reads from the state on the main thread. */
export interface DiscordQuestion {
  interaction: InteractionPayload;
}

/** No choices: what Discord gets when the choices did not come in time (the person can still type the value). */
export const noChoices = { type: responseType.autocompleteResult, data: { choices: [] } };

export interface DiscordRequest {
  rawBody: Buffer;
  /** The `x-signature-ed25519` and `x-signature-timestamp` headers. */
  signature: string | undefined;
  timestamp: string | undefined;
}

/**
 * Answers a request to `/discord/interactions` on its own, without the engine: a valid Ed25519 signature by the
 * application's key and a fresh timestamp, else 401 with no detail; PING gets PONG (Discord checks the endpoint that
 * way); `/backup` gets a deferred reply and a component click a deferred update, which Discord must have within 3
 * seconds, and both are delivered to be run; another command gets a private "only /backup" message; anything
 * malformed 400. An autocomplete of `/backup` cannot be deferred (its one answer is the list of choices), so it comes
 * back as a question for the adapter on the main thread (see the front thread), with no choices as the fallback.
 */
export function acknowledgeDiscordInteraction(
  request: DiscordRequest,
  publicKey: KeyObject,
  now: Date,
): Acknowledgement<DiscordDelivery> {
  const verdict = verifyDiscordRequest(request, publicKey, now);
  if (!verdict.ok) return { status: 401, json: { error: 'invalid request signature' }, refused: verdict.failure };
  let interaction: InteractionPayload;
  try {
    interaction = JSON.parse(request.rawBody.toString('utf8')) as InteractionPayload;
  } catch {
    return { status: 400, json: { error: 'bad request' }, refused: 'unparsable body' };
  }
  if (typeof interaction !== 'object' || interaction === null) {
    return { status: 400, json: { error: 'bad request' }, refused: 'not an interaction' };
  }
  if (interaction.type === interactionType.ping) return { status: 200, json: { type: responseType.pong } };
  const userId = interaction.member?.user?.id ?? interaction.user?.id;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (userId === undefined || channelId === undefined || typeof interaction.token !== 'string') {
    return { status: 400, json: { error: 'bad request' }, refused: 'no user, channel or token' };
  }
  const delivery = { interaction };
  if (interaction.type === interactionType.applicationCommand) {
    if (interaction.data?.name !== 'backup') {
      return {
        status: 200,
        json: { type: responseType.message, data: { content: 'Backstop only answers /backup.', flags: ephemeralFlag } },
      };
    }
    // A restore first asks its caller to confirm, privately (the adapter asks the handler to): its placeholder is
    // private too, so the channel sees nothing of a restore until it is confirmed.
    const restore = interaction.data.options?.[0]?.name === 'restore';
    return {
      status: 200,
      json: { type: responseType.deferredMessage, ...(restore && { data: { flags: ephemeralFlag } }) },
      delivery,
    };
  }
  if (interaction.type === interactionType.autocomplete) {
    const question: DiscordQuestion = { interaction };
    return { status: 200, json: noChoices, ...(interaction.data?.name === 'backup' && { question }) };
  }
  if (interaction.type === interactionType.messageComponent && typeof interaction.data?.custom_id === 'string') {
    return { status: 200, json: { type: responseType.deferredUpdate }, delivery };
  }
  return { status: 400, json: { error: 'unsupported interaction' }, refused: `interaction type ${interaction.type}` };
}
