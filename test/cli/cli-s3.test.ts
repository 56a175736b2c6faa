import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';

let s3: S3rverPeer;
let cwd: string;
let backups: string;
let media: string;

beforeAll(async () => {
  s3 = await startS3rver();
  backups = await s3.createBucket('backups');
  media = await s3.createBucket('media');
  cwd = mkdtempSync(join(tmpdir(), 'backstop-cli-s3-'));
  for (const [key, body] of [
    ['live/photos/1.jpg', 'one'],
    ['live/photos/2.jpg', 'two'],
    ['staging/old.jpg', 'stale'],
  ]) {
    await s3.client.send(new PutObjectCommand({ Bucket: media, Key: key, Body: body, ContentType: 'image/jpeg' }));
  }
  const connection = `{ endpoint: "${s3.endpoint}", region: us-east-1, forcePathStyle: true, accessKeyId: S3RVER, secretAccessKey: S3RVER }`;
  writeFileSync(
    join(cwd, 'backstop.yaml'),
    `storage:
  s3: { bucket: ${backups}, prefix: team/backstop, endpoint: "${s3.endpoint}", region: us-east-1, forcePathStyle: true, accessKeyId: S3RVER, secretAccessKey: S3RVER }
apps:
  site:
    environments:
      live: { media: "s3://${media}/live", mediaS3: ${connection} }
      staging: { media: "s3://${media}/staging", mediaS3: ${connection} }
`,
  );
});

afterAll(async () => {
  await s3.stop();
  rmSync(cwd, { recursive: true, force: true });
});

test('a configuration naming buckets backs up media from S3 into S3 and restores it into another prefix', async () => {
  const create = await runBackstop(['create', 'media', 'site/live', 'from the bucket', '--json'], { cwd });
  expect(create.code).toBe(0);
  const backup = create.json();
  const key = `team/backstop/site/live/${backup.id}/media.tar.age`;
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: backups, Key: key }));
  expect(head.StorageClass).toBe('STANDARD_IA');
  expect(head.ContentLength).toBe(backup.parts[0].storedSizeBytes);

  const restore = await runBackstop(['restore', backup.id, 'to', 'site/staging', '--yes', '--json'], { cwd });
  expect(restore.code).toBe(0);
  expect(restore.json()).toMatchObject({ status: 'succeeded', safetyBackupId: expect.any(String) });
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: media, Prefix: 'staging/' }));
  expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(['staging/photos/1.jpg', 'staging/photos/2.jpg']);
  const photo = await s3.client.send(new GetObjectCommand({ Bucket: media, Key: 'staging/photos/2.jpg' }));
  expect(await photo.Body?.transformToString()).toBe('two');
  expect(photo.ContentType).toBe('image/jpeg');

  const verify = await runBackstop(['verify', backup.id], { cwd });
  expect(verify.code).toBe(0);
});
