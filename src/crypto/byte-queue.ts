const EMPTY = Buffer.alloc(0);
// Past this many pieces, one copy is cheaper than a cipher call per piece (input written a few bytes at a time).
const MAX_PIECES = 16;

/**
 * Bytes received but not yet consumed, kept as the buffers they arrived in. `take` hands out views into those
 * buffers rather than copies: a copy of each 64 KiB chunk would cost a fifth of the cipher's own time.
 */
export class ByteQueue {
  private readonly buffers: Buffer[] = [];
  private head = 0; // index of the first buffer not fully consumed
  private offset = 0; // bytes of buffers[head] already consumed
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Appends `buffer`, without copying it: the caller must not change it afterwards (streams never do). */
  push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.buffers.push(buffer);
    this.size += buffer.length;
  }

  /**
   * Removes the next `count` bytes (at most `length`) and returns them in order, as views of the buffers they arrived
   * in, or as a single copy when they are spread over many small buffers.
   */
  take(count: number): Buffer[] {
    if (count > this.size) throw new RangeError(`take(${count}) with ${this.size} bytes queued`);
    this.size -= count;
    const pieces: Buffer[] = [];
    let remaining = count;
    while (remaining > 0) {
      const buffer = this.buffers[this.head]!;
      const end = Math.min(buffer.length, this.offset + remaining);
      pieces.push(buffer.subarray(this.offset, end));
      remaining -= end - this.offset;
      this.consume(end - this.offset);
    }
    return pieces.length > MAX_PIECES ? [Buffer.concat(pieces, count)] : pieces;
  }

  private consume(count: number): void {
    this.offset += count;
    if (this.offset < this.buffers[this.head]!.length) return;
    this.buffers[this.head] = EMPTY; // let the consumed buffer be collected while views of it are in use elsewhere
    this.head++;
    this.offset = 0;
    // Compact now and then rather than shifting the array on every take (slow with many tiny writes).
    if (this.head === this.buffers.length || this.head >= 1024) {
      this.buffers.splice(0, this.head);
      this.head = 0;
    }
  }
}
