import type { Readable } from 'node:stream';
import { Backoff, isRetryable, type RetryPolicy, type RetryTools, withRetries } from '../retry/retry-policy.ts';
import { UntouchedStream } from '../retry/untouched-stream.ts';
import type { DownloadGrant } from './download-link-signer.ts';
import type { Store, StoredObject } from './store.ts';

/**
 * A store that tries calls again when the driver fails with a retryable error (see store.ts), with the growing,
 * jittered waits of a RetryPolicy; permanent errors (not-found, access denied, a bad key) pass at once. It keeps the
 * Store contract of the store it wraps:
 * - `write` is tried again only while the driver has not read a byte of `body` (a refused connection, a failed
 *   start of an upload): the body is a one-shot stream, so once read from, the failure is final here, and the work
 *   that produced the body decides whether to start over. A body given up on is destroyed, as the contract says.
 * - `list` resumes after the last key it yielded (keys come in ascending order), so nothing is yielded twice.
 * - `read` retries opening the object; a stream that fails midway is the reader's to handle.
 */
export class RetryingStore implements Store {
  constructor(
    /** The store without retries: for checks that must answer at once (readiness). */
    readonly inner: Store,
    private readonly options: { policy?: RetryPolicy; tools?: RetryTools } = {},
  ) {}

  async write(key: string, body: Readable, options?: { contentType?: string }): Promise<{ sizeBytes: number }> {
    try {
      return await withRetries(
        async () => {
          const standIn = new UntouchedStream(body);
          try {
            return await this.inner.write(key, standIn, options);
          } catch (error) {
            throw standIn.touched ? new FinalFailure(error) : error;
          }
        },
        { ...this.options, retryable: (error) => !(error instanceof FinalFailure) && isRetryable(error) },
      );
    } catch (error) {
      body.destroy();
      throw error instanceof FinalFailure ? error.error : error;
    }
  }

  read(key: string): Promise<Readable> {
    return withRetries(() => this.inner.read(key), this.options);
  }

  stat(key: string): Promise<StoredObject | undefined> {
    return withRetries(() => this.inner.stat(key), this.options);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let after: string | undefined;
    let backoff = new Backoff(this.options);
    for (;;) {
      const resumedAfter = after;
      try {
        for await (const object of this.inner.list(prefix)) {
          if (after !== undefined && Buffer.compare(Buffer.from(object.key), Buffer.from(after)) <= 0) continue;
          after = object.key;
          yield object;
        }
        return;
      } catch (error) {
        // A listing that got further before failing again starts a fresh budget.
        if (after !== resumedAfter) backoff = new Backoff(this.options);
        await backoff.wait(error);
      }
    }
  }

  delete(key: string): Promise<void> {
    return withRetries(() => this.inner.delete(key), this.options);
  }

  link(key: string, ttlSeconds: number, options?: { filename?: string }): Promise<string> {
    return withRetries(() => this.inner.link(key, ttlSeconds, options), this.options);
  }

  describe(): string {
    return this.inner.describe();
  }

  /** Checking a link is a computation, not a call to the backend: nothing to try again. */
  get grant(): ((token: string) => DownloadGrant) | undefined {
    const { inner } = this;
    return inner.grant === undefined ? undefined : (token) => inner.grant!(token);
  }
}

/** A failure after the body was read from: not tried again. */
class FinalFailure {
  constructor(readonly error: unknown) {}
}
