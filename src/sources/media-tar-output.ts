import { Readable } from 'node:stream';
import { movableChunk, takeBlock } from '../domain/movable-chunks.ts';

/** The size of the blocks a tar is assembled in. */
const TAR_BLOCK_BYTES = 256 * 1024;

/**
 * A tar being written, as a Readable of 256 KiB blocks. Everything written is copied into the current block: a tree
 * of small files would otherwise make three tiny chunks a file, each a cost to every later stage (encryption,
 * hashing, upload), and copying lets the reader of files reuse its buffers. Each full block is memory of its own,
 * marked movable, and taken from the spare blocks (see movable-chunks.ts) that a consumer gave back, so a backup
 * cycles a few blocks rather than allocating one per 256 KiB. `write` resolves when the reader may take more
 * (backpressure), and rejects once the stream was destroyed (the reader went away, or the backup was aborted), which
 * stops whoever writes.
 */
export class TarOutput extends Readable {
  private block = takeBlock(TAR_BLOCK_BYTES);
  private used = 0;
  private readerWaiting: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: 4 * TAR_BLOCK_BYTES });
  }

  /** Appends (a copy of) `bytes` to the tar: the caller may reuse them once this resolves. */
  async write(bytes: Buffer): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const taken = bytes.copy(this.block, this.used, offset);
      this.used += taken;
      offset += taken;
      if (this.used === TAR_BLOCK_BYTES) await this.flushBlock();
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
    // A full block is all of its own memory, which nothing here touches again: the next stage may move it.
    const full = movableChunk(this.block);
    this.block = takeBlock(TAR_BLOCK_BYTES);
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
