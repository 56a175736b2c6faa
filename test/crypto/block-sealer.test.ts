import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { BlockSealer, generateIdentity, startAgeFile } from '../../src/crypto/index.ts';
import { decrypt, encrypt } from './helpers.ts';

const CHUNK = 64 * 1024;

/** Seals `plaintext` handed in as blocks of `blockSize`, each block overwritten as soon as `add` returns. */
function sealInReusedBlocks(recipient: string, plaintext: Buffer, blockSize: number): Buffer {
  const { intro, cipher } = startAgeFile([recipient]);
  const out: Buffer[] = [intro];
  const sealer = new BlockSealer(cipher, (piece) => out.push(Buffer.from(piece)));
  const block = Buffer.alloc(blockSize);
  for (let start = 0; start < plaintext.length; start += blockSize) {
    const length = plaintext.copy(block, 0, start, start + blockSize);
    sealer.add(block.subarray(0, length));
    block.fill(0xee); // the caller reuses the block at once: the sealer must hold no view of it
  }
  sealer.end();
  return Buffer.concat(out);
}

test.each([
  [0, 256 * 1024],
  [1, 256 * 1024],
  [CHUNK, CHUNK],
  [CHUNK + 1, CHUNK],
  [3 * CHUNK, 256 * 1024],
  [5 * CHUNK + 17, 1000],
  [2 * 1024 * 1024 + 3, 256 * 1024],
  [700_000, 3 * CHUNK + 5],
])(
  '%i bytes in reused blocks of %i seal into the same age file layout and open to the plaintext',
  async (size, blockSize) => {
    const { identity, recipient } = generateIdentity();
    const plaintext = randomBytes(size);
    const sealed = sealInReusedBlocks(recipient, plaintext, blockSize);
    expect((await decrypt([identity], sealed)).equals(plaintext)).toBe(true);
    // The same length as the stream encryption's: chunks cut at the same places, the last one flagged final.
    expect(sealed.length).toBe((await encrypt([recipient], plaintext)).length);
  },
);
