import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createEncryptStream } from '../../src/crypto/index.ts';

/** Where an object is damaged: a byte flipped at the payload's start, middle or last chunk, or the object cut short. */
export type Damage = 'start' | 'middle' | 'last chunk' | 'truncated' | 'truncated at a chunk boundary';

export const damages: readonly Damage[] = [
  'start',
  'middle',
  'last chunk',
  'truncated',
  'truncated at a chunk boundary',
];

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;

/**
 * The codes decryption may fail with for each kind of damage. An object cut inside a chunk ends in a chunk that
 * does not authenticate, which is what a damaged last chunk looks like too: either code tells the truth.
 */
export function expectedCodes(damage: Damage): Array<'decrypt-corrupt' | 'decrypt-truncated'> {
  if (damage === 'truncated at a chunk boundary') return ['decrypt-truncated'];
  if (damage === 'truncated') return ['decrypt-truncated', 'decrypt-corrupt'];
  return ['decrypt-corrupt'];
}

export async function encrypt(plaintext: Buffer, recipient: string): Promise<Buffer> {
  return buffer(Readable.from([plaintext]).pipe(createEncryptStream([recipient])));
}

/** Where the payload (the nonce, then the chunks) starts: after the header's `--- <mac>` line. */
function payloadStart(object: Buffer): number {
  const mac = object.indexOf('\n--- ');
  return object.indexOf('\n', mac + 1) + 1;
}

/** A copy of an age object with `damage` done to it. */
export function damaged(object: Buffer, damage: Damage): Buffer {
  const start = payloadStart(object);
  const copy = Buffer.from(object);
  const flip = (at: number) => {
    copy[at] = copy[at]! ^ 0x01;
    return copy;
  };
  const chunks = Math.ceil((object.length - start - NONCE) / (CHUNK + TAG));
  switch (damage) {
    case 'start':
      return flip(start); // the nonce: every payload key is wrong from the first chunk on
    case 'middle':
      return flip(start + Math.floor((object.length - start) / 2));
    case 'last chunk':
      return flip(object.length - 1 - Math.min(TAG, Math.floor((object.length - start - NONCE) / 2)));
    case 'truncated':
      return copy.subarray(0, start + NONCE + Math.floor((object.length - start - NONCE) / 2));
    case 'truncated at a chunk boundary':
      // After the last full chunk but one: what is left is whole chunks, none marked last.
      return copy.subarray(0, start + NONCE + Math.max(0, chunks - 1) * (CHUNK + TAG));
  }
}
