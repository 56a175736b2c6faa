import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3-store.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';
import { type RecordedRequest, recordS3Requests } from './record-s3-requests.ts';
import { describeStoreContract, type FetchedLink } from './store-contract.ts';
import { chunksOf, collect, failingStream, fingerprint, readAll, streamOf } from './streams.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

let peer: S3rverPeer;

beforeAll(async () => {
  peer = await startS3rver();
});

afterAll(async () => {
  await peer.stop();
});

describeStoreContract('S3Store', async (clock) => {
  const client = new S3Client(peer.clientConfig);
  const bucket = await peer.createBucket('contract');
  // The smallest part size S3 allows, so the contract's larger bodies go multipart; pages of 2 keys so lists page.
  const store = new S3Store({
    client,
    bucket,
    prefix: 'backstop/',
    partSizeBytes: 5 * MIB,
    listPageSize: 2,
    now: clock.now,
  });
  return {
    store,
    fetchLink: fetchPresigned,
    async cleanup() {
      client.destroy();
    },
  };
});

/** GETs a presigned URL straight from s3rver, which refuses it with 403 "Request has expired" once it has. */
async function fetchPresigned(url: string): Promise<FetchedLink> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status === 403 && bytes.toString().includes('Request has expired')) {
    throw Object.assign(new Error(`s3rver refused an expired link: ${bytes}`), { code: 'link-expired' });
  }
  if (!response.ok) throw new Error(`GET of a presigned link failed with HTTP ${response.status}: ${bytes}`);
  const encodedName = response.headers.get('content-disposition')?.match(/filename\*=UTF-8''([^;]+)/)?.[1];
  return { bytes, filename: encodedName === undefined ? undefined : decodeURIComponent(encodedName) };
}

describe('S3Store against s3rver', () => {
  let client: S3Client;
  let requests: RecordedRequest[];
  let bucket: string;

  beforeEach(async () => {
    client = new S3Client(peer.clientConfig);
    requests = recordS3Requests(client);
    bucket = await peer.createBucket('s3-store');
  });

  afterEach(() => {
    client.destroy();
  });

  function storeWith(options: Partial<S3StoreOptions> = {}): S3Store {
    return new S3Store({ client, bucket, partSizeBytes: 5 * MIB, ...options });
  }

  function sent(command: string): RecordedRequest[] {
    return requests.filter((request) => request.command === command);
  }

  async function head(key: string) {
    return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  }

  const elevenMib = () => chunksOf(randomBytes(11 * MIB), 64 * KIB);

  it('stores objects as STANDARD_IA by default, whether put whole or in parts', async () => {
    const store = storeWith();
    await store.write('small.bin', streamOf([randomBytes(KIB)]));
    await store.write('large.bin', streamOf(elevenMib()));

    expect(sent('PutObjectCommand')).toMatchObject([{ headers: { 'x-amz-storage-class': 'STANDARD_IA' } }]);
    expect(sent('CreateMultipartUploadCommand')).toMatchObject([{ headers: { 'x-amz-storage-class': 'STANDARD_IA' } }]);
    // s3rver keeps the storage class it was sent and reports it back, so this checks what was stored.
    expect((await head('small.bin')).StorageClass).toBe('STANDARD_IA');
    expect((await head('large.bin')).StorageClass).toBe('STANDARD_IA');
  });

  it('stores objects in the configured storage class', async () => {
    await storeWith({ storageClass: 'ONEZONE_IA' }).write('object.bin', streamOf([randomBytes(KIB)]));
    expect((await head('object.bin')).StorageClass).toBe('ONEZONE_IA');
  });

  it('asks for AES256 server-side encryption on every object when configured', async () => {
    const store = storeWith({ serverSideEncryption: 'AES256' });
    const large = elevenMib();
    await store.write('small.bin', streamOf([Buffer.from('small')]));
    await store.write('large.bin', streamOf(large));

    const encrypted = { headers: { 'x-amz-server-side-encryption': 'AES256' } };
    expect(sent('PutObjectCommand')).toMatchObject([encrypted]);
    expect(sent('CreateMultipartUploadCommand')).toMatchObject([encrypted]);
    expect(fingerprint(await readAll(await store.read('large.bin')))).toEqual(fingerprint(Buffer.concat(large)));
  });

  it('asks for aws:kms encryption with the configured key', async () => {
    await storeWith({ serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/backstop' }).write(
      'object.bin',
      streamOf([Buffer.from('secret')]),
    );
    expect(sent('PutObjectCommand')).toMatchObject([
      {
        headers: {
          'x-amz-server-side-encryption': 'aws:kms',
          'x-amz-server-side-encryption-aws-kms-key-id': 'alias/backstop',
        },
      },
    ]);
  });

  it('uploads 40 MiB in parts while holding no more than the parts in flight', async () => {
    const partSizeBytes = 5 * MIB;
    const queueSize = 2;
    const total = 40 * MIB;
    const chunkSize = 256 * KIB;
    // Bytes the source has handed out minus bytes s3rver has acknowledged: what the upload holds in memory.
    let produced = 0;
    let acknowledged = 0;
    let peakHeld = 0;
    const measuredClient = new S3Client(peer.clientConfig);
    const parts = recordS3Requests(measuredClient, (request) => {
      if (request.command === 'UploadPartCommand' && request.status === 200) acknowledged += request.bodyBytes ?? 0;
    });
    const hash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let offset = 0; offset < total; offset += chunkSize) {
          const chunk = randomBytes(chunkSize);
          hash.update(chunk);
          produced += chunk.length;
          peakHeld = Math.max(peakHeld, produced - acknowledged);
          yield chunk;
        }
      })(),
      { highWaterMark: 1 },
    );
    const store = new S3Store({ client: measuredClient, bucket, partSizeBytes, queueSize });

    try {
      await expect(store.write('big.bin', source)).resolves.toEqual({ sizeBytes: total });
    } finally {
      measuredClient.destroy();
    }

    const uploaded = parts.filter((request) => request.command === 'UploadPartCommand');
    expect(uploaded.map((request) => request.bodyBytes)).toEqual(Array(8).fill(partSizeBytes));
    expect(peakHeld).toBeGreaterThanOrEqual(partSizeBytes);
    expect(peakHeld).toBeLessThanOrEqual((queueSize + 1) * partSizeBytes + MIB);
    const stored = await readAll(await storeWith().read('big.bin'));
    expect(fingerprint(stored).sha256).toBe(hash.digest('hex'));
  });

  it('rejects with the body’s error when it fails mid-multipart, aborts the upload and completes nothing', async () => {
    const store = storeWith();
    const failure = new Error('media walk failed');

    await expect(
      store.write('broken.bin', failingStream(chunksOf(randomBytes(12 * MIB), 64 * KIB), failure)),
    ).rejects.toBe(failure);

    const [created] = sent('CreateMultipartUploadCommand');
    expect(created).toBeDefined();
    expect(sent('UploadPartCommand').length).toBeGreaterThan(0);
    // s3rver answers AbortMultipartUpload with 405; the store tries anyway, as S3 would free the parts.
    expect(sent('AbortMultipartUploadCommand')).toMatchObject([{ input: { Key: 'broken.bin' }, status: 405 }]);
    expect(sent('CompleteMultipartUploadCommand')).toEqual([]);
    expect(await collect(store.list(''))).toEqual([]);
  });

  it('follows continuation tokens page by page', async () => {
    const store = storeWith({ listPageSize: 2 });
    const keys = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5'];
    for (const key of keys) await store.write(key, streamOf([Buffer.from(key)]));
    requests.length = 0;

    expect((await collect(store.list('p/'))).map((object) => object.key)).toEqual(keys);

    const pages = sent('ListObjectsV2Command');
    expect(pages.map((page) => page.input['MaxKeys'])).toEqual([2, 2, 2]);
    expect(pages[0]?.input['ContinuationToken']).toBeUndefined();
    expect(pages.slice(1).every((page) => typeof page.input['ContinuationToken'] === 'string')).toBe(true);
  });

  it('keeps its objects under its normalised prefix and hides the prefix from keys', async () => {
    const store = storeWith({ prefix: '/backstop/nested' });
    await store.write('shop/live/1/db.dump.age', streamOf([Buffer.from('db')]));

    const raw = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(raw.Contents?.map((object) => object.Key)).toEqual(['backstop/nested/shop/live/1/db.dump.age']);
    expect(store.describe()).toBe(`s3://${bucket}/backstop/nested/`);
    expect((await collect(store.list(''))).map((object) => object.key)).toEqual(['shop/live/1/db.dump.age']);
    const parent = storeWith({ prefix: 'backstop/' });
    expect((await collect(parent.list(''))).map((object) => object.key)).toEqual(['nested/shop/live/1/db.dump.age']);
    expect(storeWith().describe()).toBe(`s3://${bucket}/`);
  });

  it('reports a missing bucket as a permanent failure, without credentials in its messages', async () => {
    const secretAccessKey = 'do-not-leak-this-secret-key';
    const leakyClient = new S3Client({ ...peer.clientConfig, credentials: { accessKeyId: 'S3RVER', secretAccessKey } });
    const store = new S3Store({ client: leakyClient, bucket: 'no-such-bucket' });
    try {
      for (const attempt of [
        () => store.write('a.bin', streamOf([Buffer.from('a')])),
        () => store.read('a.bin'),
        () => collect(store.list('')),
      ]) {
        const error = await attempt().then(
          () => expect.unreachable('expected the request to fail'),
          (failure: unknown) => failure,
        );
        expect(error).toMatchObject({ code: 'storage-failed', retryable: false });
        expect(String((error as Error).message)).toContain('NoSuchBucket');
        expect(JSON.stringify(error)).not.toContain(secretAccessKey);
        expect(`${(error as Error).message} ${(error as { userMessage?: string }).userMessage}`).not.toContain(
          secretAccessKey,
        );
      }
    } finally {
      leakyClient.destroy();
    }
  });

  it('marks a refused connection as retryable', async () => {
    const port = await closedPort();
    const offline = new S3Client({ ...peer.clientConfig, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    try {
      await expect(new S3Store({ client: offline, bucket }).stat('a.bin')).rejects.toMatchObject({
        code: 'storage-failed',
        retryable: true,
      });
    } finally {
      offline.destroy();
    }
  });

  it('marks a 503 SlowDown as retryable', async () => {
    // A server that only ever asks to slow down, as S3 does under load; s3rver never does.
    const server = createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/xml' });
      response.end(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
    const port = await listen(server);
    const throttled = new S3Client({ ...peer.clientConfig, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    try {
      await expect(new S3Store({ client: throttled, bucket }).read('a.bin')).rejects.toMatchObject({
        code: 'storage-failed',
        retryable: true,
        message: expect.stringContaining('SlowDown'),
      });
    } finally {
      throttled.destroy();
      server.close();
    }
  });

  it.each<[string, Partial<S3StoreOptions>]>([
    ['an empty bucket name', { bucket: '' }],
    ['a part size below 5 MiB', { partSizeBytes: MIB }],
    ['a queue size of 0', { queueSize: 0 }],
    ['a list page size above 1000', { listPageSize: 1001 }],
    ['a KMS key without aws:kms', { serverSideEncryption: 'AES256', kmsKeyId: 'alias/backstop' }],
    ['a prefix with ".."', { prefix: 'backstop/../other' }],
  ])('refuses to be built with %s', (_, options) => {
    expect(() => storeWith(options)).toThrow(expect.objectContaining({ code: 'bad-config' }));
  });

  it('refuses link lifetimes S3 cannot sign (more than 7 days)', async () => {
    const store = storeWith();
    await expect(store.link('a.bin', 7 * 24 * 3600 + 1)).rejects.toMatchObject({ code: 'bad-ttl' });
    await expect(store.link('a.bin', 7 * 24 * 3600)).resolves.toContain('X-Amz-Expires=604800');
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: one just given up by a server. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
