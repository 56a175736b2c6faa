import type { Readable } from 'node:stream';

/**
 * The body of a `write`, read once by a driver. It counts the bytes it hands out and remembers whether the body itself
 * failed, so a driver can reject with the body's own error (as the Store contract demands) rather than with whatever
 * its backend made of the interrupted stream.
 */
export class CountedSource {
  sizeBytes = 0;
  #failure: { error: unknown } | undefined;
  readonly #body: Readable;

  constructor(body: Readable) {
    this.#body = body;
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.#body) {
        const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.sizeBytes += bytes.byteLength;
        yield bytes;
      }
    } catch (error) {
      this.#failure = { error };
      throw error;
    }
  }

  /**
   * The error a failed write rejects with: the body's own when the body failed, otherwise `storeError` translated by
   * the driver. Destroys the body either way, as the contract requires on failure.
   */
  failWith(storeError: () => unknown): unknown {
    const error = this.#failure ? this.#failure.error : storeError();
    this.#body.destroy();
    return error;
  }
}
