import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseWebhooks, type WebhookEndpoint } from '../../src/config/webhook-config.ts';
import type { NewEvent } from '../../src/domain/events.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import type { OperationRunners, Worker } from '../../src/jobs/worker.ts';
import { deliveryRunner } from '../../src/notify/delivery-runner.ts';
import { dispatchEvents, enqueueDigests } from '../../src/notify/webhook-dispatcher.ts';
import { WebhookNotifier } from '../../src/notify/webhook-notifier.ts';
import { DISCORD_COLORS, type DiscordBody, type SlackBody } from '../../src/notify/webhook-payload.ts';
import { type Delivery, withDeliveries } from '../../src/state/webhook-deliveries.ts';
import { cancelOperation } from '../../src/use-cases/cancel-operation.ts';
import { engineRunners } from '../../src/use-cases/operation-runners.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { sampleEvents } from './events.ts';
import { deadUrl, Receiver, waitFor } from './receiver.ts';

const secret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const media = mkdtempSync(join(tmpdir(), 'backstop-webhook-media-'));
const shopLive = target('shop', 'live', { mediaDir: media });

let receiver: Receiver;
let engine: TestEngine;
let cleanupStore: () => Promise<void>;
const workers: Worker[] = [];

// One engine for the file (embedded state takes seconds to create); each test starts from a clean slate (`fresh`).
beforeAll(async () => {
  mkdirSync(join(media, 'img'), { recursive: true });
  writeFileSync(join(media, 'img', 'a.jpg'), Buffer.alloc(64 * 1024, 1));
  writeFileSync(join(media, 'b.txt'), 'hello');
  receiver = await Receiver.start();
  const made = await makeStore('directory');
  cleanupStore = made.cleanup;
  engine = await makeEngine({ store: made.store, targets: [shopLive] });
});

afterAll(async () => {
  await receiver?.close();
  await engine?.close();
  await cleanupStore?.();
  rmSync(media, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

/**
 * Forgets what earlier tests left: nothing queued, and the webhook cursor past every event so far (or, with
 * `newCursor`, no cursor at all, as on a new install). Endpoint names are unique per test.
 */
async function fresh(options: { newCursor?: boolean } = {}): Promise<void> {
  for (const operation of await engine.ctx.operations.listActive()) {
    await engine.ctx.operations.requestCancel(operation.id, 'test', new Date());
  }
  if (options.newCursor) await withDeliveries(engine.ctx, (_d, db) => db.deleteFrom('event_cursors').execute());
  else await dispatchEvents(engine.ctx, [], new Date());
  engine.logs.length = 0;
}

function startWorker(
  endpoints: readonly WebhookEndpoint[],
  options: { concurrency?: number; runners?: OperationRunners } = {},
): Worker {
  const worker = engineWorker(engine.ctx, {
    runners: { ...options.runners, delivery: deliveryRunner(engine.ctx, endpoints) },
    concurrency: options.concurrency ?? 2,
    leaseMs: 3000,
    log: (line) => engine.logs.push(line),
  });
  const stopWaking = engine.ctx.operations.onEnqueued(() => worker.wake());
  const stop = worker.stop.bind(worker);
  worker.stop = async () => {
    stopWaking();
    await stop();
  };
  worker.start();
  workers.push(worker);
  return worker;
}

async function record(event: NewEvent, at = new Date()): Promise<void> {
  await engine.ctx.events.record(event, at);
}

/** Records the events (after `fresh()` put the cursor at the newest event) and dispatches them. */
async function recordAndDispatch(endpoints: readonly WebhookEndpoint[], ...events: NewEvent[]): Promise<number> {
  for (const event of events) await record(event);
  return dispatchEvents(engine.ctx, endpoints, new Date());
}

function deliveries(endpoint?: string): Promise<Delivery[]> {
  return withDeliveries(engine.ctx, (d) => d.list(endpoint === undefined ? {} : { endpoint }));
}

function attempts(deliveryId: string) {
  return withDeliveries(engine.ctx, (d) => d.attempts(deliveryId));
}

async function settled(endpoint: string, count = 1): Promise<Delivery[]> {
  return waitFor(`${count} settled deliveries to ${endpoint}`, async () => {
    const list = await deliveries(endpoint);
    return list.length >= count && list.every((d) => d.status !== 'pending') ? list : undefined;
  });
}

describe('delivering to real endpoints', () => {
  test('generic: signed per Standard Webhooks, verified on the receiver; a tampered body fails', async () => {
    await fresh();
    const endpoints = parseWebhooks([{ name: 'ci', url: receiver.url('/generic'), format: 'generic', secret }]);
    expect(await recordAndDispatch(endpoints, sampleEvents.backupSucceeded)).toBe(1);
    startWorker(endpoints);
    const [delivery] = await settled('ci');
    expect(delivery!.status).toBe('delivered');

    const [request] = receiver.to('/generic');
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toBe(delivery!.id);
    const payload = new Webhook(secret).verify(request!.body, request!.headers) as {
      type: string;
      data: { app: string; env: string; backupId: string; message: { title: string; lines: string[] } };
    };
    expect(payload.type).toBe('backup.succeeded');
    expect(payload.data).toMatchObject({ app: 'shop', env: 'live', backupId: 'k3qx27' });
    expect(payload.data.message.title).toBe('Backup of shop/live completed');
    expect(payload.data.message.lines).toEqual(expect.arrayContaining(['Size: 1.5 MB', 'Note: nightly']));

    const tampered = request!.body.replace('"nightly"', '"daily"');
    expect(() => new Webhook(secret).verify(tampered, request!.headers)).toThrow(WebhookVerificationError);

    const logged = await attempts(delivery!.id);
    expect(logged).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
    expect(logged[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('slack and discord: the shapes each platform takes, in words a person reads at a glance', async () => {
    await fresh();
    const endpoints = parseWebhooks([
      { name: 'team-slack', url: receiver.url('/slack'), format: 'slack' },
      { name: 'team-discord', url: receiver.url('/discord'), format: 'discord' },
    ]);
    expect(await recordAndDispatch(endpoints, sampleEvents.backupSucceeded, sampleEvents.backupFailed)).toBe(4);
    startWorker(endpoints);
    await settled('team-slack', 2);
    await settled('team-discord', 2);

    const slack = receiver.to('/slack').map((r) => JSON.parse(r.body) as SlackBody);
    const slackOk = slack.find((b) => b.text.includes('completed'))!;
    const slackFailed = slack.find((b) => b.text.includes('failed'))!;
    expect(slackOk.text).toBe('Scheduled backup k3qx27 of shop/live (db+media) completed: 1.5 MB in 1 min 5 s.');
    const okFacts = slackOk.blocks.map((b) => b.text.text).join('\n');
    for (const fact of ['*Target:* shop/live', '*Trigger:* scheduled', '*Size:* 1.5 MB', '*Note:* nightly']) {
      expect(okFacts).toContain(fact);
    }
    const failedFacts = slackFailed.blocks.map((b) => b.text.text).join('\n');
    expect(failedFacts).toContain(':red_circle: *Backup of shop/live failed*');
    expect(failedFacts).toContain('*Reason:* pg_dump could not connect: connection refused');
    expect(failedFacts).toMatch(
      /\*What to do:\* Check that the database of shop\/live is up .* backstop create db shop\/live/,
    );

    const discord = receiver.to('/discord').map((r) => JSON.parse(r.body) as DiscordBody);
    const discordOk = discord.find((b) => b.content.includes('completed'))!;
    const discordFailed = discord.find((b) => b.content.includes('failed'))!;
    expect(discordOk.embeds[0]).toMatchObject({
      title: 'Backup of shop/live completed',
      color: DISCORD_COLORS.success,
    });
    expect(discordOk.embeds[0]!.fields).toEqual(
      expect.arrayContaining([
        { name: 'Target', value: 'shop/live', inline: true },
        { name: 'Size', value: '1.5 MB', inline: true },
        { name: 'Note', value: 'nightly', inline: true },
      ]),
    );
    expect(discordFailed.embeds[0]!.color).toBe(DISCORD_COLORS.failure);
    expect(discordFailed.embeds[0]!.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['Reason', 'What to do']),
    );
    expect(Date.parse(discordFailed.embeds[0]!.timestamp)).not.toBeNaN();
  });

  test('an endpoint answering 503 three times, then 200: delivered on the 4th attempt after growing delays', async () => {
    await fresh();
    receiver.script('/flaky', 503, 503, { status: 503, body: 'upstream down' });
    const endpoints = parseWebhooks([
      {
        name: 'flaky',
        url: receiver.url('/flaky'),
        format: 'generic',
        secret,
        retry: { attempts: 8, firstDelaySeconds: 0.3 },
      },
    ]);
    await recordAndDispatch(endpoints, sampleEvents.backupFailed);
    startWorker(endpoints);
    const [delivery] = await settled('flaky');
    expect(delivery!.status).toBe('delivered');

    const logged = await attempts(delivery!.id);
    expect(logged.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 200],
    ]);
    expect(logged[2]!.error).toBe('flaky answered 503 Service Unavailable: "upstream down"');
    const gaps = logged.slice(1).map((a, i) => a.at.getTime() - logged[i]!.at.getTime());
    // The retries wait 0.3 s, 0.6 s, 1.2 s: the queue never runs one before its time, so each gap is at least its
    // delay (a loaded machine only adds to it; nothing here depends on how fast the machine is).
    const planned = [300, 600, 1200];
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(planned[i]!);
    // Every attempt is the same message: one webhook-id, each signature valid.
    const requests = receiver.to('/flaky');
    expect(requests).toHaveLength(4);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
    for (const request of requests)
      expect(() => new Webhook(secret).verify(request.body, request.headers)).not.toThrow();

    const operation = await engine.ctx.operations.findBySubject('delivery', delivery!.id);
    expect(operation).toMatchObject({ status: 'succeeded', attempts: 4 });
  });

  test('a dead endpoint: failed after its attempts, each one logged, the reason in words', async () => {
    await fresh();
    const url = await deadUrl('/dead');
    const endpoints = parseWebhooks([
      { name: 'dead', url, format: 'slack', retry: { attempts: 3, firstDelaySeconds: 0.1 } },
    ]);
    await recordAndDispatch(endpoints, sampleEvents.backupMissed);
    startWorker(endpoints);
    const [delivery] = await settled('dead');
    expect(delivery!.status).toBe('failed');
    expect(delivery!.error).toMatch(
      /^dead gave no usable answer to 3 attempts; the last: dead could not be reached \(.*ECONNREFUSED.*\)\. Check that the endpoint is up/,
    );
    const logged = await attempts(delivery!.id);
    expect(logged.map((a) => a.attempt)).toEqual([1, 2, 3]);
    for (const attempt of logged) {
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toMatch(/^dead could not be reached \(.*ECONNREFUSED/);
    }
    const operation = await engine.ctx.operations.findBySubject('delivery', delivery!.id);
    expect(operation).toMatchObject({ status: 'failed', attempts: 3, error: delivery!.error });
  });

  test('an endpoint that hangs never delays a backup queued at the same time', async () => {
    await fresh();
    receiver.script('/hang', 'hang', 'hang', 'hang', 'hang');
    const endpoints = parseWebhooks([
      {
        name: 'slow',
        url: receiver.url('/hang'),
        format: 'discord',
        timeoutSeconds: 0.5,
        retry: { attempts: 4, firstDelaySeconds: 0.5 },
      },
    ]);
    await recordAndDispatch(endpoints, sampleEvents.backupFailed);
    const { backup, operation } = await enqueueBackup(engine.ctx, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'media',
      note: 'while a webhook hangs',
      requestedBy: 'test',
    });
    startWorker(endpoints, { concurrency: 2, runners: engineRunners(engine.ctx) });

    const finished = await waitFor('the backup operation to end', async () => {
      const op = await engine.ctx.operations.get(operation.id);
      return op.status === 'succeeded' || op.status === 'failed' ? op : undefined;
    });
    expect(finished.status).toBe('succeeded');
    expect((await engine.ctx.catalog.getBackup(backup.id)).status).toBe('completed');
    const [whileBackingUp] = await deliveries('slow');
    expect(whileBackingUp!.status).toBe('pending');

    const [delivery] = await settled('slow');
    expect(delivery!.status).toBe('failed');
    const logged = await attempts(delivery!.id);
    expect(logged).toHaveLength(4);
    for (const attempt of logged) {
      expect(attempt.error).toBe('slow did not answer within 0.5 s');
      expect(attempt.durationMs).toBeGreaterThanOrEqual(450);
    }
    // The backup's own success went to the event log as usual.
    const events = await engine.ctx.events.list({ types: ['backup.succeeded'] });
    expect(events.filter((e) => e.subjectId === backup.id)).toHaveLength(1);
  });

  test('a 4xx other than 429 is permanent: failed at once, with what to do', async () => {
    await fresh();
    receiver.script('/gone', { status: 404, body: 'no_service' });
    const endpoints = parseWebhooks([{ name: 'old-slack', url: receiver.url('/gone'), format: 'slack' }]);
    await recordAndDispatch(endpoints, sampleEvents.restoreFailed);
    startWorker(endpoints);
    const [delivery] = await settled('old-slack');
    expect(delivery!.status).toBe('failed');
    expect(delivery!.error).toBe(
      'old-slack answered 404 Not Found: "no_service". The Slack webhook was probably deleted: create a new one and ' +
        'put its URL in the url: of webhook old-slack (webhooks: in the config).',
    );
    expect(await attempts(delivery!.id)).toHaveLength(1);
    expect(receiver.to('/gone')).toHaveLength(1);
  });

  test('a 429 is retried, waiting at least as long as Retry-After asks', async () => {
    await fresh();
    receiver.script('/busy', { status: 429, headers: { 'retry-after': '1' } });
    const endpoints = parseWebhooks([
      { name: 'busy', url: receiver.url('/busy'), format: 'slack', retry: { attempts: 3, firstDelaySeconds: 0.05 } },
    ]);
    await recordAndDispatch(endpoints, sampleEvents.backupSucceeded);
    startWorker(endpoints);
    const [delivery] = await settled('busy');
    expect(delivery!.status).toBe('delivered');
    const logged = await attempts(delivery!.id);
    expect(logged.map((a) => a.statusCode)).toEqual([429, 200]);
    expect(logged[1]!.at.getTime() - logged[0]!.at.getTime()).toBeGreaterThanOrEqual(1000);
  });

  test('a delivery cancelled while queued is recorded failed, with who cancelled it', async () => {
    await fresh();
    const endpoints = parseWebhooks([{ name: 'later', url: receiver.url('/later'), format: 'slack' }]);
    await recordAndDispatch(endpoints, sampleEvents.backupFailed);
    const [queued] = await deliveries('later');
    expect(queued!.status).toBe('pending');
    const [operation] = (await engine.ctx.operations.listActive()).filter((o) => o.kind === 'delivery');
    const cancelled = await cancelOperation(engine.ctx, operation!.id, 'cli:ana');
    expect(cancelled.status).toBe('cancelled');
    const [delivery] = await deliveries('later');
    expect(delivery).toMatchObject({ status: 'failed', error: 'cancelled by cli:ana' });
    expect(receiver.to('/later')).toHaveLength(0);
  });

  test('an endpoint no longer in the config fails its deliveries with a clear message', async () => {
    await fresh();
    const endpoints = parseWebhooks([{ url: receiver.url('/removed'), format: 'slack' }]);
    await recordAndDispatch(endpoints, sampleEvents.backupFailed);
    startWorker([]); // the config changed: no endpoints any more
    const [delivery] = await settled('webhook-0');
    expect(delivery!.status).toBe('failed');
    expect(delivery!.error).toMatch(
      /^The webhook endpoint webhook-0 is no longer in the configuration \(webhooks:\), so this message was not sent\./,
    );
    expect(receiver.to('/removed')).toHaveLength(0);
  });
});

describe('filters and success policies', () => {
  test('each / digest / never, event filters; failures and missed backups always go at once', async () => {
    await fresh();
    const endpoints = parseWebhooks([
      { name: 'all', url: receiver.url('/all'), format: 'slack' },
      { name: 'failures', url: receiver.url('/failures'), format: 'slack', events: ['backup.failed'] },
      { name: 'daily', url: receiver.url('/daily'), format: 'generic', secret, success: 'digest' },
      { name: 'quiet', url: receiver.url('/quiet'), format: 'discord', success: 'never' },
      {
        name: 'restores',
        url: receiver.url('/restores'),
        format: 'slack',
        events: ['restore.succeeded', 'restore.failed'],
        success: 'digest',
      },
    ]);
    const created = await recordAndDispatch(
      endpoints,
      sampleEvents.backupSucceeded,
      sampleEvents.backupFailed,
      sampleEvents.backupMissed,
      sampleEvents.restoreSucceeded,
      sampleEvents.retentionPruned,
      sampleEvents.downloadReady,
    );
    const events = await engine.ctx.events.list();
    const typeOf = new Map(events.map((e) => [e.id, e.type]));
    const sent = async (name: string) => (await deliveries(name)).map((d) => typeOf.get(d.eventId!)).sort();
    expect(await sent('all')).toEqual([
      'backup.failed',
      'backup.missed',
      'backup.succeeded',
      'download.ready',
      'restore.succeeded',
      'retention.pruned',
    ]);
    expect(await sent('failures')).toEqual(['backup.failed']);
    expect(await sent('daily')).toEqual(['backup.failed', 'backup.missed']);
    expect(await sent('quiet')).toEqual(['backup.failed', 'backup.missed']);
    expect(await sent('restores')).toEqual([]);
    expect(created).toBe(6 + 1 + 2 + 2);
    // A second dispatch finds nothing new.
    expect(await dispatchEvents(engine.ctx, endpoints, new Date())).toBe(0);

    // The day's digest: one per digest endpoint that has something to list, once.
    const today = new Date().toISOString().slice(0, 10);
    expect(await enqueueDigests(engine.ctx, endpoints, today, new Date())).toBe(2);
    expect(await enqueueDigests(engine.ctx, endpoints, today, new Date())).toBe(0);
    expect(await enqueueDigests(engine.ctx, endpoints, '2020-01-01', new Date())).toBe(0);
    const digests = (await deliveries()).filter((d) => d.digestDay !== null);
    expect(digests.map((d) => [d.endpoint, d.digestDay]).sort()).toEqual([
      ['daily', today],
      ['restores', today],
    ]);

    startWorker(endpoints);
    await settled('daily', 3);
    await settled('restores', 1);
    const digestRequest = receiver
      .to('/daily')
      .map((r) => ({
        r,
        payload: new Webhook(secret).verify(r.body, r.headers) as {
          type: string;
          data: { day: string; events: Array<{ type: string }> };
        },
      }))
      .find(({ payload }) => payload.type === 'digest.daily')!;
    expect(digestRequest.payload.data.day).toBe(today);
    // (Other tests of this file recorded successes today too.)
    expect([...new Set(digestRequest.payload.data.events.map((e) => e.type))].sort()).toEqual([
      'backup.succeeded',
      'download.ready',
      'restore.succeeded',
      'retention.pruned',
    ]);
    const restoresDigest = JSON.parse(receiver.to('/restores')[0]!.body) as SlackBody;
    expect(restoresDigest.blocks[0]!.text.text).toContain(`Backstop daily digest for ${today}: 1 restore`);
    expect(receiver.to('/quiet')).toHaveLength(2);
  });

  test('the first dispatch does not replay history; events older than a day are not announced', async () => {
    await fresh({ newCursor: true });
    const endpoints = parseWebhooks([{ name: 'history', url: receiver.url('/history'), format: 'slack' }]);
    await record(sampleEvents.backupFailed);
    await record(sampleEvents.backupSucceeded);
    expect(await dispatchEvents(engine.ctx, endpoints, new Date())).toBe(0);
    await record(sampleEvents.backupMissed);
    await record(sampleEvents.backupFailed, new Date(Date.now() - 2 * 24 * 3600 * 1000));
    expect(await dispatchEvents(engine.ctx, endpoints, new Date())).toBe(1);
    expect(await dispatchEvents(engine.ctx, endpoints, new Date())).toBe(0);
  });
  test('a gap in event ids is waited out for a few seconds: an event with a lower id may still be committing', async () => {
    await fresh();
    const endpoints = parseWebhooks([{ name: 'gaps', url: receiver.url('/gaps'), format: 'slack' }]);
    const key = `gap-${Date.now()}`;
    expect(await engine.ctx.events.record({ ...sampleEvents.backupMissed, dedupeKey: key }, new Date())).toBe(true);
    expect(await dispatchEvents(engine.ctx, endpoints, new Date())).toBe(1);
    // A repeat the dedupe key refuses uses up an id: the next event comes after a gap.
    expect(await engine.ctx.events.record({ ...sampleEvents.backupMissed, dedupeKey: key }, new Date())).toBe(false);
    const at = new Date();
    await record(sampleEvents.backupFailed, at);
    expect(await dispatchEvents(engine.ctx, endpoints, at)).toBe(0);
    expect(await dispatchEvents(engine.ctx, endpoints, new Date(at.getTime() + 4000))).toBe(0);
    expect(await dispatchEvents(engine.ctx, endpoints, new Date(at.getTime() + 6000))).toBe(1);
    expect(await deliveries('gaps')).toHaveLength(2);
  });
  test('the notifier turns events into deliveries as they come, and queues yesterday’s digest after midnight', async () => {
    await fresh();
    const endpoints = parseWebhooks([{ name: 'loop', url: receiver.url('/loop'), format: 'slack', success: 'digest' }]);
    const notifier = new WebhookNotifier(engine.ctx, endpoints, { dispatchEveryMs: 50 });
    await notifier.start();
    try {
      await record(sampleEvents.backupFailed);
      await waitFor('a delivery of the failure', async () => (await deliveries('loop')).length === 1);
    } finally {
      await notifier.stop();
    }
    const digests = async () => (await deliveries('loop')).filter((d) => d.digestDay !== null).map((d) => d.digestDay);
    await record(sampleEvents.backupSucceeded, new Date('2026-03-10T12:00:00Z'));
    await notifier.tick(new Date('2026-03-11T00:03:00Z')); // late events of the 10th may still come
    expect(await digests()).toEqual([]);
    await notifier.tick(new Date('2026-03-11T00:06:00Z'));
    await notifier.tick(new Date('2026-03-11T09:00:00Z'));
    expect(await digests()).toEqual(['2026-03-10']);
    expect(engine.logs).toContain('webhooks: queued 1 digest of 2026-03-10');
  });
});

describe('secrets', () => {
  test('no part of a webhook URL or signing secret reaches logs, attempt rows or errors', async () => {
    await fresh();
    const slackPath = '/services/T0SECRET1/B0SECRET2/xoxSECRETtokenABCDEFGH';
    // The endpoint echoes the path it was called on, as some do in their errors.
    receiver.script(slackPath, { status: 400, body: `invalid_payload for ${slackPath}` });
    const dead = await deadUrl('/hooks/SECRET-dead-path-123456?token=SECRETquery99');
    const endpoints = parseWebhooks([
      { name: 'leaky', url: receiver.url(slackPath), format: 'slack' },
      { name: 'gone', url: dead, format: 'discord', retry: { attempts: 2, firstDelaySeconds: 0.05 } },
      { name: 'signed', url: receiver.url('/signed'), format: 'generic', secret },
    ]);
    await recordAndDispatch(endpoints, sampleEvents.backupFailed);
    startWorker(endpoints);
    const settledAll = [...(await settled('leaky')), ...(await settled('gone')), ...(await settled('signed'))];
    expect(settledAll.map((d) => d.status)).toEqual(['failed', 'failed', 'delivered']);
    expect(settledAll[0]!.error).toContain('leaky answered 400 Bad Request: "invalid_payload for …"');

    const operations = await Promise.all(settledAll.map((d) => engine.ctx.operations.findBySubject('delivery', d.id)));
    const attemptRows = (await Promise.all(settledAll.map((d) => attempts(d.id)))).flat();
    const everything = JSON.stringify({ logs: engine.logs, attemptRows, settledAll, operations });
    expect(everything).toContain('leaky'); // names are how endpoints are told apart
    for (const secretPart of ['SECRET', secret, secret.slice(6), 'token='])
      expect(everything).not.toContain(secretPart);
  });
});
