import { finished, Readable } from 'node:stream';

/**
 * A stand-in for a one-shot input stream that reads from it only once the consumer first asks for data. If a call
 * that was handed the stand-in failed before asking, `touched` is false and the original is still whole, so the call
 * can be tried again with a fresh stand-in. Destroying the stand-in leaves an untouched original as it is.
 */
export class UntouchedStream extends Readable {
  #touched = false;
  #original: Readable;
  #attached = false;

  constructor(original: Readable) {
    // The original's mode too: a byte stream would join the chunks waiting in it into one more copy for its reader.
    super({ objectMode: original.readableObjectMode, highWaterMark: original.readableHighWaterMark });
    this.#original = original;
    // A consumer that gave up on the stand-in stops listening; the original failing after that must not become an
    // uncaught error. Consumers that still read get the error through their own listeners.
    this.on('error', () => {});
  }

  get touched(): boolean {
    return this.#touched;
  }

  override _read(): void {
    this.#touched = true;
    if (!this.#attached) {
      this.#attached = true;
      this.#original.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) this.#original.pause();
      });
      // `finished` also reports an original that failed or closed before this first read (a damaged object fails
      // decryption before anyone reads): waiting for an 'error' event then would wait for ever.
      finished(this.#original, (error) => {
        if (error) this.destroy(error);
        else this.push(null);
      });
    }
    this.#original.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Once read from, the original's bytes went somewhere that failed: it cannot be offered again.
    if (this.#touched) this.#original.destroy(error ?? undefined);
    callback(error);
  }
}
