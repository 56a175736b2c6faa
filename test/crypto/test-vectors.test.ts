import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as vectors from 'cctv-age';
import { describe, expect, test } from 'vitest';
import { createDecryptStream, generateIdentity } from '../../src/crypto/index.ts';
import { run } from './helpers.ts';

/** One C2SP age test vector (see node_modules/cctv-age/README.md): textual fields, a blank line, an age file. */
interface Vector {
  name: string;
  expect: string;
  payloadSha256: string | undefined;
  identities: string[];
  passphrases: string[];
  file: Buffer;
}

function parseVector(name: string, raw: Uint8Array): Vector {
  const data = Buffer.from(raw);
  const split = data.indexOf('\n\n');
  const fields = data
    .subarray(0, split)
    .toString()
    .split('\n')
    .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const);
  const all = (key: string) => fields.filter(([k]) => k === key).map(([, value]) => value);
  const body = data.subarray(split + 2);
  return {
    name,
    expect: all('expect')[0]!,
    payloadSha256: all('payload')[0],
    identities: all('identity'),
    passphrases: all('passphrase'),
    file: all('compressed')[0] === 'zlib' ? inflateSync(body) : body,
  };
}

const all = Object.entries(vectors).map(([name, raw]) => parseVector(name, raw));

// Backstop implements X25519 recipients only. Vectors that need a passphrase (scrypt) or a post-quantum identity
// (AGE-SECRET-KEY-PQ-1) cannot succeed here; they are still run, with the vector's X25519 identities if any, and must
// fail without output, never decrypt to something.
const isSupported = (vector: Vector) =>
  vector.passphrases.length === 0 && vector.identities.every((identity) => identity.startsWith('AGE-SECRET-KEY-1'));

// age's taxonomy has no "truncated": it files a file that ends before its header, nonce or final chunk is complete
// under header, armor or payload failure. We tell those apart (decrypt-truncated), and only those.
const REPORTED_AS_TRUNCATED = new Set([
  'empty',
  'armor_empty',
  'armor_no_end_line',
  'stream_no_nonce',
  'stream_short_nonce',
  'stream_no_chunks',
  'stream_missing_tag',
  'stream_short_chunk',
  'stream_short_second_chunk',
  'stream_no_final_full',
  'stream_no_final_two_chunks_full',
]);

function expectedCode(vector: Vector): string {
  if (vector.expect === 'no match') return 'decrypt-no-identity';
  return REPORTED_AS_TRUNCATED.has(vector.name) ? 'decrypt-truncated' : 'decrypt-corrupt';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function identitiesFor(vector: Vector): string[] {
  const x25519 = vector.identities.filter((identity) => identity.startsWith('AGE-SECRET-KEY-1'));
  // A few header failures carry no identity at all; any identity shows the failure is the header's.
  return x25519.length > 0 ? x25519 : [generateIdentity().identity];
}

describe('C2SP age test vectors (cctv-age)', () => {
  test('the vectors are all there', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter(isSupported).length).toBeGreaterThan(90);
  });

  for (const vector of all.filter(isSupported)) {
    // Whole, and in slices that split lines, base64 groups and chunks; single bytes where the file is small.
    const sliceSizes = vector.file.length < 100_000 ? [undefined, 1, 4097] : [undefined, 4097];
    for (const sliceSize of sliceSizes) {
      test(`${vector.name}: ${vector.expect} (${sliceSize ?? 'whole'})`, async () => {
        const { emitted, done } = run(createDecryptStream(identitiesFor(vector)), vector.file, sliceSize);
        if (vector.expect === 'success') {
          expect(sha256(await done)).toBe(vector.payloadSha256);
          return;
        }
        await expect(done).rejects.toMatchObject({ code: expectedCode(vector) });
        // The vector's payload hash is of exactly what age releases before failing: only authenticated chunks.
        if (vector.expect === 'payload failure') expect(sha256(Buffer.concat(emitted))).toBe(vector.payloadSha256);
        else expect(emitted).toEqual([]);
      });
    }
  }

  for (const vector of all.filter((v) => !isSupported(v))) {
    test(`${vector.name}: unsupported recipient type, fails without output`, async () => {
      const { emitted, done } = run(createDecryptStream(identitiesFor(vector)), vector.file);
      if (vector.expect === 'success') await expect(done).rejects.toMatchObject({ code: 'decrypt-no-identity' });
      else await expect(done).rejects.toMatchObject({ code: expect.stringMatching(/^decrypt-/) });
      expect(emitted).toEqual([]);
    });
  }
});
