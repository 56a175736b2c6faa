import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import { decrypt, encrypt } from './helpers.ts';

const CHUNK = 64 * 1024;
const SEALED_CHUNK = CHUNK + 16;

/** The age payload size for `size` plaintext bytes: nonce, then one tag per chunk, and at least one chunk. */
function payloadSize(size: number): number {
  return 16 + size + 16 * Math.max(1, Math.ceil(size / CHUNK));
}

describe('own encrypt/decrypt round trip', () => {
  const { identity, recipient } = generateIdentity();
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * 1024 * 1024 + 3];
  // Odd slices cross every boundary (header, nonce, chunk) at different places; single bytes are the worst case.
  const sliceSizes = [1, 7, 4093, SEALED_CHUNK + 3, 1024 * 1024 + 1, undefined];

  for (const size of sizes) {
    for (const sliceSize of sliceSizes) {
      // Byte-at-a-time streams cost one event per byte: keep them to the sizes around the chunk boundaries.
      if (sliceSize === 1 && size > 3 * CHUNK) continue;
      test(`${size} bytes, fed ${sliceSize === undefined ? 'whole' : `in slices of ${sliceSize}`}`, async () => {
        const plaintext = randomBytes(size);
        const ciphertext = await encrypt([recipient], plaintext, sliceSize);
        const headerEnd = ciphertext.indexOf('\n---') + 1;
        const payloadStart = ciphertext.indexOf('\n', headerEnd) + 1;
        expect(ciphertext.length - payloadStart).toBe(payloadSize(size));
        expect((await decrypt([identity], ciphertext, sliceSize)).equals(plaintext)).toBe(true);
      });
    }
  }

  test('every encryption uses a fresh file key and nonce', async () => {
    const plaintext = Buffer.from('same input');
    const [first, second] = await Promise.all([encrypt([recipient], plaintext), encrypt([recipient], plaintext)]);
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(-plaintext.length - 16).equals(second.subarray(-plaintext.length - 16))).toBe(false);
  });

  test('a file for several recipients opens with the identity of any of them', async () => {
    const others = [generateIdentity(), generateIdentity()];
    const plaintext = randomBytes(100_000);
    const ciphertext = await encrypt([others[0]!.recipient, recipient, others[1]!.recipient], plaintext);
    for (const id of [identity, others[0]!.identity, others[1]!.identity]) {
      expect((await decrypt([id], ciphertext)).equals(plaintext)).toBe(true);
    }
  });

  test('decryption tries every identity given, in any order', async () => {
    const plaintext = randomBytes(10);
    const ciphertext = await encrypt([recipient], plaintext);
    const unrelated = generateIdentity().identity;
    expect((await decrypt([unrelated, identity], ciphertext)).equals(plaintext)).toBe(true);
  });
});
