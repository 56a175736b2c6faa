import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through stream that counts bytes and computes their sha256 on the way, for one pass over the data. */
export class HashCounter extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digestHex: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digestHex = this.hash.digest('hex');
    callback();
  }

  /** The hex sha256 of everything that passed; only available once the stream has ended. */
  get sha256(): string {
    if (this.digestHex === undefined) throw new Error('HashCounter.sha256 read before the stream ended');
    return this.digestHex;
  }
}
