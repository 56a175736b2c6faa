import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** A body that yields `chunks` one by one and ends. */
export function streamOf(chunks: Uint8Array[]): Readable {
  return Readable.from(chunks);
}

/** A body that yields `chunks` and then fails with `error`, as a dying pg_dump would. */
export function failingStream(chunks: Uint8Array[], error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield* chunks;
      throw error;
    })(),
  );
}

/** `bytes` cut into chunks of `size` bytes, so a body arrives in many pieces. */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Length and hash: compares megabytes in one readable line of a failure message. */
export function fingerprint(bytes: Uint8Array): { length: number; sha256: string } {
  return { length: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
