import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { deriveKey } from './derive-key.ts';

/** Plaintext bytes per payload chunk; every chunk but the last is exactly this long. */
export const CHUNK_SIZE = 64 * 1024;
/** Length of the Poly1305 tag that ends each encrypted chunk. */
export const TAG_SIZE = 16;
/** Length of a full encrypted chunk. */
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/** Length of the random nonce between the header and the first chunk. */
export const PAYLOAD_NONCE_SIZE = 16;

const ALGORITHM = 'chacha20-poly1305';

/**
 * The STREAM construction age uses for the payload: ChaCha20-Poly1305 under a key derived from the file key and the
 * payload nonce, each chunk's 12-byte nonce being an 11-byte big-endian chunk counter and a final-chunk flag byte.
 * Chunks must be sealed or opened in order; the counter only advances past a chunk that was sealed or authenticated.
 * A chunk comes and goes as a list of buffers, so that nobody copies 64 KiB just to make it contiguous.
 */
export class PayloadCipher {
  /** A KeyObject, made once: handing createCipheriv raw bytes makes one per chunk, a third of the cipher's time. */
  private readonly key: KeyObject;
  private readonly nonce = Buffer.alloc(12);
  private index = 0;

  constructor(fileKey: Uint8Array, payloadNonce: Uint8Array) {
    this.key = createSecretKey(deriveKey(fileKey, payloadNonce, 'payload'));
  }

  /** How many chunks have been sealed or opened so far. */
  get chunkCount(): number {
    return this.index;
  }

  /** Encrypts the next chunk (at most CHUNK_SIZE bytes, in pieces) and returns its ciphertext pieces, then its tag. */
  seal(plaintext: readonly Buffer[], last: boolean): Buffer[] {
    const cipher = createCipheriv(ALGORITHM, this.key, this.nextNonce(last), { authTagLength: TAG_SIZE });
    const sealed = plaintext.map((piece) => cipher.update(piece));
    cipher.final();
    sealed.push(cipher.getAuthTag());
    this.advance();
    return sealed;
  }

  /**
   * Decrypts the next chunk (ciphertext then tag, in pieces) and returns its plaintext pieces, or undefined when it
   * does not authenticate as that chunk (with that final flag). `sealed` is left untouched, so it can be tried again.
   */
  open(sealed: readonly Buffer[], last: boolean): Buffer[] | undefined {
    const { body, tail } = splitTag(sealed);
    const decipher = createDecipheriv(ALGORITHM, this.key, this.nextNonce(last), { authTagLength: TAG_SIZE });
    decipher.setAuthTag(tail);
    // update() returns plaintext before the tag is checked: it is released only after final() succeeded.
    const plaintext = body.map((piece) => decipher.update(piece));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    this.advance();
    return plaintext;
  }

  private nextNonce(last: boolean): Buffer {
    this.nonce[11] = last ? 1 : 0;
    return this.nonce;
  }

  private advance(): void {
    this.index++;
    // Big-endian increment of the 11-byte counter; it cannot realistically overflow (2^88 chunks).
    for (let i = 10; i >= 0; i--) {
      this.nonce[i] = (this.nonce[i]! + 1) & 0xff;
      if (this.nonce[i] !== 0) break;
    }
  }
}

/** Splits a sealed chunk into its ciphertext pieces and its tag (copied only when it straddles two pieces). */
function splitTag(sealed: readonly Buffer[]): { body: Buffer[]; tail: Buffer } {
  const body = [...sealed];
  const tailPieces: Buffer[] = [];
  let needed = TAG_SIZE;
  while (needed > 0) {
    const piece = body.pop()!;
    if (piece.length > needed) {
      body.push(piece.subarray(0, piece.length - needed));
      tailPieces.unshift(piece.subarray(piece.length - needed));
      break;
    }
    tailPieces.unshift(piece);
    needed -= piece.length;
  }
  return { body, tail: tailPieces.length === 1 ? tailPieces[0]! : Buffer.concat(tailPieces) };
}
