import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { movableChunk, spareBlocks, takeBlock } from '../../src/domain/movable-chunks.ts';
import { DownloadLinkSigner } from '../../src/storage/download-link-signer.ts';
import { FsStore } from '../../src/storage/fs-store.ts';
import { RetryingStore } from '../../src/storage/retrying-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { collect, failingStream, readAll, streamOf } from './streams.ts';

const PUBLIC_URL = 'https://backstop.example.com';
const SECRET = 'fs-store-test-secret-0123456789abcdef';

describeStoreContract('FsStore', async (clock) => {
  const root = await mkdtemp(join(tmpdir(), 'backstop-fs-store-'));
  const store = new FsStore({
    root,
    links: new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET, now: clock.now }),
  });
  // Stands in for Backstop's download route until it exists: it checks the token now, then serves the object.
  const route = new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET });
  return {
    store,
    async fetchLink(url) {
      const base = `${PUBLIC_URL}/downloads/`;
      if (!url.startsWith(base)) throw new Error(`not a Backstop download link: ${url}`);
      const grant = route.verify(url.slice(base.length));
      return { bytes: await readAll(await store.read(grant.key)), filename: grant.filename };
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsStore on disk', () => {
  let root: string;
  let store: FsStore;

  beforeEach(async () => {
    // One level down, so a key that escaped the root would land in a directory the test can see.
    root = join(await mkdtemp(join(tmpdir(), 'backstop-fs-store-')), 'root');
    store = new FsStore({ root, links: new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: SECRET }) });
  });

  afterEach(async () => {
    await rm(dirname(root), { recursive: true, force: true });
  });

  /** Every file and directory under the root, relative to it. */
  async function entriesOnDisk(): Promise<string[]> {
    return (await readdir(root, { recursive: true })).sort();
  }

  it('gives the memory of chunks marked movable back once written, also through the retrying store', async () => {
    const size = 77 * 1024; // a size of this test's own
    const blocks = [0x61, 0x62, 0x63].map((byte) => movableChunk(takeBlock(size).fill(byte)));
    const unmarked = Buffer.alloc(size, 0x64);
    const retrying = new RetryingStore(store);
    await retrying.write('shop/live/7k3qx2/media.tar.age', Readable.from([...blocks, unmarked]));
    expect(spareBlocks(size)).toBe(3); // the three marked ones, the same objects all the way; not the unmarked one
    const stored = await readAll(await store.read('shop/live/7k3qx2/media.tar.age'));
    expect(
      stored.equals(
        Buffer.concat([Buffer.alloc(size, 0x61), Buffer.alloc(size, 0x62), Buffer.alloc(size, 0x63), unmarked]),
      ),
    ).toBe(true);
  });

  it('stores key a/b/c as the file <root>/a/b/c', async () => {
    await store.write('shop/live/7k3qx2/db.dump.age', streamOf([Buffer.from('dump')]));
    expect(await entriesOnDisk()).toEqual(['shop', 'shop/live', 'shop/live/7k3qx2', 'shop/live/7k3qx2/db.dump.age']);
  });

  it('writes to a hidden temporary file beside the object, which list ignores', async () => {
    const body = new PassThrough();
    const writing = store.write('shop/live/1/db.dump.age', body);
    body.write(Buffer.alloc(64 * 1024, 7));
    while (body.readableLength > 0) await sleep(5);

    const during = await readdir(join(root, 'shop/live/1'));
    expect(during).toEqual([expect.stringMatching(/^\.db\.dump\.age\.tmp-[0-9a-f]{12}$/)]);
    expect(await collect(store.list(''))).toEqual([]);

    body.end();
    await writing;
    expect(await readdir(join(root, 'shop/live/1'))).toEqual(['db.dump.age']);
  });

  it('leaves neither a temporary file nor new directories after a failed write', async () => {
    await store.write('shop/live/1/db.dump.age', streamOf([Buffer.from('earlier')]));
    const failure = new Error('source failed');

    await expect(
      store.write('shop/live/2/db.dump.age', failingStream([Buffer.alloc(300 * 1024, 1)], failure)),
    ).rejects.toBe(failure);

    expect(await entriesOnDisk()).toEqual(['shop', 'shop/live', 'shop/live/1', 'shop/live/1/db.dump.age']);
  });

  it('deleting a key also removes what a killed writer left of it, and only of it', async () => {
    await store.write('shop/live/1/db.dump.age', streamOf([Buffer.from('done')]));
    // A process killed mid-write leaves its temporary file; one of another key stays.
    writeFileSync(join(root, 'shop/live/1/.media.tar.age.tmp-0123456789ab'), 'half written');
    writeFileSync(join(root, 'shop/live/1/.db.dump.age.tmp-ba9876543210'), 'half of another');
    await store.delete('shop/live/1/media.tar.age');
    expect(await readdir(join(root, 'shop/live/1'))).toEqual(['.db.dump.age.tmp-ba9876543210', 'db.dump.age']);
    await store.delete('shop/live/1/db.dump.age');
    expect(await entriesOnDisk()).toEqual([]);
  });

  it('removes the folders a delete leaves empty, up to but not including the root', async () => {
    await store.write('shop/live/1/db.dump.age', streamOf([Buffer.from('db')]));
    await store.write('shop/live/1/media.tar.age', streamOf([Buffer.from('media')]));
    await store.write('shop/staging/2/db.dump.age', streamOf([Buffer.from('db')]));

    await store.delete('shop/live/1/db.dump.age');
    expect(await entriesOnDisk()).toContain('shop/live/1');
    await store.delete('shop/live/1/media.tar.age');
    expect(await entriesOnDisk()).toEqual(['shop', 'shop/staging', 'shop/staging/2', 'shop/staging/2/db.dump.age']);
    await store.delete('shop/staging/2/db.dump.age');
    expect(await entriesOnDisk()).toEqual([]);
    expect(existsSync(root)).toBe(true);
  });

  it('never writes outside its root for a key that tries to', async () => {
    await expect(store.write('../escaped.txt', streamOf([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'bad-key',
    });
    expect(await readdir(dirname(root))).toEqual([]);
  });

  it('refuses keys shaped like its temporary files', async () => {
    await expect(store.write('shop/.db.dump.age.tmp-0123456789ab', streamOf([Buffer.from('x')]))).rejects.toMatchObject(
      { code: 'bad-key' },
    );
  });

  it('lists in the order of the keys’ UTF-8 bytes, not of file names or UTF-16', async () => {
    // "-" and "." sort before "/", so the files b-c and b.d precede the keys inside directory b; "～" (U+FF5E) sorts
    // before "😀" in UTF-8 but after it in UTF-16.
    const expected = ['o/b-c', 'o/b.d', 'o/b/x', 'o/b0', 'u/～', 'u/😀'];
    for (const key of [...expected].reverse()) await store.write(key, streamOf([Buffer.from(key)]));

    expect((await collect(store.list(''))).map((object) => object.key)).toEqual(expected);
  });

  it('lists nothing while its root does not exist yet', async () => {
    expect(await collect(store.list(''))).toEqual([]);
  });

  it('describes itself as its directory', () => {
    expect(store.describe()).toBe(`directory ${root}`);
  });
});
