import { Readable } from 'node:stream';
import { movableChunk } from './movable-chunks.ts';

/** The size of the blocks a tar is assembled in, and the least a chunk must be to be passed on as it is. */
const BLOCK_BYTES = 64 * 1024;

/**
 * A tar being written, as a Readable of 64 KiB blocks. Headers, padding and small files are copied into the current
 * block (a tree of small files would otherwise make three tiny chunks a file, each a cost to every later stage:
 * encryption, hashing, upload); a chunk of a block or more is passed on as it is, after the partial block before it.
 * `write` resolves when the reader may take more (backpressure), and rejects once the stream was destroyed (the
 * reader went away, or the backup was aborted), which stops whoever writes.
 */
export class TarOutput extends Readable {
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private readerWaiting: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: 4 * BLOCK_BYTES });
  }

  /**
   * Appends `bytes` to the tar. Below a block they are copied (the caller may reuse them once this resolves); a block
   * or more is passed on as it is, and belongs to the reader from then on.
   */
  async write(bytes: Buffer): Promise<void> {
    if (bytes.length >= BLOCK_BYTES) {
      await this.flushBlock();
      await this.pass(bytes);
      return;
    }
    let offset = 0;
    while (offset < bytes.length) {
      const taken = bytes.copy(this.block, this.used, offset);
      this.used += taken;
      offset += taken;
      if (this.used === BLOCK_BYTES) await this.flushBlock();
    }
  }

  /** Passes on the last partial block and ends the stream. */
  finish(): void {
    if (this.destroyed) return;
    if (this.used > 0) this.push(this.block.subarray(0, this.used));
    this.used = 0;
    this.push(null);
  }

  override _read(): void {
    const waiting = this.readerWaiting;
    this.readerWaiting = undefined;
    waiting?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this._read(); // a writer waiting for the reader learns that there is none
    callback(error);
  }

  private async flushBlock(): Promise<void> {
    if (this.used === 0) return;
    // A full block is all of its own memory, which nothing here touches again: the next stage may move it.
    const full = this.used === BLOCK_BYTES ? movableChunk(this.block) : this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
    await this.pass(full);
  }

  private async pass(chunk: Buffer): Promise<void> {
    if (this.destroyed) throw new Error('the tar stream was destroyed');
    if (this.push(chunk)) return;
    await new Promise<void>((resolve) => {
      this.readerWaiting = resolve;
    });
    if (this.destroyed) throw new Error('the tar stream was destroyed');
  }
}
