import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseWebhooks } from '../../src/config/webhook-config.ts';
import { newId } from '../../src/domain/new-id.ts';
import type { JobsContext } from '../../src/jobs/jobs-context.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { deliveryRunner } from '../../src/notify/delivery-runner.ts';
import { dispatchEvents, enqueueDigests, WEBHOOK_CURSOR } from '../../src/notify/webhook-dispatcher.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { DownloadBook } from '../../src/state/download-book.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { withDeliveries } from '../../src/state/webhook-deliveries.ts';
import { engineWorker, makeEngine, makeStore } from '../support/engine.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';
import { sampleEvents } from './events.ts';
import { Receiver, waitFor } from './receiver.ts';

/** An engine over `state`, as the composition root builds one (only what webhooks use is real). */
function engineOver(state: State, logs: string[]): JobsContext {
  return {
    catalog: new Catalog(state.db, () => newId(), 'test'),
    operations: new OperationQueue(state.db, () => newId()),
    events: new EventLog(state.db),
    downloads: new DownloadBook(state.db, () => newId()),
    linkTtlSeconds: 3600,
    store: undefined as never,
    recipients: async () => [],
    identities: async () => [],
    targets: [],
    sourceFor: () => {
      throw new Error('no sources here');
    },
    clock: () => new Date(),
    log: (line) => logs.push(line),
  };
}

const endpoints = parseWebhooks([
  { name: 'a', url: 'http://127.0.0.1:9/a', format: 'slack' },
  { name: 'b', url: 'http://127.0.0.1:9/b', format: 'discord', success: 'digest' },
  { name: 'c', url: 'http://127.0.0.1:9/c', format: 'slack', events: ['backup.failed'] },
]);

describe('two instances sharing PostgreSQL', () => {
  let database: { name: string; url: string };
  let dataDir: string;
  const states: State[] = [];
  const logs: string[] = [];
  let one: JobsContext;
  let two: JobsContext;

  beforeAll(async () => {
    database = await createDatabase('webhooks');
    dataDir = await mkdtemp(join(tmpdir(), 'backstop-webhooks-pg-'));
    for (let i = 0; i < 2; i++) states.push(await openState({ databaseUrl: database.url, dataDir }));
    await migrateToLatest(states[0]!.db);
    one = engineOver(states[0]!, logs);
    two = engineOver(states[1]!, logs);
  });

  afterAll(async () => {
    for (const state of states) await state.close();
    if (database) await dropDatabase(database.name);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('dispatching at once from both, while events keep coming, creates each delivery exactly once', async () => {
    await dispatchEvents(one, endpoints, new Date()); // the cursor starts here
    let recording = true;
    const recorder = (async () => {
      for (let i = 0; i < 60; i++) {
        const event = i % 3 === 0 ? sampleEvents.backupFailed : sampleEvents.backupSucceeded;
        await (i % 2 === 0 ? one : two).events.record({ ...event, subjectId: `s${i}` }, new Date());
      }
      recording = false;
    })();
    const dispatcher = async (ctx: JobsContext) => {
      let created = 0;
      while (recording) created += await dispatchEvents(ctx, endpoints, new Date());
      return created + (await dispatchEvents(ctx, endpoints, new Date()));
    };
    const counts = await Promise.all([dispatcher(one), dispatcher(two), dispatcher(one), dispatcher(two), recorder]);
    const created = counts.slice(0, 4).reduce<number>((sum, n) => sum + (n ?? 0), 0);

    // a: all 60; b (digest): the 20 failures now; c: the 20 failures.
    expect(created).toBe(60 + 20 + 20);
    const rows = await withDeliveries(one, (d) => d.list());
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => `${r.endpoint}:${r.eventId}`)).size).toBe(100);
    const operations = (await one.operations.listActive()).filter((o) => o.kind === 'delivery');
    expect(operations.map((o) => o.subjectId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(operations.filter((o) => o.subjectId === rows.find((r) => r.endpoint === 'a')!.id)[0]!.maxAttempts).toBe(8);

    const events = await one.events.list({ limit: 10_000 });
    const cursor = await withDeliveries(one, (d) => d.lockCursor(WEBHOOK_CURSOR));
    expect(cursor).toBe(events.at(-1)!.id);
  });

  test('digests queued from both instances at once: one per endpoint and day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const counts = await Promise.all([
      enqueueDigests(one, endpoints, today, new Date()),
      enqueueDigests(two, endpoints, today, new Date()),
      enqueueDigests(one, endpoints, today, new Date()),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    const digests = (await withDeliveries(one, (d) => d.list({ endpoint: 'b' }))).filter((d) => d.digestDay !== null);
    expect(digests.map((d) => d.digestDay)).toEqual([today]);
  });

  test('a worker on the other instance delivers, recording its attempts in PostgreSQL', async () => {
    const receiver = await Receiver.start();
    try {
      for (const operation of await one.operations.listActive()) {
        await one.operations.requestCancel(operation.id, 'test', new Date());
      }
      receiver.script('/pg', 500);
      const pgEndpoints = parseWebhooks([
        { name: 'pg', url: receiver.url('/pg'), format: 'slack', retry: { attempts: 3, firstDelaySeconds: 0.05 } },
      ]);
      await one.events.record(sampleEvents.backupMissed, new Date());
      expect(await dispatchEvents(one, pgEndpoints, new Date())).toBe(1);
      const worker = engineWorker(two, {
        runners: { delivery: deliveryRunner(two, pgEndpoints) },
        concurrency: 1,
        leaseMs: 3000,
        clock: () => new Date(),
        log: (line) => logs.push(line),
      });
      worker.start();
      try {
        const delivery = await waitFor('the delivery', async () => {
          const [row] = await withDeliveries(one, (d) => d.list({ endpoint: 'pg' }));
          return row?.status === 'delivered' ? row : undefined;
        });
        const attempts = await withDeliveries(one, (d) => d.attempts(delivery.id));
        expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
          [1, 500],
          [2, 200],
        ]);
      } finally {
        await worker.stop();
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('one embedded instance', () => {
  test('two dispatch calls at once create each delivery once', async () => {
    const { store, cleanup } = await makeStore('directory');
    const engine = await makeEngine({ store, targets: [] });
    try {
      await dispatchEvents(engine.ctx, endpoints, new Date());
      for (let i = 0; i < 30; i++)
        await engine.ctx.events.record({ ...sampleEvents.backupFailed, subjectId: `f${i}` }, new Date());
      const counts = await Promise.all([
        dispatchEvents(engine.ctx, endpoints, new Date()),
        dispatchEvents(engine.ctx, endpoints, new Date()),
      ]);
      expect(counts[0]! + counts[1]!).toBe(90);
      const rows = await withDeliveries(engine.ctx, (d) => d.list());
      expect(new Set(rows.map((r) => `${r.endpoint}:${r.eventId}`)).size).toBe(90);
      expect(rows).toHaveLength(90);
      expect((await engine.ctx.operations.listActive()).filter((o) => o.kind === 'delivery')).toHaveLength(90);
    } finally {
      await engine.close();
      await cleanup();
    }
  });
});
