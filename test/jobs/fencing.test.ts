import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { currentLogFields, type LogFields } from '../../src/domain/log-context.ts';
import type { Target } from '../../src/domain/target.ts';
import { verifyBackup } from '../../src/engine/verify-backup.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import type { OperationQueue } from '../../src/jobs/operation-queue.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import type { Source } from '../../src/sources/source.ts';
import type { Catalog } from '../../src/state/catalog.ts';
import type { Store } from '../../src/storage/store.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

// Fencing: a worker cut off from the state past its lease (it does not know yet) while another worker takes its
// backup over. When it comes back it must not complete the backup, overwrite the other's objects, or leave its own.

/** A gate a test opens: `wait()` resolves once `open()` was called. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open: () => open() };
}

/** Resolves when `signal()` is called: a test waits for a point the code under test reaches. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire: () => fire() };
}

/** `object` with its method `name` replaced (the others still its own, bound to it). */
function replacing<T extends object, K extends keyof T>(object: T, name: K, replacement: T[K]): T {
  return new Proxy(object, {
    get(inner, key, receiver) {
      if (key === name) return replacement;
      const value = Reflect.get(inner, key, receiver);
      return typeof value === 'function' ? value.bind(inner) : value;
    },
  });
}

type Link = { cut: boolean; restored: Promise<void> };

/**
 * The first worker's view of the state while it is cut off: its heartbeats do not get through (they hang, as over
 * a link that is down) until the link is restored; everything else passes.
 */
function cutOffQueue(queue: OperationQueue, link: Link): OperationQueue {
  return replacing(queue, 'heartbeat', async (...args: Parameters<OperationQueue['heartbeat']>) => {
    if (link.cut) await link.restored;
    return queue.heartbeat(...args);
  });
}

/**
 * `call`, made when the link goes down at this point: `reached` fires, the call waits until `comesBack` opens, then
 * runs (before any heartbeat can tell the worker what happened meanwhile), and the link is restored after it.
 */
async function cutOffAt<T>(
  link: Link,
  reached: { fire(): void },
  comesBack: { wait(): Promise<void> },
  call: () => Promise<T>,
): Promise<T> {
  const restored = gate();
  link.cut = true;
  link.restored = restored.wait();
  reached.fire();
  await comesBack.wait();
  try {
    return await call();
  } finally {
    link.cut = false;
    restored.open();
  }
}

let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
const media = mkdtempSync(join(tmpdir(), 'backstop-fencing-'));
const shopLive: Target = target('shop', 'live', { mediaDir: media });
const workers: Worker[] = [];

beforeAll(async () => {
  for (let i = 0; i < 4; i++) {
    mkdirSync(join(media, `d${i}`), { recursive: true });
    writeFileSync(join(media, `d${i}`, 'photo.jpg'), Buffer.alloc(300 * 1024, i + 1));
  }
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [shopLive] });
});

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
});

afterAll(async () => {
  await engine.close();
  await cleanupStore();
  rmSync(media, { recursive: true, force: true });
});

async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list(prefix)) found.push(object.key);
  return found.sort();
}

function startWorker(ctx: UseCaseContext, name: string): Worker {
  const worker = engineWorker(ctx, {
    owner: name,
    leaseMs: 600,
    heartbeatMs: 100,
    concurrency: 1,
    log: (line) => engine.logs.push(`${name}: ${line}`),
  });
  workers.push(worker);
  worker.start();
  return worker;
}

/** The state of the backup once the second worker completed it and the first came back: all of it the second's. */
async function expectOnlyTheSecondAttempt(backupId: string, operationId: string) {
  const folder = `shop/live/${backupId}/`;
  await expect
    .poll(() => engine.logs.some((line) => line.startsWith('first:') && line.includes('left to it')))
    .toBe(true);
  const operation = await engine.ctx.operations.get(operationId);
  expect(operation).toMatchObject({ status: 'succeeded', leaseGeneration: 2 });
  const backup = await engine.ctx.catalog.getBackup(backupId);
  expect(backup.status).toBe('completed');
  expect(backup.storedParts.map((part) => part.key)).toEqual([`${folder}media.g2.tar.age`]);
  expect(await keys(folder)).toEqual([`${folder}backup.json`, `${folder}media.g2.tar.age`]);
  const metadata = JSON.parse(await text(await store.read(`${folder}backup.json`)));
  expect(metadata.objects.map((object: { file: string }) => object.file)).toEqual([`media.g2.tar.age`]);
  const verified = await verifyBackup(engine.ctx, backupId, {});
  expect(verified.metadata).toEqual({ ok: true });
  expect(verified.parts.map((part) => part.ok)).toEqual([true]);
  expect(await engine.ctx.events.list({ types: ['backup.failed'] })).toEqual([]);
}

const queueMediaBackup = (note: string) =>
  enqueueBackup(engine.ctx, {
    app: 'shop',
    env: 'live',
    trigger: 'on-demand',
    parts: 'media',
    note,
    requestedBy: 'cli:ana',
  });

/** The media source, holding after each chunk until `after()` resolves (a test decides when the read goes on). */
function holdingSource(after: (options: { signal?: AbortSignal }) => Promise<unknown>): Source {
  return {
    ...new MediaDirSource({ path: media }),
    kind: 'media',
    open(options = {}) {
      const inner = new MediaDirSource({ path: media }).open(options);
      return Readable.from(
        (async function* () {
          for await (const chunk of inner) {
            yield chunk;
            await after(options);
          }
        })(),
        { objectMode: false },
      );
    },
  } as Source;
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('a worker cut off from the state past its lease', () => {
  test('comes back just before recording completion: the completion is refused, its objects removed', async () => {
    const queued = await queueMediaBackup('fenced at completion');
    const link: Link = { cut: false, restored: Promise.resolve() };
    const comesBack = gate();
    const atCompletion = signal();
    const completion: { refusal?: unknown } = {};
    // The first worker wrote its part and is about to record the backup completed when its link goes down.
    const catalog = engine.ctx.catalog;
    const firstCatalog = replacing(catalog, 'completeBackup', (...args: Parameters<Catalog['completeBackup']>) =>
      cutOffAt(link, atCompletion, comesBack, async () => {
        try {
          return await catalog.completeBackup(...args); // back: the completion itself must be refused
        } catch (error) {
          completion.refusal = error;
          throw error;
        }
      }),
    );
    startWorker(
      { ...engine.ctx, catalog: firstCatalog, operations: cutOffQueue(engine.ctx.operations, link) },
      'first',
    );
    await atCompletion.fired;
    expect(await keys(`shop/live/${queued.backup.id}/`)).toEqual([`shop/live/${queued.backup.id}/media.tar.age`]);

    // Past its lease, a second worker takes the backup over and completes it.
    startWorker(engine.ctx, 'second');
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({ status: 'succeeded' });

    comesBack.open();
    await expectOnlyTheSecondAttempt(queued.backup.id, queued.operation.id);
    expect(completion.refusal).toMatchObject({
      code: 'fenced',
      message: expect.stringContaining('lease generation 1'),
    });
  });

  test('comes back mid-write: it does not overwrite the other attempt, and removes what it wrote', async () => {
    const queued = await queueMediaBackup('fenced mid-write');
    const link: Link = { cut: false, restored: Promise.resolve() };
    const restored = gate();
    const comesBack = gate();
    const midWrite = signal();
    // The first worker's source stops after its first chunk, as its link goes down; it resumes when the link is back.
    let first = true;
    const stalling = holdingSource(async () => {
      if (!first) return;
      first = false;
      link.cut = true;
      link.restored = restored.wait();
      midWrite.fire();
      await comesBack.wait();
    });
    startWorker(
      { ...engine.ctx, sourceFor: () => stalling, operations: cutOffQueue(engine.ctx.operations, link) },
      'first',
    );
    await midWrite.fired;

    startWorker(engine.ctx, 'second');
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({ status: 'succeeded' });

    // Back: the first finishes writing its own object (not the second's), then learns it lost the lease.
    comesBack.open();
    link.cut = false;
    restored.open();
    await expectOnlyTheSecondAttempt(queued.backup.id, queued.operation.id);
  });
});

describe('a worker whose heartbeats get no answer', () => {
  test('stops its run before its lease runs out, and another worker completes the backup', async () => {
    const queued = await queueMediaBackup('heartbeats unanswered');
    // From its first heartbeat on, the state never answers (as across a partition that loses packets).
    const silent = replacing(engine.ctx.operations, 'heartbeat', () => new Promise(() => {}));
    const stalled = gate();
    const slow = holdingSource(({ signal }) =>
      Promise.race([stalled.wait(), new Promise((resolve) => signal?.addEventListener('abort', resolve))]),
    );
    startWorker({ ...engine.ctx, sourceFor: () => slow, operations: silent }, 'first');
    await expect
      .poll(
        () =>
          engine.logs.some((line) => line.startsWith('first:') && line.includes('lost its lease (state unreachable)')),
        {
          timeout: 5000,
        },
      )
      .toBe(true);
    startWorker(engine.ctx, 'second');
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({ status: 'succeeded' });
    stalled.open();
    expect(engine.logs.some((line) => line.startsWith('first:') && line.includes('did not answer the heartbeat'))).toBe(
      true,
    );
    // Only a later attempt's object is stored (the second worker's; on a loaded machine its own first claim may have
    // lapsed too, so generation 2 or later), and it is the one the backup records: the first attempt left nothing.
    const folder = `shop/live/${queued.backup.id}/`;
    const stored = await keys(folder);
    expect(stored).toEqual([`${folder}backup.json`, expect.stringMatching(/\/media\.g([2-9]|\d{2,})\.tar\.age$/)]);
    const backup = await engine.ctx.catalog.getBackup(queued.backup.id);
    expect(backup.storedParts.map((part) => part.key)).toEqual([stored[1]]);
  });
});

describe('the log of a worker', () => {
  test('every line logged while an operation is handled, the engine’s included, names the operation and target', async () => {
    const queued = await queueMediaBackup('logged');
    const seen: Array<{ line: string } & LogFields> = [];
    const log = (line: string) => seen.push({ line, ...currentLogFields() });
    const worker = engineWorker({ ...engine.ctx, log }, { owner: 'logging', concurrency: 1, log });
    workers.push(worker);
    worker.start();
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({ status: 'succeeded' });
    const during = seen.filter((entry) => entry.line.includes(queued.backup.id));
    expect(during.length).toBeGreaterThanOrEqual(3); // reading, written, completed
    for (const entry of during) expect(entry).toMatchObject({ operationId: queued.operation.id, target: 'shop/live' });
    expect(currentLogFields()).toEqual({});
  });
});

describe('a worker cut off after completing a backup, before recording its event', () => {
  test('the attempt that takes over finds it completed; the event is recorded once', async () => {
    const queued = await queueMediaBackup('completed, then cut off');
    const link: Link = { cut: false, restored: Promise.resolve() };
    const comesBack = gate();
    const atEvent = signal();
    const events = engine.ctx.events;
    const firstEvents = replacing(events, 'record', (...args: Parameters<typeof events.record>) =>
      cutOffAt(link, atEvent, comesBack, () => events.record(...args)),
    );
    startWorker({ ...engine.ctx, events: firstEvents, operations: cutOffQueue(engine.ctx.operations, link) }, 'first');
    await atEvent.fired;
    expect((await engine.ctx.catalog.getBackup(queued.backup.id)).status).toBe('completed');

    startWorker(engine.ctx, 'second');
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({
      status: 'succeeded',
      leaseGeneration: 2,
    });
    comesBack.open();
    await expect
      .poll(() => engine.logs.some((line) => line.startsWith('first:') && line.includes(queued.operation.id)))
      .toBe(true);
    const succeeded = await engine.ctx.events.list({ types: ['backup.succeeded'] });
    expect(succeeded.filter((event) => event.subjectId === queued.backup.id)).toHaveLength(1);
    // The first attempt's objects stand: they are the completed backup's (nothing of a second attempt was written).
    const folder = `shop/live/${queued.backup.id}/`;
    expect(await keys(folder)).toEqual([`${folder}backup.json`, `${folder}media.tar.age`]);
    expect((await verifyBackup(engine.ctx, queued.backup.id, {})).metadata).toEqual({ ok: true });
  });
});
