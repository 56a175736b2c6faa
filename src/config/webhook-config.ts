import { z } from 'zod';
import { type EventType, eventTypes } from '../domain/events.ts';

/**
 * The `webhooks:` section of backstop.yaml (DESIGN.md, Configuration and Notifications). Objects are strict so a
 * misspelt key is reported; every message says what to write, and none echoes the value (a Slack or Discord webhook
 * URL is itself a secret).
 */

/** Events sent at once whatever the endpoint's success policy: something went wrong and a person should act. */
export const ALWAYS_SENT_EVENT_TYPES: readonly EventType[] = [
  'backup.failed',
  'restore.failed',
  'backup.missed',
  'drill.failed',
  'drill.missed',
];

export const WEBHOOK_FORMATS = ['generic', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const SUCCESS_POLICIES = ['each', 'digest', 'never'] as const;
export type SuccessPolicy = (typeof SUCCESS_POLICIES)[number];

const MAX_DELAY_SECONDS = 3600;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** "whsec_" and the base64 of at least 16 bytes (the Standard Webhooks secret format). */
function isStandardWebhooksSecret(text: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (!match) return false;
  const base64 = match[1]!;
  return base64.length % 4 === 0 && Buffer.from(base64, 'base64').length >= 16;
}

const eventType = z.enum(eventTypes, {
  error: `write one of ${eventTypes.join(', ')}`,
});

const endpoint = z
  .strictObject({
    /** How messages, logs and the delivery records name this endpoint (never by its URL). */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_", e.g. name: ops-slack')
      .optional(),
    url: z
      .string({ error: `write the URL the messages are POSTed to, e.g. url: \${SLACK_WEBHOOK_URL}` })
      .refine(isHttpUrl, `write an http:// or https:// URL, e.g. url: \${SLACK_WEBHOOK_URL}`),
    format: z.enum(WEBHOOK_FORMATS, {
      error:
        'write format: slack (a Slack incoming webhook), discord (a Discord webhook) or generic (signed JSON, ' +
        'Standard Webhooks)',
    }),
    /** For format generic: the Standard Webhooks signing secret. */
    secret: z
      .string()
      .refine(
        isStandardWebhooksSecret,
        'write a Standard Webhooks secret: "whsec_" followed by the base64 of at least 16 random bytes, ' +
          'e.g. whsec_ and the output of openssl rand -base64 32',
      )
      .optional(),
    /** The events sent to this endpoint (default: all). */
    events: z
      .array(eventType)
      .min(1, `list at least one event, or leave events: out to send all of ${eventTypes.join(', ')}`)
      .optional(),
    /** What happens to successes: each one sent, one digest a day, or none. Failures and missed backups always go. */
    success: z.enum(SUCCESS_POLICIES, { error: 'write success: each, digest (once a day) or never' }).default('each'),
    /** How long one attempt waits for the endpoint's answer. */
    timeoutSeconds: z
      .number({ error: 'write a number of seconds, e.g. timeoutSeconds: 10' })
      .positive('write a number of seconds above 0, e.g. timeoutSeconds: 10')
      .max(120, 'write at most 120 seconds: a slow endpoint holds a worker')
      .default(10),
    /** Attempts in all, and the first delay between them (it doubles each time, up to an hour). */
    retry: z
      .strictObject({
        attempts: z
          .int('write a whole number of attempts, e.g. attempts: 8')
          .min(1, 'write at least 1 attempt')
          .max(30, 'write at most 30 attempts'),
        firstDelaySeconds: z
          .number({ error: 'write a number of seconds, e.g. firstDelaySeconds: 30' })
          .positive('write a number of seconds above 0, e.g. firstDelaySeconds: 30')
          .max(MAX_DELAY_SECONDS, `write at most ${MAX_DELAY_SECONDS} seconds (an hour)`),
      })
      .partial()
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (value.format === 'generic' && value.secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message:
          'format generic signs each message: add secret: whsec_<base64 of 32 random bytes> ' +
          '(e.g. from openssl rand -base64 32) and give the receiver the same secret',
      });
    }
    if (value.format !== 'generic' && value.secret !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: `format ${value.format} is not signed (its URL is the secret): remove secret:, or use format: generic`,
      });
    }
  });

/** The `webhooks:` section: a list of endpoints, each named uniquely (explicitly or by its place in the list). */
export const webhooksSchema = z.array(endpoint).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  for (const [index, item] of list.entries()) {
    const name = endpointName(item.name, index);
    const first = seen.get(name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `the name ${name} is taken by webhooks[${first}]: give each endpoint its own name`,
      });
    } else seen.set(name, index);
  }
});

export type WebhooksConfig = z.infer<typeof webhooksSchema>;

/** One endpoint with every default applied. Holds secrets (url, secret): never print it. */
export interface WebhookEndpoint {
  /** `name:` from the config, else `webhook-<index>` (its 0-based place in the list, as in webhooks[0]). */
  name: string;
  url: string;
  format: WebhookFormat;
  /** The signing secret (format generic only). */
  secret: string | undefined;
  /** The events sent; all when the config lists none. */
  events: readonly EventType[];
  success: SuccessPolicy;
  timeoutMs: number;
  retry: { attempts: number; firstDelayMs: number };
}

export const DEFAULT_WEBHOOK_ATTEMPTS = 8;
export const DEFAULT_FIRST_DELAY_SECONDS = 30;

/** The endpoints of a validated `webhooks:` section (undefined: none). */
export function resolveWebhooks(config: WebhooksConfig | undefined): WebhookEndpoint[] {
  return (config ?? []).map((item, index) => ({
    name: endpointName(item.name, index),
    url: item.url,
    format: item.format,
    secret: item.secret,
    events: item.events ?? [...eventTypes],
    success: item.success,
    timeoutMs: Math.round(item.timeoutSeconds * 1000),
    retry: {
      attempts: item.retry?.attempts ?? DEFAULT_WEBHOOK_ATTEMPTS,
      firstDelayMs: Math.round((item.retry?.firstDelaySeconds ?? DEFAULT_FIRST_DELAY_SECONDS) * 1000),
    },
  }));
}

/** Validates and resolves a `webhooks:` section on its own (tests, tools); throws zod's error on a mistake. */
export function parseWebhooks(raw: unknown): WebhookEndpoint[] {
  return resolveWebhooks(webhooksSchema.optional().parse(raw));
}

function endpointName(name: string | undefined, index: number): string {
  return name ?? `webhook-${index}`;
}

/** The delay before the attempt after `attempt` (1-based) failed: first delay, doubled each time, at most an hour. */
export function retryDelayMs(endpoint: Pick<WebhookEndpoint, 'retry'>, attempt: number): number {
  const doubled = endpoint.retry.firstDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(doubled, MAX_DELAY_SECONDS * 1000);
}

/** Whether the endpoint wants this kind of event at all. */
export function wantsEvent(endpoint: Pick<WebhookEndpoint, 'events'>, type: EventType): boolean {
  return endpoint.events.includes(type);
}

/** Failures and missed backups, which every endpoint that wants them gets at once. */
export function isAlwaysSent(type: EventType): boolean {
  return ALWAYS_SENT_EVENT_TYPES.includes(type);
}

/** Whether the endpoint gets this event now, as its own message (rather than in a digest, or not at all). */
export function sendsNow(endpoint: Pick<WebhookEndpoint, 'events' | 'success'>, type: EventType): boolean {
  return wantsEvent(endpoint, type) && (endpoint.success === 'each' || isAlwaysSent(type));
}

/** Whether the endpoint's daily digest lists this event. */
export function inDigest(endpoint: Pick<WebhookEndpoint, 'events' | 'success'>, type: EventType): boolean {
  return endpoint.success === 'digest' && wantsEvent(endpoint, type) && !isAlwaysSent(type);
}
