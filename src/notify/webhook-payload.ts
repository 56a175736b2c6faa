import { Webhook } from 'standardwebhooks';
import type { WebhookEndpoint } from '../config/webhook-config.ts';
import type { BackstopEvent } from '../domain/events.ts';
import { digestMessage, type EventMessage, eventMessage, messageLines } from './event-message.ts';

/** What one delivery sends: one event, or one endpoint's digest of a day's successes. */
export type DeliveryContent =
  | { kind: 'event'; event: BackstopEvent }
  | { kind: 'digest'; day: string; events: readonly BackstopEvent[] };

/** The HTTP request of one attempt: a JSON body and its headers. */
export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

/** The `type` of a digest in the generic format. */
export const DIGEST_TYPE = 'digest.daily';

const USER_AGENT = 'Backstop-Webhooks/1';

/**
 * The request for one attempt of a delivery, in the endpoint's format. Generic requests are signed per Standard
 * Webhooks with the delivery id as `webhook-id` (the same for every attempt, so receivers can drop repeats) and the
 * attempt's time as `webhook-timestamp`. The body is the same for every attempt: an event's time is when it happened,
 * a digest's when its delivery was made (`createdAt`, default `now`).
 */
export function webhookRequest(
  endpoint: Pick<WebhookEndpoint, 'format' | 'secret'>,
  content: DeliveryContent,
  options: { deliveryId: string; now: Date; createdAt?: Date },
): WebhookRequest {
  const message = content.kind === 'event' ? eventMessage(content.event) : digestMessage(content.day, content.events);
  const timestamp = content.kind === 'event' ? content.event.createdAt : (options.createdAt ?? options.now);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  switch (endpoint.format) {
    case 'slack':
      return { body: JSON.stringify(slackBody(message)), headers };
    case 'discord':
      return { body: JSON.stringify(discordBody(message, timestamp)), headers };
    case 'generic': {
      const body = JSON.stringify(
        content.kind === 'event'
          ? genericEventBody(content.event, message)
          : genericDigestBody(content.day, content.events, message, timestamp),
      );
      if (endpoint.secret === undefined) throw new Error('a generic webhook needs a secret to sign with');
      return {
        body,
        headers: { ...headers, ...signatureHeaders(endpoint.secret, options.deliveryId, options.now, body) },
      };
    }
  }
}

/** The Standard Webhooks headers of `body`. */
export function signatureHeaders(secret: string, msgId: string, now: Date, body: string): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(msgId, now, body),
  };
}

// --- Slack incoming webhook --------------------------------------------------------------------------------------

export interface SlackBody {
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'mrkdwn'; text: string } }>;
}

const SLACK_SECTION_MAX = 3000;
const SLACK_BLOCKS_MAX = 50;
const SLACK_EMOJI = { failure: ':red_circle:', success: ':white_check_mark:', notice: ':information_source:' };

/**
 * `{ text, blocks }`: the summary as the notification text, then the title and the facts as mrkdwn sections. The
 * Slack users the message names (`people`: who asked) are mentioned, `<@U123>`, where their principal id stands.
 */
export function slackBody(message: EventMessage): SlackBody {
  const mentioned = (text: string) => slackMentions(text, message.people ?? []);
  const sections = [
    `${SLACK_EMOJI[message.severity]} *${slackEscape(message.title)}*\n${mentioned(slackEscape(message.summary))}`,
  ];
  let current = '';
  for (const field of message.fields) {
    const value = mentioned(slackEscape(field.value));
    const line = value.includes('\n')
      ? `*${slackEscape(field.label)}*\n${value}`
      : `*${slackEscape(field.label)}:* ${value}`;
    if (current !== '' && current.length + 1 + line.length > SLACK_SECTION_MAX) {
      sections.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') sections.push(current);
  const kept = sections.slice(0, SLACK_BLOCKS_MAX);
  return {
    text: mentioned(slackEscape(message.summary)),
    blocks: kept.map((text) => ({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(text, SLACK_SECTION_MAX) },
    })),
  };
}

/** `text` (escaped) with each of `people` that is a Slack user (`slack:U123`) written as a mention, `<@U123>`. */
function slackMentions(text: string, people: readonly string[]): string {
  let out = text;
  for (const principal of people) {
    const user = /^slack:([UW][A-Z0-9]{1,30})$/.exec(principal)?.[1];
    if (user !== undefined) out = out.replace(new RegExp(`(?<![\\w:])slack:${user}(?![\\w])`, 'g'), `<@${user}>`);
  }
  return out;
}

/** Slack's three control characters (a note such as "<!channel>" must not ping anyone). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// --- Discord webhook ---------------------------------------------------------------------------------------------

export interface DiscordBody {
  content: string;
  embeds: Array<{
    title: string;
    description: string;
    color: number;
    fields: Array<{ name: string; value: string; inline: boolean }>;
    timestamp: string;
  }>;
  allowed_mentions: { parse: string[]; users: string[] };
}

/** Discord's red, green and blurple. */
export const DISCORD_COLORS = { failure: 0xed4245, success: 0x57f287, notice: 0x5865f2 } as const;

/**
 * `{ content, embeds }`: the title as the message, one embed with the summary and the facts as fields. Discord users
 * the message names (`people`: who asked) are mentioned, `<@123>`, where their principal id stands, and only they may
 * be pinged (a note's "@everyone" stays text).
 */
export function discordBody(message: EventMessage, timestamp: Date): DiscordBody {
  const { mentioned, users } = discordMentions(message.people ?? []);
  return {
    content: truncate(message.title, 2000),
    embeds: [
      {
        title: truncate(message.title, 256),
        description: truncate(mentioned(message.summary), 4096),
        color: DISCORD_COLORS[message.severity],
        fields: message.fields.slice(0, 25).map((field) => ({
          name: truncate(field.label, 256),
          value: truncate(mentioned(field.value), 1024),
          inline: field.value.length <= 40 && !field.value.includes('\n'),
        })),
        timestamp: timestamp.toISOString(),
      },
    ],
    allowed_mentions: { parse: [], users },
  };
}

/** Writes each of `people` that is a Discord user (`discord:123`) as a mention; `users`, their ids. */
function discordMentions(people: readonly string[]): { mentioned: (text: string) => string; users: string[] } {
  const users = people.flatMap((principal) => /^discord:(\d{1,20})$/.exec(principal)?.[1] ?? []);
  const mentioned = (text: string) =>
    users.reduce((out, user) => out.replace(new RegExp(`(?<![\\w:])discord:${user}(?!\\d)`, 'g'), `<@${user}>`), text);
  return { mentioned, users: users.slice(0, 100) };
}

// --- Generic (Standard Webhooks) -----------------------------------------------------------------------------------

export interface GenericMessage {
  title: string;
  summary: string;
  lines: string[];
}

/** `{ type, timestamp, data }`: the event's facts as recorded, plus who it concerns and its message for people. */
export function genericEventBody(event: BackstopEvent, message: EventMessage) {
  return {
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: {
      ...event.data,
      eventId: event.id,
      app: event.app,
      env: event.env,
      subjectId: event.subjectId,
      message: genericMessage(message),
    },
  };
}

/** A digest: the day, its events (oldest first) and the message for people. */
export function genericDigestBody(
  day: string,
  events: readonly BackstopEvent[],
  message: EventMessage,
  createdAt: Date,
) {
  return {
    type: DIGEST_TYPE,
    timestamp: createdAt.toISOString(),
    data: {
      day,
      events: events.map((event) => ({
        eventId: event.id,
        type: event.type,
        timestamp: event.createdAt.toISOString(),
        app: event.app,
        env: event.env,
        subjectId: event.subjectId,
        data: event.data,
      })),
      message: genericMessage(message),
    },
  };
}

function genericMessage(message: EventMessage): GenericMessage {
  return { title: message.title, summary: message.summary, lines: messageLines(message) };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
