import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { loadAhead } from './media-load-ahead.ts';
import { mediaPathProblem } from './media-path.ts';
import type { MediaS3Location } from './media-s3-location.ts';
import type { MediaTarEntry, MediaTarSkip } from './media-tar-writer.ts';

/** Objects up to this size are fetched whole, several at once, ahead of the tar; larger ones are streamed in turn. */
const SMALL_OBJECT_BYTES = 1024 * 1024;

/** How many small objects are fetched ahead; S3 latency, not bandwidth, limits a prefix of small files. */
const FETCH_AHEAD = 8;

type Listed = { key: string; path: string; size: number };
type Loaded = MediaTarEntry | { kind: 'large'; key: string; path: string };

/**
 * The objects under `location` as tar entries, in listing order. Size, modification time and content type come from
 * the GetObject response, so they describe the very bytes that are archived even if the object was replaced since
 * listing. Empty folder markers ("photos/") are ignored like directories; other keys that are not valid relative
 * paths ("a//b", "../x", "x\\y") are skipped and listed in the manifest.
 */
export async function* readMediaS3(location: MediaS3Location): AsyncGenerator<MediaTarEntry> {
  for await (const loaded of loadAhead(classify(location), (item) => loadSmall(location, item), FETCH_AHEAD)) {
    if (loaded.kind !== 'large') {
      yield loaded;
      continue;
    }
    const response = await get(location, loaded.key);
    if (response === undefined) {
      yield { kind: 'skipped', path: loaded.path, reason: 'vanished while reading' };
      continue;
    }
    const body = response.Body as Readable; // in Node, the SDK's body is an http.IncomingMessage
    try {
      yield { kind: 'file', path: loaded.path, ...describe(response), content: body };
    } finally {
      // The tar took the body, or gave up on it: either way no socket may stay open.
      body.destroy();
    }
  }
}

async function* classify(location: MediaS3Location): AsyncGenerator<Listed | MediaTarSkip> {
  for await (const { key, size } of location.list()) {
    const path = key.slice(location.prefix.length);
    if ((path === '' || path.endsWith('/')) && size === 0) continue;
    const problem = mediaPathProblem(path);
    yield problem === undefined ? { key, path, size } : { kind: 'skipped', path, reason: problem };
  }
}

async function loadSmall(location: MediaS3Location, item: Listed | MediaTarSkip): Promise<Loaded> {
  if ('kind' in item) return item;
  if (item.size > SMALL_OBJECT_BYTES) return { kind: 'large', key: item.key, path: item.path };
  const response = await get(location, item.key);
  if (response === undefined) return { kind: 'skipped', path: item.path, reason: 'vanished while reading' };
  const content = Buffer.from(
    await response.Body!.transformToByteArray().catch((error: unknown) => {
      throw location.failed('download', error, item.key);
    }),
  );
  return { kind: 'file', path: item.path, ...describe(response), content };
}

type GetObjectResponse = Awaited<ReturnType<typeof getObject>>;

function getObject(location: MediaS3Location, key: string) {
  return location.client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
}

/** The object, or undefined if it was deleted since listing (it is then simply not part of this backup). */
async function get(location: MediaS3Location, key: string): Promise<GetObjectResponse | undefined> {
  try {
    return await getObject(location, key);
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
    throw location.failed('download', error, key);
  }
}

function describe(response: GetObjectResponse): { size: number; mtime: Date; contentType?: string } {
  const size = response.ContentLength ?? 0;
  const mtime = response.LastModified ?? new Date(0);
  return response.ContentType === undefined ? { size, mtime } : { size, mtime, contentType: response.ContentType };
}
