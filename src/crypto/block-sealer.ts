import { CHUNK_SIZE, type PayloadCipher } from './payload-cipher.ts';

/**
 * Seals an age payload from blocks its caller wants back as soon as each is taken (a worker thread that hands every
 * plaintext block back for reuse). Each full 64 KiB chunk is sealed once more bytes follow it (the last chunk carries
 * the final flag); the bytes held back for that are copied into a chunk-sized carry, so that no part of a block is
 * referenced once `add` returns. Ciphertext leaves through `emit` as the cipher makes it: pieces of each chunk, then
 * its tag, in order; `emit` must not keep a piece past its own return unless it owns it (the pieces are the
 * cipher's fresh output, nobody else's).
 */
export class BlockSealer {
  private readonly carry = Buffer.allocUnsafe(CHUNK_SIZE);
  private carried = 0;

  constructor(
    private readonly cipher: PayloadCipher,
    private readonly emit: (piece: Buffer) => void,
  ) {}

  /** Seals what `block` completes; keeps (a copy of) what may still be the last chunk. */
  add(block: Uint8Array): void {
    const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    if (this.carried + bytes.length <= CHUNK_SIZE) {
      bytes.copy(this.carry, this.carried);
      this.carried += bytes.length;
      return;
    }
    // More than a chunk is at hand: the first chunk takes all of the carry and the start of the block.
    let offset = CHUNK_SIZE - this.carried;
    this.sealChunk([this.carry.subarray(0, this.carried), bytes.subarray(0, offset)], false);
    while (bytes.length - offset > CHUNK_SIZE) {
      this.sealChunk([bytes.subarray(offset, offset + CHUNK_SIZE)], false);
      offset += CHUNK_SIZE;
    }
    this.carried = bytes.copy(this.carry, 0, offset);
  }

  /** Seals the final chunk (empty when the payload is: the format still wants it). */
  end(): void {
    this.sealChunk([this.carry.subarray(0, this.carried)], true);
    this.carried = 0;
  }

  private sealChunk(pieces: Buffer[], last: boolean): void {
    for (const sealed of this.cipher.seal(
      pieces.filter((piece) => piece.length > 0),
      last,
    ))
      this.emit(sealed);
  }
}
