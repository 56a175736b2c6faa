import type { DeliveryRecord, RawChatRequest } from '../chat-platform/chat-platform.ts';
import { maxSlackRequestAgeSeconds, type SlackDelivery } from './acknowledge-slack-request.ts';

// The ids Slack puts in a body look like this; anything else is left out of the keys rather than stored.
const slackIdShape = /^[\w.-]{1,200}$/;

/**
 * How the fleet records a Slack request it delivered (see DeliveryRecord), for a request acknowledgeSlackRequest
 * accepted: by its signature, which a replay of the same bytes repeats, and by the id Slack gives the request in its
 * body (`trigger_id` of a slash command or a click, `event_id` of an event), which Slack's own retries repeat under a
 * new timestamp and so a new signature (they carry `x-slack-retry-num`). Kept until two time windows after the
 * request's timestamp: a copy is accepted up to one window after it; the second covers Slack's retries (the last
 * comes about 6 minutes after the first attempt) and clocks that differ between instances.
 */
export function slackDeliveryRecord(request: RawChatRequest, delivery: SlackDelivery): DeliveryRecord {
  const keys = [`slack-signature:${header(request, 'x-slack-signature')}`];
  for (const [field, kind] of [
    ['trigger_id', 'trigger'],
    ['event_id', 'event'],
  ] as const) {
    const id = delivery.body[field];
    if (typeof id === 'string' && slackIdShape.test(id)) keys.push(`slack-${kind}:${id}`);
  }
  const timestamp = Number(header(request, 'x-slack-request-timestamp'));
  return { keys, expiresAtMs: (timestamp + 2 * maxSlackRequestAgeSeconds) * 1000 };
}

function header(request: RawChatRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
