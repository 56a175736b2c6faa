import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';

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
    // A body that only reports it was cut short (an AbortError or a premature close, as a stream destroyed while it is
    // iterated throws) did not fail on its own: the backend stopped reading it, and the backend's error is the cause
    // (a timeout: retryable).
    const own = this.#failure !== undefined && !isCutShort(this.#failure.error);
    const error = own ? this.#failure!.error : storeError();
    this.#body.destroy();
    return error;
  }
}

function isCutShort(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof BackstopError) return false;
  return error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
}
