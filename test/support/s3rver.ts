import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A running s3rver, the S3 peer of the tests. */
export interface S3rverPeer {
  endpoint: string;
  /** Settings known to work against s3rver (see shared NOTES): path style, us-east-1, checksums only when required. */
  clientConfig: {
    endpoint: string;
    region: string;
    forcePathStyle: boolean;
    credentials: { accessKeyId: string; secretAccessKey: string };
    requestChecksumCalculation: 'WHEN_REQUIRED';
    responseChecksumValidation: 'WHEN_REQUIRED';
  };
  client: S3Client;
  /** Creates a bucket with a fresh unique name and returns the name. */
  createBucket(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let bucketCounter = 0;

export async function startS3rver(): Promise<S3rverPeer> {
  const directory = await mkdtemp(join(tmpdir(), 'backstop-s3rver-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', join(import.meta.dirname, 's3rver-process.mjs'), directory],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
  });
  const { port } = JSON.parse(firstLine) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
  const client = new S3Client(clientConfig);
  return {
    endpoint,
    clientConfig,
    client,
    async createBucket(prefix = 'bucket') {
      bucketCounter += 1;
      const name = `${prefix}-${process.pid}-${bucketCounter}-${Date.now().toString(36)}`.toLowerCase();
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      client.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
