import { finished, Readable } from 'node:stream';
import type { PartKind } from '../domain/part-kind.ts';
import { Backoff, isRetryable, type RetryPolicy, type RetryTools, withRetries } from '../retry/retry-policy.ts';
import { UntouchedStream } from '../retry/untouched-stream.ts';
import type { OpenOptions, ProgressListener, RestoreSummary, Source } from './source.ts';

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

  /**
   * The plaintext passes through chunk by chunk, each the very Buffer the source made: none is joined to another
   * (an async iteration of a stream would join what it buffered), so a chunk its producer marked as movable (see
   * movable-chunks.ts) stays so.
   */
  open(options: OpenOptions = {}): Readable {
    const { source } = this;
    const backoff = new Backoff({ ...this.options, ...(options.signal && { signal: options.signal }) });
    let current: Readable | undefined;
    const attempt = () => {
      const input = source.open(options);
      current = input;
      let passed = false;
      input.on('data', (chunk: Buffer) => {
        passed = true;
        if (!output.push(chunk)) input.pause();
      });
      finished(input, (error) => {
        if (output.destroyed) return;
        if (error === undefined || error === null) output.push(null);
        else if (passed) output.destroy(error);
        else {
          input.destroy();
          backoff.wait(error).then(attempt, (final: unknown) => output.destroy(final as Error));
        }
      });
    };
    const output = new Readable({
      read() {
        if (current === undefined) attempt();
        else current.resume();
      },
      destroy(error, callback) {
        current?.destroy();
        callback(error);
      },
    });
    return output;
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
