import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Target } from '../../src/domain/target.ts';
import { enqueueBackup, enqueueRestore } from '../../src/jobs/enqueue.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import type { Worker, WorkerOptions } from '../../src/jobs/worker.ts';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import type { Source } from '../../src/sources/source.ts';
import type { Store } from '../../src/storage/store.ts';
import { cancelOperation } from '../../src/use-cases/cancel-operation.ts';
import { engineRunners } from '../../src/use-cases/operation-runners.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

/**
 * A media source that streams a real tar of `dir` slowly when `slow` is set, so a test can act while a backup runs
 * (read at each chunk: clearing it lets a running backup finish). Everything else (restore, exists) is the real
 * directory source.
 */
function pacedSource(dir: string, pace: { slow: boolean }): Source {
  const real = new MediaDirSource({ path: dir });
  return {
    kind: real.kind,
    describe: () => real.describe(),
    exists: () => real.exists(),
    restore: (input, options) => real.restore(input, options),
    open(options = {}) {
      const inner = real.open(options);
      if (!pace.slow) return inner;
      return Readable.from(
        (async function* () {
          for await (const chunk of inner) {
            options.onProgress?.({ phase: 'media', bytesDone: 1, bytesExpected: 2 });
            yield chunk;
            if (pace.slow) await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })(),
        { objectMode: false },
      );
    },
  } as Source;
}

let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
const media = mkdtempSync(join(tmpdir(), 'backstop-worker-'));
const pace = { slow: false };
const shopLive: Target = target('shop', 'live', { mediaDir: media });
let worker: Worker;

async function keys(prefix = 'shop/live/'): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list(prefix)) found.push(object.key);
  return found;
}

/** A worker over the file's engine: 3 s leases, 50 ms polls, logging to `engine.logs`. */
function newWorker(overrides: Partial<WorkerOptions> = {}): Worker {
  return engineWorker(engine.ctx, { leaseMs: 3000, pollMs: 50, log: (line) => engine.logs.push(line), ...overrides });
}

beforeAll(async () => {
  for (let i = 0; i < 8; i++) {
    mkdirSync(join(media, `d${i}`), { recursive: true });
    writeFileSync(join(media, `d${i}`, 'photo.jpg'), Buffer.alloc(256 * 1024, i));
  }
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [shopLive], sourceFor: () => pacedSource(media, pace) });
});

afterAll(async () => {
  await engine.close();
  await cleanupStore();
  rmSync(media, { recursive: true, force: true });
});

beforeEach(() => {
  pace.slow = false;
  worker = newWorker();
});

afterEach(async () => {
  await worker.stop();
});

const create = (note: string) =>
  enqueueBackup(engine.ctx, {
    app: 'shop',
    env: 'live',
    trigger: 'on-demand',
    parts: 'media',
    note,
    requestedBy: 'cli:ana',
  });

describe('Worker', () => {
  test('runs queued backups to completion and records succeeded operations and events', async () => {
    const queued = await create('one');
    worker.start();
    const ended = await followOperation(engine.ctx, queued.operation, { pollMs: 20 });
    expect(ended).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: null });
    expect((await engine.ctx.catalog.getBackup(queued.backup.id)).status).toBe('completed');
    const events = await engine.ctx.events.list({ types: ['backup.succeeded'] });
    expect(events.at(-1)).toMatchObject({ app: 'shop', env: 'live', subjectId: queued.backup.id });
    expect(events.at(-1)?.data).toMatchObject({ trigger: 'on-demand', note: 'one', parts: 'media' });
    expect(events.at(-1)?.data).toMatchObject({ sizeBytes: expect.any(Number) });
    expect((events.at(-1)!.data as { sizeBytes: number }).sizeBytes).toBeGreaterThan(0);
  });

  test('a cancelled running backup stops, removes its objects and ends cancelled, with no failure event', async () => {
    pace.slow = true;
    const queued = await create('to cancel');
    const failuresBefore = (await engine.ctx.events.list({ types: ['backup.failed'] })).length;
    worker.start();
    await expect.poll(async () => (await engine.ctx.operations.get(queued.operation.id)).phase).toBe('media');
    await cancelOperation(engine.ctx, queued.operation.id, 'cli:bob');
    const ended = await followOperation(engine.ctx, queued.operation, { pollMs: 20 });
    expect(ended).toMatchObject({ status: 'cancelled', error: 'cancelled by cli:bob' });
    const backup = await engine.ctx.catalog.getBackup(queued.backup.id);
    expect(backup).toMatchObject({ status: 'cancelled', error: 'cancelled by cli:bob' });
    expect((await keys()).filter((k) => k.includes(queued.backup.id))).toEqual([]);
    expect((await engine.ctx.events.list({ types: ['backup.failed'] })).length).toBe(failuresBefore);
  });

  test('cancelling by backup id works before the backup starts, and the backup is marked cancelled at once', async () => {
    const queued = await create('never runs');
    const cancelled = await cancelOperation(engine.ctx, queued.backup.id, 'cli:bob');
    expect(cancelled.status).toBe('cancelled');
    expect(await engine.ctx.catalog.getBackup(queued.backup.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by cli:bob',
    });
    // One poll of the queue, as each of a started worker's loops makes: there is nothing to claim.
    expect(await worker.runOnce()).toBe(false);
    expect((await engine.ctx.operations.get(queued.operation.id)).status).toBe('cancelled');
  });

  test('a worker told to stop claiming lets its running backup finish and claims nothing more', async () => {
    pace.slow = true;
    const running = await create('runs on');
    worker.start();
    await expect.poll(async () => (await engine.ctx.operations.get(running.operation.id)).phase).toBe('media');
    worker.stopClaiming();
    const waiting = await create('stays queued');
    worker.wake();
    pace.slow = false;
    const ended = await followOperation(engine.ctx, running.operation, { pollMs: 20 });
    expect(ended).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Every loop ends without claiming the next backup of the target (one that had would be given back here).
    await worker.stop();
    expect(await engine.ctx.operations.get(waiting.operation.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(engine.logs.filter((line) => line.includes(waiting.operation.id))).toEqual([]);
    // Not left for the next test's worker.
    await cancelOperation(engine.ctx, waiting.operation.id, 'cli:bob');
  });

  test('stopping a worker gives its running backup back to the queue, objects removed, attempt not counted', async () => {
    pace.slow = true;
    const queued = await create('interrupted');
    worker.start();
    await expect.poll(async () => (await engine.ctx.operations.get(queued.operation.id)).phase).toBe('media');
    await worker.stop();
    expect(await engine.ctx.operations.get(queued.operation.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await engine.ctx.catalog.getBackup(queued.backup.id)).toMatchObject({ status: 'queued', error: null });
    expect((await keys()).filter((k) => k.includes(queued.backup.id))).toEqual([]);

    pace.slow = false;
    worker = newWorker();
    worker.start();
    expect(await followOperation(engine.ctx, queued.operation, { pollMs: 20 })).toMatchObject({
      status: 'succeeded',
      attempts: 1,
    });
  });

  test('a backup whose worker vanished is taken over after its lease, partial objects discarded first', async () => {
    const queued = await create('taken over');
    // A worker that claimed it more than a lease ago and wrote part of an object, then vanished (no heartbeat ever
    // again): its lease has run out.
    await engine.ctx.operations.claim('vanished', 3000, new Date(engine.ctx.clock().getTime() - 3001));
    await store.write(`shop/live/${queued.backup.id}/media.tar.age`, Readable.from([Buffer.from('half an object')]));
    worker.start();
    const ended = await followOperation(engine.ctx, queued.operation, { pollMs: 50 });
    expect(ended).toMatchObject({ status: 'succeeded', attempts: 2 });
    const backup = await engine.ctx.catalog.getBackup(queued.backup.id);
    // The second claim is the second lease generation: its object has a name of its own, the first's is gone.
    expect(backup.storedParts.map((part) => part.key)).toEqual([`shop/live/${queued.backup.id}/media.g2.tar.age`]);
    expect(await keys(`shop/live/${queued.backup.id}/`)).toEqual([
      `shop/live/${queued.backup.id}/backup.json`,
      `shop/live/${queued.backup.id}/media.g2.tar.age`,
    ]);
    const stored = await store.stat(`shop/live/${queued.backup.id}/media.g2.tar.age`);
    expect(stored?.sizeBytes).toBe(backup.storedParts[0]?.storedSizeBytes);
    expect(stored?.sizeBytes).toBeGreaterThan(1024 * 1024);
  });

  test('operations of one target run one after the other, in order', async () => {
    const queued = [await create('a'), await create('b'), await create('c')];
    worker.start();
    for (const q of queued) await followOperation(engine.ctx, q.operation, { pollMs: 20 });
    const ops = await Promise.all(queued.map((q) => engine.ctx.operations.get(q.operation.id)));
    for (let i = 1; i < ops.length; i++) {
      expect(ops[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(ops[i - 1]!.finishedAt!.getTime());
    }
  });

  test('a restore runs as an operation, with its safety backup, and records restore.succeeded', async () => {
    const backup = await create('to restore');
    worker.start();
    await followOperation(engine.ctx, backup.operation, { pollMs: 20 });
    const restore = await enqueueRestore(engine.ctx, {
      backupId: backup.backup.id,
      safetyBackup: true,
      requestedBy: 'cli:ana',
    });
    const ended = await followOperation(engine.ctx, restore.operation, { pollMs: 20 });
    expect(ended.status).toBe('succeeded');
    const done = await engine.ctx.catalog.getRestore(restore.restore.id);
    expect(done.status).toBe('succeeded');
    expect(done.safetyBackupId).not.toBeNull();
    const events = await engine.ctx.events.list({ types: ['restore.succeeded'] });
    expect(events.at(-1)).toMatchObject({ subjectId: restore.restore.id });
  });

  test('following with runHere runs the operation in the following process when no worker runs', async () => {
    const queued = await create('run here');
    const here = newWorker({ concurrency: 1 });
    const ended = await followOperation(engine.ctx, queued.operation, { pollMs: 20, runHere: here });
    expect(ended).toMatchObject({ status: 'succeeded', leaseOwner: null });
    expect((await engine.ctx.catalog.getBackup(queued.backup.id)).status).toBe('completed');
  });

  test('a backup that fails is recorded failed with a backup.failed event naming the reason', async () => {
    const gone = target('shop', 'live', { mediaDir: join(media, 'missing') });
    const failing = await makeEngine({ store, targets: [gone] });
    const failingWorker = engineWorker(failing.ctx, { concurrency: 1, leaseMs: 3000, pollMs: 50 });
    const queued = await enqueueBackup(failing.ctx, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'media',
      note: null,
      requestedBy: null,
    });
    failingWorker.start();
    const ended = await followOperation(failing.ctx, queued.operation, { pollMs: 20 });
    await failingWorker.stop();
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/missing/);
    const [event] = await failing.ctx.events.list({ types: ['backup.failed'] });
    expect(event?.data).toMatchObject({ reason: ended.error });
    await failing.close();
  });

  test('a backup failing with a retryable error is taken again after a wait, and completes once', async () => {
    const { retried, queued, ended } = await backupThroughFailingWrites(1);
    expect(ended).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await retried.ctx.catalog.getBackup(queued.backup.id)).toMatchObject({ status: 'completed' });
    expect(await retried.ctx.events.list({ types: ['backup.failed'] })).toEqual([]);
    expect((await retried.ctx.events.list({ types: ['backup.succeeded'] })).map((e) => e.subjectId)).toEqual([
      queued.backup.id,
    ]);
    await retried.close();
  });

  test('where a person waits for it (the CLI running it), a retryable failure is reported at once', async () => {
    const { retried, ended } = await backupThroughFailingWrites(1, { retryFailedBackups: false });
    expect(ended).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringContaining('connection reset') });
    expect(await retried.ctx.events.list({ types: ['backup.failed'] })).toHaveLength(1);
    await retried.close();
  });

  test('a backup whose retryable failure outlasts its attempts fails once, saying how often it was tried', async () => {
    const { retried, queued, ended } = await backupThroughFailingWrites(10);
    expect(ended).toMatchObject({ status: 'failed', attempts: 3 });
    const events = await retried.ctx.events.list({ types: ['backup.failed'] });
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ reason: expect.stringContaining('(after 3 attempts)') });
    expect(await keys(`shop/live/${queued.backup.id}/`)).toEqual([]);
    await retried.close();
  });
});

/**
 * A backup of shop/live run to its end by a worker over a store whose next `failures` media writes fail midway,
 * retried 10 ms after each failure.
 */
async function backupThroughFailingWrites(failures: number, options: { retryFailedBackups?: boolean } = {}) {
  const retried = await makeEngine({ store: storeFailingMediaWrites(store, failures), targets: [shopLive] });
  const retryingWorker = engineWorker(retried.ctx, {
    concurrency: 1,
    leaseMs: 3000,
    pollMs: 20,
    runners: engineRunners(retried.ctx, { retryDelayMs: () => 10, ...options }),
  });
  const queued = await enqueueBackup(retried.ctx, {
    app: 'shop',
    env: 'live',
    trigger: 'on-demand',
    parts: 'media',
    note: null,
    requestedBy: null,
  });
  retryingWorker.start();
  const ended = await followOperation(retried.ctx, queued.operation, { pollMs: 20 });
  await retryingWorker.stop();
  return { retried, queued, ended };
}

/**
 * `inner`, except that its next `failures` writes of a media part fail midway (after reading some of the body) with
 * a retryable error, as an endpoint that drops the connection does: the store cannot take that write again itself.
 */
function storeFailingMediaWrites(inner: Store, failures: number): Store {
  let left = failures;
  return {
    async write(key, body, options) {
      if (/\/media(\.g\d+)?\.tar\.age$/.test(key) && left > 0) {
        left -= 1;
        for await (const _chunk of body) break;
        throw new BackstopError('storage-failed', 'connection reset by peer', { retryable: true });
      }
      return inner.write(key, body, options);
    },
    read: (key) => inner.read(key),
    stat: (key) => inner.stat(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    link: (key, ttl, options) => inner.link(key, ttl, options),
    describe: () => inner.describe(),
  };
}
