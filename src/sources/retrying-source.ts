import { Readable } from 'node:stream';
import type { PartKind } from '../domain/part-kind.ts';
import { Backoff, isRetryable, type RetryPolicy, type RetryTools, withRetries } from '../retry/retry-policy.ts';
import { UntouchedStream } from '../retry/untouched-stream.ts';
import type { ProgressListener, RestoreSummary, Source } from './source.ts';

/**
 * A source that tries again when the driver fails with a retryable error (an unreachable database or bucket, a
 * timeout), with the waits of a RetryPolicy. It keeps the Source contract of the source it wraps:
 * - `open` starts over while the plaintext has not yielded a byte; once bytes have gone downstream a failure ends
 *   the stream, since a plaintext cannot be spliced from two reads.
 * - `restore` is tried again only while the driver has not read from `input` (nothing was changed yet: restores
 *   change the destination only after reading all of it); after that a failure is final here.
 * - `describe` and `exists` are tried again as they are.
 */
export class RetryingSource implements Source {
  readonly kind: PartKind;

  constructor(
    private readonly source: Source,
    private readonly options: { policy?: RetryPolicy; tools?: RetryTools } = {},
  ) {
    this.kind = source.kind;
  }

  open(options: { signal?: AbortSignal; onProgress?: ProgressListener } = {}): Readable {
    const { source } = this;
    const backoff = new Backoff({ ...this.options, ...(options.signal && { signal: options.signal }) });
    async function* plaintext(): AsyncGenerator<Buffer> {
      for (;;) {
        let yielded = false;
        try {
          for await (const chunk of source.open(options)) {
            yielded = true;
            yield chunk as Buffer;
          }
          return;
        } catch (error) {
          if (yielded) throw error;
          await backoff.wait(error);
        }
      }
    }
    return Readable.from(plaintext(), { objectMode: false });
  }

  async restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary> {
    let final = false;
    try {
      return await withRetries(
        async () => {
          const standIn = new UntouchedStream(input);
          try {
            return await this.source.restore(standIn, options);
          } catch (error) {
            final = standIn.touched;
            throw error;
          }
        },
        {
          ...this.options,
          ...(options.signal && { signal: options.signal }),
          retryable: (error) => !final && isRetryable(error),
        },
      );
    } catch (error) {
      input.destroy();
      throw error;
    }
  }

  describe(): Promise<string> {
    return withRetries(() => this.source.describe(), this.options);
  }

  exists(): Promise<boolean> {
    return withRetries(() => this.source.exists(), this.options);
  }
}
