import type { Acknowledgement, AcknowledgerSettings, RawChatRequest } from '../chat-platform/chat-platform.ts';
import { acknowledgeDiscordInteraction } from '../discord/acknowledge-discord-interaction.ts';
import { discordPublicKey } from '../discord/verify-discord-request.ts';
import { acknowledgeSlackRequest } from '../slack/acknowledge-slack-request.ts';

export type Acknowledger = (request: RawChatRequest) => Acknowledgement<unknown>;

/** The platform's acknowledgement with its secret bound; reads the time at each request (signatures expire). */
export function acknowledgerFor(settings: AcknowledgerSettings, now: () => Date): Acknowledger {
  switch (settings.platform) {
    case 'slack':
      return (request) => acknowledgeSlackRequest(request, settings.signingSecret, now().getTime());
    case 'discord': {
      const publicKey = discordPublicKey(settings.publicKey);
      return (request) =>
        acknowledgeDiscordInteraction(
          {
            rawBody: request.rawBody,
            signature: first(request.headers['x-signature-ed25519']),
            timestamp: first(request.headers['x-signature-timestamp']),
          },
          publicKey,
          now(),
        );
    }
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
