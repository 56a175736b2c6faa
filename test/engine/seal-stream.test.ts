import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { expect, test, vi } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import { isMovable, movableChunk, spareBlocks, takeBlock } from '../../src/domain/movable-chunks.ts';
import { SealStream } from '../../src/engine/seal-stream.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test.each([0, 1, 65536, 3 * 65536 + 7, 5_000_000])(
  '%i bytes seal into an age file the age CLI opens, with both digests',
  async (size) => {
    const { identity, recipient } = generateIdentity();
    const plaintext = randomBytes(size);
    const sealed = new SealStream([recipient]);
    const chunks: Buffer[] = [];
    await pipeline(
      Readable.from(plaintext.length === 0 ? [] : [plaintext.subarray(0, size >> 1), plaintext.subarray(size >> 1)]),
      sealed,
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk);
      },
    );
    const ageFile = Buffer.concat(chunks);
    const dir = mkdtempSync(join(tmpdir(), 'backstop-seal-'));
    writeFileSync(join(dir, 'key'), `${identity}\n`);
    // Compared by hash: a deep equality over megabytes of Buffer takes the test runner seconds.
    const opened = execFileSync('age', ['-d', '-i', join(dir, 'key')], { input: ageFile, maxBuffer: 64 << 20 });
    expect(sha256(opened)).toBe(sha256(plaintext));
    expect(sealed.digests).toEqual({
      plain: { bytes: size, sha256: sha256(plaintext) },
      stored: { bytes: ageFile.length, sha256: sha256(ageFile) },
    });
  },
);

test('a chunk marked movable moves to the worker; any other is copied and left as it was', async () => {
  const { identity, recipient } = generateIdentity();
  const marked = movableChunk(randomBytes(100_000));
  const unmarked = randomBytes(100_000);
  const slab = randomBytes(10_000);
  const part = movableChunk(slab.subarray(0, 4000)); // a part of its memory: the mark does not take
  const expected = Buffer.concat([marked, unmarked, part]);
  const sealed = new SealStream([recipient]);
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([marked, unmarked, part]), sealed, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  expect([marked.length, unmarked.length, part.length, slab.length]).toEqual([0, 100_000, 4000, 10_000]);
  const dir = mkdtempSync(join(tmpdir(), 'backstop-seal-'));
  writeFileSync(join(dir, 'key'), `${identity}\n`);
  const opened = execFileSync('age', ['-d', '-i', join(dir, 'key')], { input: Buffer.concat(chunks) });
  expect(sha256(opened)).toBe(sha256(expected));
});

test('a bad recipient is refused at once, before any worker runs', () => {
  expect(() => new SealStream(['age1notarecipient'])).toThrow(expect.objectContaining({ code: 'bad-recipient' }));
});

/**
 * Resolves once a stream that asked its writer to wait has settled either way: 'drained' (the writer may go on), or
 * 'held': its readable side is full and the worker has taken every chunk it was given, so nothing is left that could
 * let the writer go on but a reader.
 */
async function settled(stream: SealStream): Promise<'drained' | 'held'> {
  let drained = false;
  const onDrain = () => {
    drained = true;
  };
  stream.once('drain', onDrain);
  try {
    await vi.waitFor(
      () => {
        const full = stream.readableLength >= stream.readableHighWaterMark && stream.chunksInFlight === 0;
        if (!drained && !full) throw new Error('still moving');
      },
      { timeout: 10_000, interval: 5 },
    );
  } finally {
    stream.off('drain', onDrain);
  }
  return drained ? 'drained' : 'held';
}

test('a reader that does not read holds the writer back', async () => {
  const sealed = new SealStream([generateIdentity().recipient]);
  let accepted = 0;
  const chunk = randomBytes(65536);
  for (let i = 0; i < 200; i++) {
    accepted += 1;
    if (!sealed.write(chunk) && (await settled(sealed)) === 'held') break;
  }
  // 200 chunks are 12.5 MiB; backpressure stops the writer after a few MiB (in flight + the reader's buffer).
  expect(sealed.writableNeedDrain).toBe(true);
  expect(accepted).toBeLessThan(100);
  sealed.destroy();
});

test('destroying the stream ends its worker and reports the error', async () => {
  const sealed = new SealStream([generateIdentity().recipient]);
  sealed.write(randomBytes(1000));
  sealed.destroy(new Error('source failed'));
  await expect(buffer(sealed)).rejects.toThrow('source failed');
});

test('plaintext blocks come back as spares for the next block, and the age file leaves in movable pieces', async () => {
  const { identity, recipient } = generateIdentity();
  const blockBytes = 96 * 1024; // a size of this test's own, so no other test's spares count
  const blocks = Array.from({ length: 12 }, () => {
    const block = takeBlock(blockBytes);
    randomBytes(blockBytes).copy(block);
    return block;
  });
  const expected = Buffer.concat(blocks);
  const sealed = new SealStream([recipient]);
  const pieces: Buffer[] = [];
  const movablePieces: boolean[] = [];
  await pipeline(Readable.from(blocks.map(movableChunk)), sealed, async (source: AsyncIterable<Buffer>) => {
    for await (const piece of source) {
      movablePieces.push(isMovable(piece));
      pieces.push(Buffer.from(piece));
    }
  });
  expect(blocks.every((block) => block.length === 0)).toBe(true); // moved, not copied
  expect(spareBlocks(blockBytes)).toBe(12);
  // Every piece but the last is a whole MiB of its own memory; the last is a part of one.
  expect(movablePieces.slice(0, -1)).toEqual(movablePieces.slice(0, -1).map(() => true));
  expect(movablePieces.at(-1)).toBe(false);
  const dir = mkdtempSync(join(tmpdir(), 'backstop-seal-'));
  writeFileSync(join(dir, 'key'), `${identity}\n`);
  const opened = execFileSync('age', ['-d', '-i', join(dir, 'key')], {
    input: Buffer.concat(pieces),
    maxBuffer: 64 << 20,
  });
  expect(sha256(opened)).toBe(sha256(expected));
});
