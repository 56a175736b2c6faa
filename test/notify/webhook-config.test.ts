import { describe, expect, test } from 'vitest';
import {
  inDigest,
  parseWebhooks,
  resolveWebhooks,
  retryDelayMs,
  sendsNow,
  webhooksSchema,
} from '../../src/config/webhook-config.ts';
import { eventTypes } from '../../src/domain/events.ts';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** The messages zod gives for `raw`, as "path: message". */
function problems(raw: unknown): string[] {
  const result = webhooksSchema.safeParse(raw);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the webhooks: section', () => {
  test('accepts the DESIGN.md example and fills in the defaults', () => {
    const [endpoint] = parseWebhooks([
      {
        url: 'https://hooks.example.com/backstop',
        format: 'generic',
        secret,
        events: ['backup.failed', 'backup.missed'],
        success: 'digest',
      },
    ]);
    expect(endpoint).toEqual({
      name: 'webhook-0',
      url: 'https://hooks.example.com/backstop',
      format: 'generic',
      secret,
      events: ['backup.failed', 'backup.missed'],
      success: 'digest',
      timeoutMs: 10_000,
      retry: { attempts: 8, firstDelayMs: 30_000 },
    });
  });

  test('accepts Slack and Discord endpoints with names, all events by default, and fractional seconds', () => {
    const endpoints = parseWebhooks([
      { name: 'ops-slack', url: 'https://hooks.slack.com/services/T0/B0/x', format: 'slack' },
      {
        url: 'https://discord.com/api/webhooks/1/abc',
        format: 'discord',
        success: 'never',
        timeoutSeconds: 2.5,
        retry: { attempts: 3, firstDelaySeconds: 0.2 },
      },
    ]);
    expect(endpoints.map((e) => e.name)).toEqual(['ops-slack', 'webhook-1']);
    expect(endpoints[0]!.events).toEqual([...eventTypes]);
    expect(endpoints[0]!.success).toBe('each');
    expect(endpoints[1]!).toMatchObject({ timeoutMs: 2500, retry: { attempts: 3, firstDelayMs: 200 } });
    expect(resolveWebhooks(undefined)).toEqual([]);
  });

  test.each([
    [
      'a generic endpoint without a secret',
      [{ url: 'https://x.example/h', format: 'generic' }],
      '0.secret: format generic signs each message: add secret: whsec_',
    ],
    [
      'a secret that is not a Standard Webhooks secret',
      [{ url: 'https://x.example/h', format: 'generic', secret: 'hunter2' }],
      '0.secret: write a Standard Webhooks secret: "whsec_" followed by the base64',
    ],
    [
      'a secret too short to be safe',
      [{ url: 'https://x.example/h', format: 'generic', secret: 'whsec_YWJj' }],
      '0.secret: write a Standard Webhooks secret',
    ],
    [
      'a secret on a Slack endpoint',
      [{ url: 'https://x.example/h', format: 'slack', secret }],
      '0.secret: format slack is not signed (its URL is the secret): remove secret:',
    ],
    [
      'a URL that is not http(s)',
      [{ url: 'ftp://x.example/h', format: 'slack' }],
      '0.url: write an http:// or https:// URL',
    ],
    ['no URL', [{ format: 'slack' }], '0.url: write the URL the messages are POSTed to'],
    ['an unknown format', [{ url: 'https://x.example/h', format: 'teams' }], '0.format: write format: slack'],
    [
      'an unknown event',
      [{ url: 'https://x.example/h', format: 'slack', events: ['backup.done'] }],
      '0.events.0: write one of backup.succeeded, backup.failed',
    ],
    [
      'an empty event list',
      [{ url: 'https://x.example/h', format: 'slack', events: [] }],
      '0.events: list at least one event, or leave events: out',
    ],
    [
      'an unknown success policy',
      [{ url: 'https://x.example/h', format: 'slack', success: 'daily' }],
      '0.success: write success: each, digest (once a day) or never',
    ],
    [
      'a misspelt key',
      [{ url: 'https://x.example/h', format: 'slack', evnets: ['backup.failed'] }],
      'Unrecognized key: "evnets"',
    ],
    [
      'zero attempts',
      [{ url: 'https://x.example/h', format: 'slack', retry: { attempts: 0 } }],
      '0.retry.attempts: write at least 1 attempt',
    ],
    [
      'a timeout of 0',
      [{ url: 'https://x.example/h', format: 'slack', timeoutSeconds: 0 }],
      '0.timeoutSeconds: write a number of seconds above 0',
    ],
    [
      'two endpoints of the same name',
      [
        { name: 'ops', url: 'https://x.example/h', format: 'slack' },
        { name: 'ops', url: 'https://y.example/h', format: 'discord' },
      ],
      '1.name: the name ops is taken by webhooks[0]: give each endpoint its own name',
    ],
    [
      'a name that clashes with an unnamed endpoint',
      [
        { url: 'https://x.example/h', format: 'slack' },
        { name: 'webhook-0', url: 'https://y.example/h', format: 'discord' },
      ],
      '1.name: the name webhook-0 is taken by webhooks[0]',
    ],
  ])('refuses %s with a message that says what to write', (_what, raw, expected) => {
    const found = problems(raw);
    expect(
      found.some((p) => p.includes(expected)),
      `${found.join('\n')}`,
    ).toBe(true);
  });

  test('messages never echo the URL or the secret', () => {
    const found = problems([
      { url: 'hooks.slack.com/services/T0/B0/SECRETTOKEN', format: 'slack' },
      { url: 'https://x.example/h', format: 'generic', secret: 'whsec_SECRET!' },
    ]);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).not.toContain('SECRET');
  });
});

describe('policies and backoff', () => {
  const all = [...eventTypes];

  test.each([
    ['each', 'backup.succeeded', true, false],
    ['each', 'backup.failed', true, false],
    ['digest', 'backup.succeeded', false, true],
    ['digest', 'restore.succeeded', false, true],
    ['digest', 'download.ready', false, true],
    ['digest', 'backup.failed', true, false],
    ['digest', 'backup.missed', true, false],
    ['digest', 'restore.failed', true, false],
    ['never', 'backup.succeeded', false, false],
    ['never', 'retention.pruned', false, false],
    ['never', 'backup.missed', true, false],
  ] as const)('success: %s sends %s now: %s, in the digest: %s', (success, type, now, digest) => {
    const endpoint = { events: all, success };
    expect(sendsNow(endpoint, type)).toBe(now);
    expect(inDigest(endpoint, type)).toBe(digest);
  });

  test('the event filter applies to failures too', () => {
    const endpoint = { events: ['backup.succeeded'] as const, success: 'each' as const };
    expect(sendsNow(endpoint, 'backup.failed')).toBe(false);
    expect(sendsNow(endpoint, 'backup.succeeded')).toBe(true);
  });

  test('delays double from the first and stop at an hour', () => {
    const endpoint = { retry: { attempts: 20, firstDelayMs: 30_000 } };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => retryDelayMs(endpoint, n) / 1000)).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
  });
});
