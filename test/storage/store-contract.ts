import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { chunksOf, collect, failingStream, fingerprint, readAll, streamOf } from './streams.ts';

/** What a browser gets from a download link. */
export interface FetchedLink {
  bytes: Buffer;
  filename: string | undefined;
}

/** One driver's store, set up for one test, with what the suite cannot do through the Store port alone. */
export interface StoreHarness {
  store: Store;
  /**
   * GETs a link now, as a browser would, and returns the bytes and the download name offered; rejects with
   * `{ code: 'link-expired' }` when the link is refused because it expired, and with any other error otherwise.
   */
  fetchLink(url: string): Promise<FetchedLink>;
  cleanup(): Promise<void>;
}

/**
 * Builds a harness. The store must date its links with `clock` (S3 servers judge expiry by their own clock, so the
 * suite ages a link by signing it in the past rather than fetching it in the future), and must list in pages of at
 * most 2 keys where its backend pages at all, so listing is shown to cross pages.
 */
export type MakeStoreHarness = (clock: ManualClock) => Promise<StoreHarness>;

const KIB = 1024;
const MIB = 1024 * KIB;

const BAD_KEYS = ['', '/absolute', 'a//b', 'a/', 'a/../b', '..', './a', 'a\\b', 'nul\0byte'];
const BAD_PREFIXES = ['/a', 'a//', '../', 'a\\', 'a/./b'];

/** The shared contract of store.ts, registered once per driver: every driver must pass all of it. */
export function describeStoreContract(name: string, makeHarness: MakeStoreHarness): void {
  describe(`${name} keeps the Store contract`, () => {
    const clock = new ManualClock();
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      clock.set(new Date());
      harness = await makeHarness(clock);
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    async function writeBytes(key: string, bytes: Uint8Array): Promise<void> {
      await store.write(key, streamOf([bytes]));
    }

    async function readBytes(key: string): Promise<Buffer> {
      return readAll(await store.read(key));
    }

    async function keys(prefix: string): Promise<string[]> {
      return (await collect(store.list(prefix))).map((object) => object.key);
    }

    function secondsAgo(seconds: number): Date {
      return new Date(Date.now() - seconds * 1000);
    }

    describe('write and read', () => {
      it.each([
        ['an empty body', []],
        ['a small body', [Buffer.from('hello, backup\n')]],
        ['every byte value', [Buffer.from(Array.from({ length: 256 }, (_, value) => value))]],
        ['12 MiB streamed in 64 KiB chunks', chunksOf(randomBytes(12 * MIB), 64 * KIB)],
      ])('round-trips %s exactly', async (_, chunks) => {
        const expected = Buffer.concat(chunks);
        await expect(store.write('round-trip/object.bin', streamOf(chunks))).resolves.toEqual({
          sizeBytes: expected.length,
        });
        expect(fingerprint(await readBytes('round-trip/object.bin'))).toEqual(fingerprint(expected));
      });

      it('replaces an existing object with the new bytes', async () => {
        await writeBytes('overwrite/object.bin', randomBytes(64 * KIB));
        const replacement = Buffer.from('shorter replacement');
        await writeBytes('overwrite/object.bin', replacement);
        expect(await readBytes('overwrite/object.bin')).toEqual(replacement);
        expect((await store.stat('overwrite/object.bin'))?.sizeBytes).toBe(replacement.length);
      });

      it.each([
        ['before its first byte', 0],
        ['after 100 KiB', 100 * KIB],
        ['after 7 MiB, past the first multipart part', 7 * MIB],
      ])('rejects with the body’s own error when the body fails %s, and leaves nothing behind', async (_, size) => {
        await writeBytes('keep/other.bin', Buffer.from('untouched'));
        const failure = new Error('pg_dump died');
        const body = failingStream(chunksOf(randomBytes(size), 64 * KIB), failure);

        await expect(store.write('broken/object.bin', body)).rejects.toBe(failure);

        expect(body.destroyed).toBe(true);
        expect(await store.stat('broken/object.bin')).toBeUndefined();
        expect(await keys('')).toEqual(['keep/other.bin']);
        expect((await readBytes('keep/other.bin')).toString()).toBe('untouched');
      });

      it('shows no object until the body has ended', async () => {
        const body = new PassThrough();
        const writing = store.write('slow/object.bin', body);
        body.write(randomBytes(256 * KIB));
        // Wait until the store has taken the first chunk, so it is mid-write.
        while (body.readableLength > 0) await sleep(5);

        expect(await store.stat('slow/object.bin')).toBeUndefined();
        expect(await keys('')).toEqual([]);

        body.end(Buffer.from('the end'));
        await expect(writing).resolves.toEqual({ sizeBytes: 256 * KIB + 'the end'.length });
        expect(await keys('')).toEqual(['slow/object.bin']);
      });

      it('rejects reading a missing key with not-found', async () => {
        await expect(store.read('missing/object.bin')).rejects.toMatchObject({ code: 'not-found', retryable: false });
      });

      it('treats a key that is only a prefix of other keys as missing', async () => {
        await writeBytes('folder/inner.bin', Buffer.from('x'));
        await expect(store.read('folder')).rejects.toMatchObject({ code: 'not-found' });
        expect(await store.stat('folder')).toBeUndefined();
      });
    });

    describe('stat', () => {
      it('describes a present object', async () => {
        const before = Date.now();
        await writeBytes('stat/object.bin', randomBytes(1234));
        const object = await store.stat('stat/object.bin');
        expect(object).toMatchObject({ key: 'stat/object.bin', sizeBytes: 1234 });
        // Backends keep whole seconds; a minute's tolerance also absorbs small clock differences with the server.
        expect(Math.abs((object?.modifiedAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
      });

      it('resolves to undefined for a missing object', async () => {
        expect(await store.stat('stat/missing.bin')).toBeUndefined();
      });
    });

    describe('list', () => {
      it('lists a prefix across pages in ascending key order, with sizes', async () => {
        const wanted = ['list/a/b/1', 'list/a/b/2', 'list/a/b/3/deep', 'list/a/b/4', 'list/a/b/5'];
        const others = ['list/a/bc/1', 'list/a/c/1', 'list/z'];
        // Written out of order: the order of the listing must come from the store.
        for (const [index, key] of [...others, ...wanted].reverse().entries()) {
          await writeBytes(key, randomBytes(index + 1));
        }

        const listed = await collect(store.list('list/a/b/'));
        expect(listed.map((object) => object.key)).toEqual(wanted);
        for (const object of listed) {
          expect(object.sizeBytes).toBe((await store.stat(object.key))?.sizeBytes);
          expect(object.modifiedAt).toBeInstanceOf(Date);
        }
        expect(await keys('list/a/b')).toEqual([...wanted, 'list/a/bc/1']);
        expect(await keys('')).toEqual([...wanted, 'list/a/bc/1', 'list/a/c/1', 'list/z']);
        expect(await keys('list/nothing/')).toEqual([]);
      });

      it.each(BAD_PREFIXES)('refuses the prefix %j with bad-key', async (prefix) => {
        await expect(collect(store.list(prefix))).rejects.toMatchObject({ code: 'bad-key' });
      });
    });

    describe('delete', () => {
      it('removes an object and succeeds again when it is gone', async () => {
        await writeBytes('delete/object.bin', Buffer.from('bye'));
        await writeBytes('delete/sibling.bin', Buffer.from('stay'));

        await store.delete('delete/object.bin');
        expect(await store.stat('delete/object.bin')).toBeUndefined();
        await expect(store.delete('delete/object.bin')).resolves.toBeUndefined();
        await expect(store.delete('never/written.bin')).resolves.toBeUndefined();
        expect(await keys('')).toEqual(['delete/sibling.bin']);
      });
    });

    describe('link', () => {
      it('fetches the exact bytes under the given name until the lifetime has passed, then is refused', async () => {
        const bytes = randomBytes(4 * KIB);
        await writeBytes('links/db.dump', bytes);

        clock.set(secondsAgo(30));
        const fresh = await store.link('links/db.dump', 60, { filename: 'shop live «café».dump' });
        await expect(harness.fetchLink(fresh)).resolves.toEqual({ bytes, filename: 'shop live «café».dump' });

        clock.set(secondsAgo(90));
        const expired = await store.link('links/db.dump', 60, { filename: 'shop.dump' });
        await expect(harness.fetchLink(expired)).rejects.toMatchObject({ code: 'link-expired' });
      });

      it('offers the key’s last segment as the download name by default', async () => {
        await writeBytes('links/media.tar', Buffer.from('tar'));
        const link = await store.link('links/media.tar', 60);
        await expect(harness.fetchLink(link)).resolves.toMatchObject({ filename: 'media.tar' });
      });
    });

    describe('keys', () => {
      it.each(BAD_KEYS)('refuses the key %j with bad-key in every method, destroying a write’s body', async (key) => {
        const body = streamOf([Buffer.from('never stored')]);
        await expect(store.write(key, body)).rejects.toMatchObject({ code: 'bad-key', retryable: false });
        expect(body.destroyed).toBe(true);
        await expect(store.read(key)).rejects.toMatchObject({ code: 'bad-key' });
        await expect(store.stat(key)).rejects.toMatchObject({ code: 'bad-key' });
        await expect(store.delete(key)).rejects.toMatchObject({ code: 'bad-key' });
        await expect(store.link(key, 60)).rejects.toMatchObject({ code: 'bad-key' });
        expect(await keys('')).toEqual([]);
      });
    });
  });
}
