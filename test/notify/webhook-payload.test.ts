import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { eventMessage } from '../../src/notify/event-message.ts';
import {
  DIGEST_TYPE,
  DISCORD_COLORS,
  discordBody,
  slackBody,
  webhookRequest,
} from '../../src/notify/webhook-payload.ts';
import { describeUrl, redactUrl } from '../../src/notify/webhook-redact.ts';
import { asRecorded, sampleEvents } from './events.ts';

const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

describe('Slack incoming webhook', () => {
  test('text is the summary; blocks are mrkdwn sections with the title and labelled facts', () => {
    const body = slackBody(eventMessage(asRecorded(sampleEvents.backupFailed)));
    expect(body.text).toMatch(/^On-demand backup f4ab2c of shop\/live \(db\) failed: pg_dump could not connect/);
    expect(body.blocks.every((b) => b.type === 'section' && b.text.type === 'mrkdwn')).toBe(true);
    expect(body.blocks[0]!.text.text).toMatch(/^:red_circle: \*Backup of shop\/live failed\*\n/);
    const facts = body.blocks[1]!.text.text;
    expect(facts).toContain('*Target:* shop/live');
    // Who asked is a Slack user: mentioned.
    expect(facts).toContain('*Trigger:* on demand, by <@U1>');
    expect(facts).toContain('*Note:* before deploy');
    expect(facts).toContain('*Reason:* pg_dump could not connect');
    expect(facts).toContain('*What to do:* Check that the database of shop/live is up');
  });

  test('a note cannot ping a channel or break the markup', () => {
    const event = {
      ...sampleEvents.backupSucceeded,
      data: { ...sampleEvents.backupSucceeded.data, note: '<!channel> & co' },
    };
    const body = slackBody(eventMessage(asRecorded(event)));
    expect(JSON.stringify(body)).not.toContain('<!channel>');
    expect(body.blocks[1]!.text.text).toContain('*Note:* &lt;!channel&gt; &amp; co');
  });

  test('mentions only the Slack user who asked, where their id stands; anyone else is their principal id', () => {
    const asked = (requestedBy: string, note: string) =>
      slackBody(
        eventMessage(
          asRecorded({
            ...sampleEvents.backupSucceeded,
            data: { ...sampleEvents.backupSucceeded.data, trigger: 'on-demand', requestedBy, note },
          }),
        ),
      );
    const bySlack = JSON.stringify(asked('slack:U0ANA', 'not slack:U0ANA2 nor slack:U0BEN'));
    expect(bySlack).toContain('on demand, by <@U0ANA>');
    expect(bySlack).toContain('not slack:U0ANA2 nor slack:U0BEN');
    const byToken = JSON.stringify(asked('api:ci', 'nightly'));
    expect(byToken).toContain('on demand, by api:ci');
    expect(byToken).not.toContain('<@');
  });

  test('long messages stay within Slack’s limits', () => {
    const deleted = Array.from({ length: 5000 }, (_, i) => ({ id: `id${i}`, reason: 'x'.repeat(50) }));
    const event = { ...sampleEvents.retentionPruned, data: { deleted, kept: 1 } };
    const body = slackBody(eventMessage(asRecorded(event)));
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    for (const block of body.blocks) expect(block.text.text.length).toBeLessThanOrEqual(3000);
  });
});

describe('Discord webhook', () => {
  test('content and one embed: title, summary, colour by outcome, fields, timestamp; no mentions', () => {
    const failed = discordBody(eventMessage(asRecorded(sampleEvents.backupFailed)), new Date('2026-11-27T10:04:00Z'));
    expect(failed.content).toBe('Backup of shop/live failed');
    const [embed] = failed.embeds;
    expect(embed!.title).toBe('Backup of shop/live failed');
    expect(embed!.description).toMatch(/^On-demand backup f4ab2c/);
    expect(embed!.color).toBe(DISCORD_COLORS.failure);
    expect(embed!.timestamp).toBe('2026-11-27T10:04:00.000Z');
    expect(embed!.fields).toContainEqual({ name: 'Target', value: 'shop/live', inline: true });
    expect(embed!.fields.find((f) => f.name === 'What to do')).toMatchObject({ inline: false });
    expect(failed.allowed_mentions).toEqual({ parse: [], users: [] });

    const ok = discordBody(eventMessage(asRecorded(sampleEvents.backupSucceeded)), new Date());
    expect(ok.embeds[0]!.color).toBe(DISCORD_COLORS.success);
    const missed = discordBody(eventMessage(asRecorded(sampleEvents.backupMissed)), new Date());
    expect(missed.embeds[0]!.color).toBe(DISCORD_COLORS.failure);
  });

  test('mentions only the Discord user who asked, where their id stands, and lets only them be pinged', () => {
    const body = discordBody(
      eventMessage(
        asRecorded({
          ...sampleEvents.backupSucceeded,
          data: {
            ...sampleEvents.backupSucceeded.data,
            trigger: 'on-demand',
            requestedBy: 'discord:80351110224678912',
            note: 'not discord:803511102246789120 @everyone',
          },
        }),
      ),
      new Date(),
    );
    const text = JSON.stringify(body.embeds);
    expect(text).toContain('on demand, by <@80351110224678912>');
    expect(text).toContain('not discord:803511102246789120 @everyone');
    expect(body.allowed_mentions).toEqual({ parse: [], users: ['80351110224678912'] });
  });

  test('at most 25 fields of at most 1024 characters', () => {
    const links = Array.from({ length: 40 }, (_, i) => ({
      kind: 'db',
      url: `https://x/${'y'.repeat(2000)}`,
      filename: `f${i}`,
      sizeBytes: 1,
    }));
    const event = { ...sampleEvents.downloadReady, data: { ...sampleEvents.downloadReady.data, links } };
    const body = discordBody(eventMessage(asRecorded(event)), new Date());
    expect(body.embeds[0]!.fields.length).toBe(25);
    for (const field of body.embeds[0]!.fields) expect(field.value.length).toBeLessThanOrEqual(1024);
  });
});

describe('generic (Standard Webhooks)', () => {
  const now = new Date();
  const event = asRecorded(sampleEvents.backupSucceeded, now, '42');

  test('is signed with the delivery id, verifiable with the standardwebhooks package', () => {
    const request = webhookRequest(
      { format: 'generic', secret },
      { kind: 'event', event },
      { deliveryId: 'whabc', now },
    );
    expect(request.headers['webhook-id']).toBe('whabc');
    expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    const payload = new Webhook(secret).verify(request.body, request.headers) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown> & { message: { title: string; lines: string[] } };
    };
    expect(payload.type).toBe('backup.succeeded');
    expect(payload.timestamp).toBe(now.toISOString());
    expect(payload.data).toMatchObject({
      backupId: 'k3qx27',
      app: 'shop',
      env: 'live',
      subjectId: 'k3qx27',
      eventId: '42',
      sizeBytes: 1536 * 1024,
      message: { title: 'Backup of shop/live completed' },
    });
    expect(payload.data.message.lines).toContain('Size: 1.5 MB');

    const tampered = request.body.replace('k3qx27', 'k3qx28');
    expect(() => new Webhook(secret).verify(tampered, request.headers)).toThrow(WebhookVerificationError);
    const otherSecret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(() => new Webhook(otherSecret).verify(request.body, request.headers)).toThrow(WebhookVerificationError);
  });

  test('a digest lists its events and says which day', () => {
    const events = [asRecorded(sampleEvents.backupSucceeded, new Date('2026-11-27T02:01:00Z'), '1')];
    const request = webhookRequest(
      { format: 'generic', secret },
      { kind: 'digest', day: '2026-11-27', events },
      { deliveryId: 'whd', now },
    );
    const payload = new Webhook(secret).verify(request.body, request.headers) as {
      type: string;
      data: { day: string; events: Array<{ type: string; eventId: string }>; message: { title: string } };
    };
    expect(payload.type).toBe(DIGEST_TYPE);
    expect(payload.data.day).toBe('2026-11-27');
    expect(payload.data.events).toEqual([expect.objectContaining({ type: 'backup.succeeded', eventId: '1' })]);
    expect(payload.data.message.title).toBe('Backstop daily digest for 2026-11-27: 1 backup');
  });
});

describe('redacting webhook URLs', () => {
  const slack = 'https://hooks.slack.com/services/T0AAA111/B0BBB222/abcdefghijklmnopqrstuvwx';
  const discord = 'https://discord.com/api/webhooks/123456789012345678/TOKEN-abcdefghijklmnopqrstuvwxyz';
  const generic = 'https://user:pa55word@example.com/hook?token=s3cr3t-value';

  test.each([
    [`Failed to parse URL from ${slack}`, 'Failed to parse URL from https://hooks.slack.com/…', slack],
    ['no_service for /services/T0AAA111/B0BBB222/abcdefghijklmnopqrstuvwx', 'no_service for …', slack],
    ['unknown webhook TOKEN-abcdefghijklmnopqrstuvwxyz', 'unknown webhook …', discord],
    ['bad token=s3cr3t-value', 'bad …', generic],
    ['the token s3cr3t-value is revoked', 'the token … is revoked', generic],
    ['auth pa55word', 'auth …', generic],
    ['connect ECONNREFUSED 127.0.0.1:8080', 'connect ECONNREFUSED 127.0.0.1:8080', slack],
  ])('%s', (text, redacted, url) => {
    expect(redactUrl(text, url)).toBe(redacted);
  });

  test('describeUrl keeps the scheme and host only', () => {
    expect(describeUrl(slack)).toBe('https://hooks.slack.com/…');
    expect(describeUrl(generic)).toBe('https://example.com/…');
  });
});
