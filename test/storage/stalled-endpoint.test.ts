import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createS3Client } from '../../cli/s3-client.ts';
import { MediaS3Source } from '../../src/sources/media-s3-source.ts';
import { RetryingStore } from '../../src/storage/retrying-store.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { readAll } from './streams.ts';

/** An endpoint that accepts connections and never answers a byte: the failure that once held a backup for ever. */
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** A client of the stalled endpoint that gives up on a call after a second without a byte. */
function stalledClient() {
  return createS3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'key',
    secretAccessKey: 'secret',
    timeouts: { connect: '1s', idle: '1s' },
  });
}

function stalledStore(): S3Store {
  return new S3Store({ client: stalledClient(), bucket: 'backups', prefix: 'backstop/' });
}

describe('an S3 endpoint that accepts connections and never answers', () => {
  test('every store call fails, retryable, instead of waiting for ever', async () => {
    const store = stalledStore();
    const retryable = { code: 'storage-failed', retryable: true };
    await expect(store.stat('a/b')).rejects.toMatchObject(retryable);
    await expect(store.read('a/b').then(readAll)).rejects.toMatchObject(retryable);
    await expect(store.write('a/b', Readable.from([Buffer.alloc(1024, 1)]))).rejects.toMatchObject(retryable);
  }, 60_000);

  test('through the retrying wrapper it is tried again and then fails with the same error', async () => {
    let retries = 0;
    const store = new RetryingStore(stalledStore(), {
      policy: { firstDelayMs: 10, maxDelayMs: 10, factor: 1, budgetMs: 50 },
      tools: {
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: () => 1,
        now: () => performance.now(),
        onRetry: () => {
          retries += 1;
        },
      },
    });
    await expect(store.stat('a/b')).rejects.toMatchObject({ code: 'storage-failed', retryable: true });
    expect(retries).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('a media bucket behind it fails its backup stream instead of stalling it', async () => {
    const source = new MediaS3Source({ client: stalledClient(), bucket: 'media', prefix: 'live/' });
    await expect(readAll(source.open())).rejects.toMatchObject({ code: 'media-s3-failed', retryable: true });
  }, 60_000);
});
