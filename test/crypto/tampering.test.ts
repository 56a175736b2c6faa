import { randomBytes } from 'node:crypto';
import { armor } from 'age-encryption';
import { describe, expect, test } from 'vitest';
import { encodeHeader } from '../../src/crypto/age-header.ts';
import { createDecryptStream, generateIdentity, parseRecipient } from '../../src/crypto/index.ts';
import { PayloadCipher } from '../../src/crypto/payload-cipher.ts';
import { wrapFileKey } from '../../src/crypto/x25519-stanza.ts';
import { encrypt, run } from './helpers.ts';

const CHUNK = 64 * 1024;
const SEALED_CHUNK = CHUNK + 16;
const { identity, recipient } = generateIdentity();

/** Decrypts `file` with our identity; `emitted` shows what was released before any error. */
function open(file: Buffer, sliceSize?: number) {
  return run(createDecryptStream([identity]), file, sliceSize);
}

/** Where the payload (nonce, then chunks) starts in an age file we wrote. */
function payloadStart(file: Buffer): number {
  return file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
}

/** Builds an age file chunk by chunk, so tests can make malformed payloads that a correct encoder never writes. */
function craft(chunks: { plaintext: Buffer; last: boolean }[]): Buffer {
  const fileKey = randomBytes(16);
  const nonce = randomBytes(16);
  const cipher = new PayloadCipher(fileKey, nonce);
  const header = encodeHeader([wrapFileKey(fileKey, parseRecipient(recipient))], fileKey);
  return Buffer.concat([header, nonce, ...chunks.flatMap(({ plaintext, last }) => cipher.seal([plaintext], last))]);
}

function flipped(file: Buffer, position: number, mask = 0x01): Buffer {
  const copy = Buffer.from(file);
  copy[position]! ^= mask;
  return copy;
}

describe('tampered, truncated and foreign input', () => {
  // 3 full chunks and a short final one.
  const plaintext = randomBytes(3 * CHUNK + 1000);
  const filePromise = encrypt([recipient], plaintext);

  test('the test file itself decrypts', async () => {
    const file = await filePromise;
    expect((await open(file).done).equals(plaintext)).toBe(true);
  });

  test('a wrong identity fails with decrypt-no-identity, naming what the file is encrypted to', async () => {
    const file = await filePromise;
    const { emitted, done } = run(createDecryptStream([generateIdentity().identity]), file);
    await expect(done).rejects.toMatchObject({
      code: 'decrypt-no-identity',
      userMessage: expect.stringMatching(/1 X25519 recipient.*identity files/),
    });
    expect(emitted).toEqual([]);
  });

  test('any bit flipped anywhere in a small file fails, and releases nothing', async () => {
    const file = await encrypt([recipient], randomBytes(20));
    const codes = new Set<string>();
    for (let position = 0; position < file.length; position++) {
      // 0x20 swaps a letter's case, so base64 stays valid and the keys or MAC must catch it; 0x01 often breaks syntax.
      for (const mask of [0x01, 0x20]) {
        const { emitted, done } = open(flipped(file, position, mask));
        const error = await done.then(
          () => new Error(`flipping bit ${mask} of byte ${position} went unnoticed`),
          (reason: unknown) => reason,
        );
        expect(error).toMatchObject({ code: expect.stringMatching(/^decrypt-(corrupt|no-identity|truncated)$/) });
        codes.add((error as { code: string }).code);
        expect(emitted).toEqual([]);
      }
    }
    // Flips in the stanza make it unopenable (as a wrong key would); elsewhere they are damage.
    expect(codes).toContain('decrypt-corrupt');
    expect(codes).toContain('decrypt-no-identity');
  });

  test('a flipped byte in the header MAC or intro is decrypt-corrupt', async () => {
    const file = await filePromise;
    const macPosition = file.indexOf('\n---') + 10; // a base64 character of the MAC
    for (const position of [0, 5, macPosition]) {
      // 'A' <-> 'B' style flips keep the base64 valid, so the MAC itself is what fails.
      const { emitted, done } = open(flipped(file, position, 0x03));
      await expect(done).rejects.toMatchObject({ code: 'decrypt-corrupt', userMessage: /altered or damaged/ });
      expect(emitted).toEqual([]);
    }
  });

  test('a flipped byte in the payload is decrypt-corrupt; only the chunks before it are released', async () => {
    const file = await filePromise;
    const start = payloadStart(file);
    const cases = [
      { position: start + 3, released: 0 }, // the payload nonce: every chunk key changes
      { position: start + 16 + 100, released: 0 },
      { position: start + 16 + SEALED_CHUNK + 7, released: 1 },
      { position: start + 16 + 2 * SEALED_CHUNK + SEALED_CHUNK - 1, released: 2 }, // the tag of chunk 3
      { position: file.length - 1, released: 3 }, // the final chunk's tag
      { position: file.length - 600, released: 3 },
    ];
    for (const { position, released } of cases) {
      const { emitted, done } = open(flipped(file, position), 5000);
      await expect(done).rejects.toMatchObject({ code: 'decrypt-corrupt' });
      expect(Buffer.concat(emitted).equals(plaintext.subarray(0, released * CHUNK))).toBe(true);
    }
  });

  test('a truncated file fails; cuts that can only be truncation are decrypt-truncated', async () => {
    const file = await filePromise;
    const start = payloadStart(file);
    const chunks = start + 16;
    const cases = [
      { length: 0, code: 'decrypt-truncated', released: 0 },
      { length: 10, code: 'decrypt-truncated', released: 0 }, // inside the first line
      { length: start - 20, code: 'decrypt-truncated', released: 0 }, // inside the MAC line
      { length: start, code: 'decrypt-truncated', released: 0 }, // right after the header
      { length: start + 9, code: 'decrypt-truncated', released: 0 }, // inside the nonce
      { length: chunks, code: 'decrypt-truncated', released: 0 }, // no chunk at all
      { length: chunks + 15, code: 'decrypt-truncated', released: 0 }, // too short to hold a tag
      { length: chunks + SEALED_CHUNK, code: 'decrypt-truncated', released: 1 }, // exactly at chunk boundaries
      { length: chunks + 2 * SEALED_CHUNK, code: 'decrypt-truncated', released: 2 },
      { length: chunks + 3 * SEALED_CHUNK, code: 'decrypt-truncated', released: 3 },
      { length: chunks + SEALED_CHUNK + 5, code: 'decrypt-truncated', released: 1 },
      // Cut inside a chunk, what remains looks like a damaged final chunk: the tag check fails either way.
      { length: chunks + SEALED_CHUNK + 30_000, code: 'decrypt-corrupt', released: 1 },
      { length: file.length - 1, code: 'decrypt-corrupt', released: 3 },
    ];
    for (const { length, code, released } of cases) {
      for (const sliceSize of [undefined, 4099]) {
        const { emitted, done } = open(file.subarray(0, length), sliceSize);
        await expect(done, `cut at ${length}`).rejects.toMatchObject({ code });
        expect(Buffer.concat(emitted).equals(plaintext.subarray(0, released * CHUNK))).toBe(true);
      }
    }
  });

  test('decrypt-truncated says the object is incomplete', async () => {
    const file = await filePromise;
    await expect(open(file.subarray(0, payloadStart(file) + 16 + SEALED_CHUNK)).done).rejects.toMatchObject({
      userMessage: expect.stringMatching(/ends early: it is incomplete/),
    });
  });

  test('data after the final chunk is decrypt-corrupt', async () => {
    const short = await encrypt([recipient], randomBytes(1000));
    await expect(open(Buffer.concat([short, Buffer.from('x')])).done).rejects.toMatchObject({
      code: 'decrypt-corrupt',
    });
    // A full-length final chunk authenticates before the extra data shows; like age, it is released, then refused.
    const full = randomBytes(CHUNK);
    const fullFile = await encrypt([recipient], full);
    const { emitted, done } = open(Buffer.concat([fullFile, randomBytes(40)]));
    await expect(done).rejects.toMatchObject({ code: 'decrypt-corrupt', message: /data follows the final/ });
    expect(Buffer.concat(emitted).equals(full)).toBe(true);
  });

  test('malformed chunk sequences are decrypt-corrupt', async () => {
    const a = randomBytes(CHUNK);
    const b = randomBytes(500);
    // The crafted form of a valid file decrypts, so the failures below are the sequences' own.
    expect(
      (
        await open(
          craft([
            { plaintext: a, last: false },
            { plaintext: b, last: true },
          ]),
        ).done
      ).equals(Buffer.concat([a, b])),
    ).toBe(true);
    const malformed = [
      [
        { plaintext: b, last: false },
        { plaintext: a, last: true },
      ], // a short chunk that is not the last
      [
        { plaintext: b, last: true },
        { plaintext: b, last: true },
      ], // a final chunk, then another
      [
        { plaintext: a, last: false },
        { plaintext: Buffer.alloc(0), last: true },
      ], // empty final chunk after data
      [
        { plaintext: a, last: false },
        { plaintext: a, last: false },
        { plaintext: b, last: false },
      ], // no final chunk
    ];
    for (const chunks of malformed) {
      await expect(open(craft(chunks)).done).rejects.toMatchObject({ code: 'decrypt-corrupt' });
    }
  });

  test('armor that is not strict base64 fails, even where Node would decode the same bytes', async () => {
    const small = randomBytes(300_000);
    const armored = Buffer.from(armor.encode(await encrypt([recipient], small)));
    expect((await open(armored).done).equals(small)).toBe(true);
    // base64url characters, far into the file where whole runs of lines are decoded at once.
    for (const [from, to] of [
      ['+', '-'],
      ['/', '_'],
    ] as const) {
      const position = armored.indexOf(from, 250_000);
      const altered = Buffer.concat([armored.subarray(0, position), Buffer.from(to), armored.subarray(position + 1)]);
      await expect(open(altered).done).rejects.toMatchObject({ code: 'decrypt-corrupt', message: /ASCII armor/ });
    }
  });

  test('input that is not age fails at once, saying so', async () => {
    await expect(open(randomBytes(10 * 1024 * 1024)).done).rejects.toMatchObject({
      code: 'decrypt-corrupt',
      message: /not an age-encrypted file/,
    });
    await expect(open(Buffer.from('hello\nworld\n')).done).rejects.toMatchObject({ code: 'decrypt-corrupt' });
    const file = await filePromise;
    const crlf = Buffer.concat([Buffer.from('age-encryption.org/v1\r\n'), file.subarray(22)]);
    await expect(open(crlf, 1).done).rejects.toMatchObject({ code: 'decrypt-corrupt', message: /CRLF/ });
  });

  test('identities are checked when the stream is made', () => {
    expect(() => createDecryptStream([])).toThrow(expect.objectContaining({ code: 'bad-identity' }));
    expect(() => createDecryptStream([recipient])).toThrow(expect.objectContaining({ code: 'bad-identity' }));
  });
});
