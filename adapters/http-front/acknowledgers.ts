import type {
  Acknowledgement,
  AcknowledgerSettings,
  DeliveryRecord,
  RawChatRequest,
} from '../chat-platform/chat-platform.ts';
import { acknowledgeDiscordInteraction } from '../discord/acknowledge-discord-interaction.ts';
import { discordDeliveryRecord } from '../discord/discord-delivery-record.ts';
import { discordPublicKey } from '../discord/verify-discord-request.ts';
import { acknowledgeSlackRequest } from '../slack/acknowledge-slack-request.ts';
import { slackDeliveryRecord } from '../slack/slack-delivery-record.ts';

/** The front's answer to a chat request: the platform's acknowledgement, and how to record its delivery if it has one. */
export type FrontAnswer = Acknowledgement<unknown> & { record?: DeliveryRecord };

export type Acknowledger = (request: RawChatRequest) => FrontAnswer;

/** The platform's acknowledgement with its secret bound; reads the time at each request (signatures expire). */
export function acknowledgerFor(settings: AcknowledgerSettings, now: () => Date): Acknowledger {
  switch (settings.platform) {
    case 'slack':
      return (request) => {
        const answer = acknowledgeSlackRequest(request, settings.signingSecret, now().getTime());
        return answer.delivery === undefined
          ? answer
          : { ...answer, record: slackDeliveryRecord(request, answer.delivery) };
      };
    case 'discord': {
      const publicKey = discordPublicKey(settings.publicKey);
      return (request) => {
        const answer = acknowledgeDiscordInteraction(
          {
            rawBody: request.rawBody,
            signature: first(request.headers['x-signature-ed25519']),
            timestamp: first(request.headers['x-signature-timestamp']),
          },
          publicKey,
          now(),
        );
        return answer.delivery === undefined
          ? answer
          : { ...answer, record: discordDeliveryRecord(request, answer.delivery) };
      };
    }
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
