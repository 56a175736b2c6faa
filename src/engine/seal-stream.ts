import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { parseRecipient } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { ErrorCode } from '../domain/error-code.ts';
import { giveBackBlock, isMovable, movableChunk, takeSpare } from '../domain/movable-chunks.ts';

/**
 * The worker's code: compiled, next to this file; from the TypeScript sources, through an entry that registers the
 * TypeScript loader in the worker thread (threads do not inherit it).
 */
const workerFile = new URL(
  import.meta.url.endsWith('.ts') ? './seal-worker-entry.mjs' : './seal-worker.js',
  import.meta.url,
);

/** Plaintext chunks handed to the worker and not yet taken: bounds the memory between the two threads. */
const MAX_IN_FLIGHT = 8;

/**
 * The worker's old generation, in MB. Its live heap is about 6 MB, but every 64 KiB it sends on is memory that only a
 * collection frees: with V8's default limits the worker let 50-70 MB of them wait (a media backup of 1 GiB peaked at
 * 220-240 MB), with this one a backup peaks about 60 MB lower (measured in bench/RESULTS.md). Five times the live
 * heap, so it is never reached; if it were, the worker stops with ERR_WORKER_OUT_OF_MEMORY and the backup fails.
 */
const WORKER_OLD_SPACE_MB = 32;

/** Size and sha256 of a byte stream. */
export interface Digest {
  bytes: number;
  sha256: string;
}

/**
 * Age-encrypts a stream to `recipients` in a worker thread that also hashes the age file, so that on a backup the
 * encryption runs on a second core while this thread reads the source; the plaintext is hashed here, as it is
 * handed over (of the three passes over every byte, hashing each file, hashing the plaintext and encrypting plus
 * hashing the result, that split leaves neither thread waiting long for the other on two cores). Write plaintext, read the age file (in pieces of about a MiB, as an object stream: a byte stream's reader
 * would join the pieces waiting into one more copy); once it has ended, `digests` holds the size and sha256 of both.
 * Backpressure holds both ways: at most MAX_IN_FLIGHT chunks wait for the worker, and the worker is fed no more
 * while the reader does not read.
 *
 * A chunk marked movable (see movable-chunks.ts) moves to the worker, which hands its memory back once encrypted:
 * it goes to the spare blocks, for the producer's next block. The age file's pieces are marked movable in turn, and
 * spares of their size go to the worker for its next pieces: with a consumer that gives back what it wrote, a backup
 * cycles a few MiB instead of leaving its whole size to the collector.
 */
export class SealStream extends Duplex {
  digests: { plain: Digest; stored: Digest } | undefined;
  private readonly worker: Worker;
  private readonly plainHash = createHash('sha256');
  private plainBytes = 0;
  private inFlight = 0;
  private waitingWrite: (() => void) | undefined;
  private finishing: ((error?: Error | null) => void) | undefined;
  private readerWants = true;

  constructor(recipients: readonly string[]) {
    super({ readableObjectMode: true, readableHighWaterMark: 2 });
    for (const recipient of recipients) parseRecipient(recipient); // fail here, at once, on a bad recipient
    this.worker = new Worker(workerFile, {
      workerData: { recipients: [...recipients] },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
    });
    this.worker.on('message', (message) => this.onMessage(message));
    this.worker.on('error', (error) => this.destroy(error));
  }

  /** Plaintext chunks handed to the worker that it has not taken yet: 0 once it has taken all it was given. */
  get chunksInFlight(): number {
    return this.inFlight;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.plainHash.update(chunk);
    this.plainBytes += chunk.length;
    // The chunk's memory goes to the worker: moved when its producer marked it as nobody else's, else a copy (its
    // memory may be shared with other Buffers, a pool's slab for one).
    const memory = isMovable(chunk) ? new Uint8Array(chunk.buffer, 0, chunk.byteLength) : copyOf(chunk);
    this.worker.postMessage(memory, [memory.buffer as ArrayBuffer]);
    this.inFlight += 1;
    if (this.canAcceptMore()) callback();
    else this.waitingWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finishing = callback;
    this.worker.postMessage('end');
  }

  override _read(): void {
    this.readerWants = true;
    this.releaseWrite();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.worker.terminate().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private onMessage(
    message:
      | { taken: ArrayBuffer }
      | { data: ArrayBuffer; bytes: number }
      | { done: { stored: Digest } }
      | { error: { code: ErrorCode; message: string; userMessage?: string } },
  ): void {
    if ('taken' in message) {
      this.inFlight -= 1;
      giveBackBlock(message.taken);
      this.releaseWrite();
    } else if ('data' in message) {
      // The piece is memory of its own that nothing here keeps: a consumer done with it may give it back, and the
      // worker gets a spare of the size it sends in for its next piece instead of allocating one.
      this.readerWants = this.push(movableChunk(Buffer.from(message.data, 0, message.bytes)));
      const spare = takeSpare(message.data.byteLength);
      if (spare !== undefined) this.worker.postMessage({ spare }, [spare]);
    } else if ('done' in message) {
      this.digests = { plain: { bytes: this.plainBytes, sha256: this.plainHash.digest('hex') }, ...message.done };
      this.push(null);
      this.finishing?.();
      void this.worker.terminate();
    } else {
      const { code, message: text, userMessage } = message.error;
      this.destroy(new BackstopError(code, text, userMessage === undefined ? {} : { userMessage }));
    }
  }

  private canAcceptMore(): boolean {
    return this.inFlight < MAX_IN_FLIGHT && this.readerWants;
  }

  private releaseWrite(): void {
    if (this.waitingWrite && this.canAcceptMore()) {
      const release = this.waitingWrite;
      this.waitingWrite = undefined;
      release();
    }
  }
}

function copyOf(chunk: Buffer): Uint8Array {
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy;
}
