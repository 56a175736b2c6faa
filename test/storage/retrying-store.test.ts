import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { DownloadLinkSigner } from '../../src/storage/download-link-signer.ts';
import { FsStore } from '../../src/storage/fs-store.ts';
import { RetryingStore } from '../../src/storage/retrying-store.ts';
import type { Store, StoredObject } from '../../src/storage/store.ts';
import { fakeRetryTools } from '../support/fake-retry-tools.ts';
import { describeStoreContract } from './store-contract.ts';
import { collect, readAll, streamOf } from './streams.ts';

const PUBLIC_URL = 'https://backstop.example.com';
const SECRET = 'retrying-store-test-secret-0123456789';

// The wrapper keeps the contract of the store it wraps.
describeStoreContract('RetryingStore over FsStore', async (clock) => {
  const root = await mkdtemp(join(tmpdir(), 'backstop-retrying-store-'));
  const inner = new FsStore({
    root,
    links: new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET, now: clock.now }),
  });
  const store = new RetryingStore(inner, { tools: fakeRetryTools() });
  const route = new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET });
  return {
    store,
    async fetchLink(url) {
      const grant = route.verify(url.slice(`${PUBLIC_URL}/downloads/`.length));
      return { bytes: await readAll(await store.read(grant.key)), filename: grant.filename };
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

const transient = () => new BackstopError('storage-failed', 'connection reset by peer', { retryable: true });

/**
 * A store that fails the next calls of a method with a transient error, as an endpoint in a short outage does:
 * `write` either before reading its body or after reading some of it; `list` after yielding some objects.
 */
class FlakyStore implements Store {
  readonly calls: Record<string, number> = {};
  failures: Record<string, number> = {};
  writeFailsAfterReading = false;
  listFailsAfter = 1;

  constructor(private readonly inner: Store) {}

  private fail(method: string): boolean {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if ((this.failures[method] ?? 0) <= 0) return false;
    this.failures[method]! -= 1;
    return true;
  }

  async write(key: string, body: Readable, options?: { contentType?: string }) {
    if (this.fail('write')) {
      if (this.writeFailsAfterReading) {
        body.read();
        await new Promise((resolve) => body.once('readable', resolve));
        body.read();
      }
      body.destroy();
      throw transient();
    }
    return this.inner.write(key, body, options);
  }

  async read(key: string) {
    if (this.fail('read')) throw transient();
    return this.inner.read(key);
  }

  async stat(key: string) {
    if (this.fail('stat')) throw transient();
    return this.inner.stat(key);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const failing = this.fail('list');
    let yielded = 0;
    for await (const object of this.inner.list(prefix)) {
      if (failing && yielded === this.listFailsAfter) throw transient();
      yielded += 1;
      yield object;
    }
  }

  async delete(key: string) {
    if (this.fail('delete')) throw transient();
    return this.inner.delete(key);
  }

  async link(key: string, ttlSeconds: number, options?: { filename?: string }) {
    if (this.fail('link')) throw transient();
    return this.inner.link(key, ttlSeconds, options);
  }

  describe() {
    return this.inner.describe();
  }
}

describe('RetryingStore with a store that fails transiently', () => {
  let root: string;
  let flaky: FlakyStore;
  let store: RetryingStore;
  let tools: ReturnType<typeof fakeRetryTools>;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'backstop-flaky-store-'));
    flaky = new FlakyStore(
      new FsStore({ root, links: new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET }) }),
    );
    tools = fakeRetryTools();
    store = new RetryingStore(flaky, { tools });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  test('reads, stats, deletes and links succeed after transient failures, waiting in between', async () => {
    await store.write('a/b', streamOf([Buffer.from('hello')]));
    flaky.failures = { read: 2, stat: 1, link: 3, delete: 2 };
    expect((await readAll(await store.read('a/b'))).toString()).toBe('hello');
    expect(await store.stat('a/b')).toMatchObject({ sizeBytes: 5 });
    expect(await store.link('a/b', 60)).toMatch(/^https:\/\/backstop\.example\.com\/downloads\//);
    await store.delete('a/b');
    expect(await store.stat('a/b')).toBeUndefined();
    expect(flaky.calls).toMatchObject({ read: 3, link: 4, delete: 3 });
    expect(tools.waits).toHaveLength(8);
  });

  test('a write that fails before reading its body is tried again with the whole body', async () => {
    flaky.failures = { write: 2 };
    const bytes = Buffer.alloc(200_000, 7);
    expect(await store.write('x/y', streamOf([bytes.subarray(0, 100_000), bytes.subarray(100_000)]))).toEqual({
      sizeBytes: 200_000,
    });
    expect(flaky.calls['write']).toBe(3);
    expect(await readAll(await store.read('x/y'))).toEqual(bytes);
  });

  test('a write that fails after reading some of its body is not tried again, and the body is destroyed', async () => {
    flaky.failures = { write: 1 };
    flaky.writeFailsAfterReading = true;
    const body = streamOf([Buffer.from('first'), Buffer.from('second')]);
    await expect(store.write('x/z', body)).rejects.toMatchObject({ code: 'storage-failed' });
    expect(flaky.calls['write']).toBe(1);
    expect(body.destroyed).toBe(true);
    expect(await store.stat('x/z')).toBeUndefined();
  });

  test('a body that failed before the store read it fails the write with its error, at once', async () => {
    const body = streamOf([Buffer.from('never read')]);
    body.on('error', () => {}); // as the pipeline producing it has, which hears the error first
    body.destroy(new BackstopError('media-source-missing', 'the media directory is gone'));
    await new Promise((resolve) => setImmediate(resolve)); // its 'error' event has gone by
    await expect(store.write('x/failed', body)).rejects.toMatchObject({ code: 'media-source-missing' });
    expect(await store.stat('x/failed')).toBeUndefined();
  });

  test('a listing that fails midway resumes after the last key it yielded: every key once, in order', async () => {
    for (const key of ['p/1', 'p/2', 'p/3', 'p/4']) await store.write(key, streamOf([Buffer.from(key)]));
    flaky.failures = { list: 2 };
    flaky.listFailsAfter = 1;
    expect((await collect(store.list('p/'))).map((o) => o.key)).toEqual(['p/1', 'p/2', 'p/3', 'p/4']);
    expect(flaky.calls['list']).toBe(3);
  });

  test('a permanent failure is not tried again', async () => {
    await expect(store.read('missing')).rejects.toMatchObject({ code: 'not-found' });
    expect(flaky.calls['read']).toBe(1);
    expect(tools.waits).toEqual([]);
  });

  test('an outage longer than the budget fails with the store error after at least 60 s of trying', async () => {
    flaky.failures = { stat: Number.POSITIVE_INFINITY };
    await expect(store.stat('a')).rejects.toMatchObject({ code: 'storage-failed', retryable: true });
    expect(tools.elapsedMs()).toBeGreaterThanOrEqual(60_000);
  });
});
