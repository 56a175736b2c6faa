import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { CountedSource } from '../../src/storage/counted-source.ts';

const storeError = new BackstopError('storage-failed', 'S3 write failed: TimeoutError', { retryable: true });

/** Reads `source` as a driver does until `stop` says so, then lets the body be destroyed under it. */
async function readUntil(source: CountedSource, body: Readable, stop: number): Promise<unknown> {
  let seen = 0;
  try {
    for await (const _chunk of source.chunks()) {
      seen += 1;
      if (seen === stop) body.destroy(); // cut short by whoever holds it, with no error of its own
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('CountedSource', () => {
  test('a body cut short (destroyed without an error of its own) leaves the backend its error', async () => {
    const body = Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    const source = new CountedSource(body);
    const thrown = await readUntil(source, body, 1);
    expect(thrown).toMatchObject({ code: expect.stringMatching(/^(ABORT_ERR|ERR_STREAM_PREMATURE_CLOSE)$/) });
    expect(source.failWith(() => storeError)).toBe(storeError);
    expect(source.sizeBytes).toBe(1);
  });

  test("a body that failed on its own is the write's error", async () => {
    const own = new BackstopError('media-changed', 'a file changed while it was read');
    const body = new Readable({
      read() {
        this.destroy(own);
      },
    });
    const source = new CountedSource(body);
    await expect(readUntil(source, body, 99)).resolves.toBe(own);
    expect(source.failWith(() => storeError)).toBe(own);
    expect(body.destroyed).toBe(true);
  });
});
