import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import { MediaS3Source } from '../../src/sources/media-s3-source.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';
import { buildTar, hostileTars } from './media-hostile-tars.ts';
import { collect, listing, readTree, tarEntries, tempDir } from './media-tree.ts';
import { describeSourceContract, type SourceDestination } from './source-contract.ts';

let s3: S3rverPeer;

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  await s3?.stop();
});

const commit = { beforeCommit: async () => {} };

async function put(client: S3Client, bucket: string, key: string, body: string | Buffer, contentType?: string) {
  const length = Buffer.byteLength(body); // the SDK warns about bodies without a length, empty strings included
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: length, ContentType: contentType }),
  );
}

/** Every object in the bucket: key -> content (base64) and content type. */
async function snapshot(client: S3Client, bucket: string): Promise<Record<string, { body: string; type?: string }>> {
  const objects: Record<string, { body: string; type?: string }> = {};
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of page.Contents ?? []) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: Key! }));
    const body = Buffer.from(await object.Body!.transformToByteArray()).toString('base64');
    objects[Key!] = { body, type: object.ContentType };
  }
  return objects;
}

/** The objects under `prefix`, keyed by their path below it. */
function under(objects: Record<string, { body: string; type?: string }>, prefix: string) {
  return Object.fromEntries(
    Object.entries(objects)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

async function sourceBucket() {
  const bucket = await s3.createBucket('media');
  await put(s3.client, bucket, 'live/fotos/Zürich 日本.jpg', randomBytes(2000), 'image/jpeg');
  await put(s3.client, bucket, 'live/docs/deep/nested/report.pdf', randomBytes(4000), 'application/pdf');
  await put(s3.client, bucket, 'live/large.bin', randomBytes(6 * 1024 * 1024 + 5), 'application/octet-stream');
  await put(s3.client, bucket, 'live/empty.txt', '', 'text/plain');
  await put(s3.client, bucket, 'live/folder/', '');
  await put(s3.client, bucket, 'live-old/not-included.txt', 'outside the prefix', 'text/plain');
  await put(s3.client, bucket, 'other/not-included.txt', 'outside the prefix', 'text/plain');
  return bucket;
}

describeSourceContract('MediaS3Source', async () => {
  const bucket = await s3.createBucket('contract');
  const known: [string, string | Buffer, string][] = [
    ['photos/harbour.jpg', randomBytes(200 * 1024), 'image/jpeg'],
    ['docs/readme.txt', 'the known content', 'text/plain'],
    ['empty.txt', '', 'text/plain'],
    ['nested/deep/data.bin', randomBytes(3000), 'application/octet-stream'],
  ];
  for (const [path, body, type] of known) await put(s3.client, bucket, `media/${path}`, body, type);
  const at = (prefix: string): SourceDestination => ({
    source: new MediaS3Source({ client: s3.client, bucket, prefix }),
    read: async () => under(await snapshot(s3.client, bucket), prefix),
  });
  let copies = 0;
  return {
    ...at('media/'),
    async putOther() {
      await put(s3.client, bucket, 'media/docs/readme.txt', 'another version', 'text/markdown');
      await put(s3.client, bucket, 'media/extra/old.txt', 'not in the backup', 'text/plain');
    },
    async another() {
      copies += 1;
      return at(`copy-${copies}/`);
    },
    unreadable: () => new MediaS3Source({ client: s3.client, bucket: `missing-${bucket}`, prefix: 'media/' }),
    absent: () => new MediaS3Source({ client: s3.client, bucket, prefix: 'never-written/' }),
    named: `s3://${bucket}/media/`,
    secrets: [s3.clientConfig.credentials.secretAccessKey],
    // Every harness has its own bucket, and s3rver's directory goes when it stops.
    async cleanup() {},
  };
});

describe('MediaS3Source', () => {
  it('backs up the objects under the prefix with their content types', async () => {
    const bucket = await sourceBucket();
    const tar = await collect(new MediaS3Source({ client: s3.client, bucket, prefix: 'live' }).open());

    const entries = await tarEntries(tar);
    expect(entries.map((entry) => entry.name)).toEqual([
      'media/docs/deep/nested/report.pdf',
      'media/empty.txt',
      'media/fotos/Zürich 日本.jpg',
      'media/large.bin',
      'manifest.json',
    ]);
    const manifest = JSON.parse(entries.at(-1)!.content.toString('utf8'));
    expect(manifest.files.map((file: { contentType: string }) => file.contentType)).toEqual([
      'application/pdf',
      'text/plain',
      'image/jpeg',
      'application/octet-stream',
    ]);
    expect(manifest.totals).toMatchObject({ files: 4, bytes: 4000 + 2000 + 6 * 1024 * 1024 + 5 });
  });

  it('restores into another prefix: same files and types, extras deleted, other keys untouched', async () => {
    const bucket = await sourceBucket();
    const tar = await collect(new MediaS3Source({ client: s3.client, bucket, prefix: 'live/' }).open());
    const target = await s3.createBucket('restore');
    await put(s3.client, target, 'restored/fotos/Zürich 日本.jpg', 'stale version', 'text/plain');
    await put(s3.client, target, 'restored/stale/extra.txt', 'not in the backup');
    await put(s3.client, target, 'keep/me.txt', 'outside the prefix');
    await put(s3.client, target, 'restored-not/me.txt', 'outside the prefix too');

    const summary = await new MediaS3Source({ client: s3.client, bucket: target, prefix: 'restored/' }).restore(
      Readable.from([tar]),
      commit,
    );

    const source = under(await snapshot(s3.client, bucket), 'live/');
    delete source['folder/'];
    const after = await snapshot(s3.client, target);
    expect(under(after, 'restored/')).toEqual(source);
    expect(after['keep/me.txt']).toBeDefined();
    expect(after['restored-not/me.txt']).toBeDefined();
    expect(summary).toMatchObject({ files: 4, deleted: 1 });
  });

  it.each(hostileTars.slice(0, 3).concat(hostileTars.filter((tar) => tar.code === 'media-manifest-mismatch')))(
    'never touches the bucket for a tar with $name',
    async ({ code, entries }) => {
      const target = await s3.createBucket('hostile');
      await put(s3.client, target, 'media/existing.txt', 'keep me', 'text/plain');
      const before = await snapshot(s3.client, target);
      const spool = await tempDir('spool');

      const restore = new MediaS3Source({
        client: s3.client,
        bucket: target,
        prefix: 'media/',
        tempDir: spool,
      }).restore(Readable.from([await buildTar(entries())]), commit);

      await expect(restore).rejects.toMatchObject({ code });
      expect(await snapshot(s3.client, target)).toEqual(before);
      expect(listing(spool)).toEqual([]);
    },
  );

  it('never touches the bucket when beforeCommit rejects', async () => {
    const bucket = await sourceBucket();
    const tar = await collect(new MediaS3Source({ client: s3.client, bucket, prefix: 'live/' }).open());
    const target = await s3.createBucket('refused');
    await put(s3.client, target, 'media/existing.txt', 'keep me');
    const before = await snapshot(s3.client, target);
    const refusal = new Error('hash mismatch');

    const restore = new MediaS3Source({ client: s3.client, bucket: target, prefix: 'media/' }).restore(
      Readable.from([tar]),
      {
        beforeCommit: async () => {
          throw refusal;
        },
      },
    );

    await expect(restore).rejects.toBe(refusal);
    expect(await snapshot(s3.client, target)).toEqual(before);
  });

  it('restores an S3 backup into a directory and back', async () => {
    const bucket = await sourceBucket();
    const tar = await collect(new MediaS3Source({ client: s3.client, bucket, prefix: 'live/' }).open());
    const directory = join(await tempDir(), 'media');
    await new MediaDirSource({ path: directory }).restore(Readable.from([tar]), commit);
    expect(Object.keys(readTree(directory)).sort()).toEqual([
      'docs/deep/nested/report.pdf',
      'empty.txt',
      'fotos/Zürich 日本.jpg',
      'large.bin',
    ]);

    const target = await s3.createBucket('from-dir');
    const fromDirectory = await collect(new MediaDirSource({ path: directory }).open());
    await new MediaS3Source({ client: s3.client, bucket: target, prefix: '' }).restore(
      Readable.from([fromDirectory]),
      commit,
    );
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: target, Key: 'large.bin' }));
    expect(head.ContentLength).toBe(6 * 1024 * 1024 + 5);
  });

  it('describes the prefix with its size', async () => {
    const bucket = await s3.createBucket('describe');
    await put(s3.client, bucket, 'shop/a.txt', '12345');
    await put(s3.client, bucket, 'shop/b/c.txt', '678');
    await put(s3.client, bucket, 'elsewhere.txt', 'not counted');
    await expect(new MediaS3Source({ client: s3.client, bucket, prefix: 'shop' }).describe()).resolves.toBe(
      `media s3://${bucket}/shop/ (2 files, 8 bytes)`,
    );
  });
});
