import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { PartKind } from '../../src/domain/part-kind.ts';
import { RetryingSource } from '../../src/sources/retrying-source.ts';
import type { RestoreSummary, Source } from '../../src/sources/source.ts';
import { readAll } from '../storage/streams.ts';
import { fakeRetryTools } from '../support/fake-retry-tools.ts';

const transient = () => new BackstopError('pg-connect-failed', 'connection refused', { retryable: true });

/** A source whose next opens or restores fail transiently, before or after their first byte. */
class FlakySource implements Source {
  readonly kind: PartKind = 'db';
  opens = 0;
  restores = 0;
  failOpens = 0;
  failOpenAfterBytes = false;
  failRestores = 0;
  failRestoreAfterReading = false;
  restored: Buffer | undefined;

  open(): Readable {
    this.opens += 1;
    const failing = this.failOpens > 0;
    if (failing) this.failOpens -= 1;
    const afterBytes = this.failOpenAfterBytes;
    return Readable.from(
      (async function* () {
        if (failing && !afterBytes) throw transient();
        yield Buffer.from('PGDMP');
        if (failing) throw transient();
        yield Buffer.from(' the rest of the dump');
      })(),
      { objectMode: false },
    );
  }

  async restore(input: Readable, options: { beforeCommit: () => Promise<void> }): Promise<RestoreSummary> {
    this.restores += 1;
    if (this.failRestores > 0) {
      this.failRestores -= 1;
      if (this.failRestoreAfterReading) input.read();
      throw transient();
    }
    this.restored = await readAll(input);
    await options.beforeCommit();
    return { description: `${this.restored.length} bytes` };
  }

  async describe() {
    return 'database shop on db.internal';
  }

  async exists() {
    return true;
  }
}

describe('RetryingSource', () => {
  test('open starts over while nothing was read, and yields the whole plaintext once', async () => {
    const flaky = new FlakySource();
    flaky.failOpens = 2;
    const tools = fakeRetryTools();
    const plaintext = await readAll(new RetryingSource(flaky, { tools }).open());
    expect(plaintext.toString()).toBe('PGDMP the rest of the dump');
    expect(flaky.opens).toBe(3);
    expect(tools.waits).toHaveLength(2);
  });

  test('open passes on the very chunks the source made, one by one, never joined', async () => {
    const chunks = [Buffer.alloc(70_000, 1), Buffer.alloc(70_000, 2), Buffer.alloc(10, 3)];
    const source: Source = {
      kind: 'media',
      open: () => Readable.from(chunks, { objectMode: false }),
      restore: async () => ({ description: '' }),
      describe: async () => '',
      exists: async () => true,
    };
    const received: Buffer[] = [];
    const output = new RetryingSource(source, { tools: fakeRetryTools() }).open();
    // Read slowly, so that the chunks pile up in the stream between reads.
    for await (const chunk of output.iterator({ destroyOnReturn: true })) {
      received.push(chunk as Buffer);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(received.length).toBe(3);
    expect(received.every((chunk, i) => chunk === chunks[i])).toBe(true);
  });

  test('open fails for good once bytes have gone downstream', async () => {
    const flaky = new FlakySource();
    flaky.failOpens = 1;
    flaky.failOpenAfterBytes = true;
    const stream = new RetryingSource(flaky, { tools: fakeRetryTools() }).open();
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'pg-connect-failed' });
    expect(flaky.opens).toBe(1);
  });

  test('an abort during the wait stops it', async () => {
    const flaky = new FlakySource();
    flaky.failOpens = 100;
    const controller = new AbortController();
    const tools = fakeRetryTools();
    tools.sleep = async () => {
      controller.abort(new BackstopError('aborted', 'cancelled'));
      throw controller.signal.reason;
    };
    const stream = new RetryingSource(flaky, { tools }).open({ signal: controller.signal });
    await expect(readAll(stream)).rejects.toMatchObject({ code: 'aborted' });
    expect(flaky.opens).toBe(1);
  });

  test('restore is tried again while its input is untouched, and reads the input once', async () => {
    const flaky = new FlakySource();
    flaky.failRestores = 2;
    let commits = 0;
    const summary = await new RetryingSource(flaky, { tools: fakeRetryTools() }).restore(
      Readable.from([Buffer.from('PGDMP all of it')]),
      {
        beforeCommit: async () => {
          commits += 1;
        },
      },
    );
    expect(summary.description).toBe('15 bytes');
    expect(flaky.restored?.toString()).toBe('PGDMP all of it');
    expect([flaky.restores, commits]).toEqual([3, 1]);
  });

  test('a restore that failed after reading its input is not tried again', async () => {
    const flaky = new FlakySource();
    flaky.failRestores = 1;
    flaky.failRestoreAfterReading = true;
    const input = Readable.from([Buffer.from('PGDMP')]);
    await expect(
      new RetryingSource(flaky, { tools: fakeRetryTools() }).restore(input, { beforeCommit: async () => {} }),
    ).rejects.toMatchObject({ code: 'pg-connect-failed' });
    expect(flaky.restores).toBe(1);
    expect(input.destroyed).toBe(true);
  });
});

describe('RetryingSource with an input that failed before anyone read it', () => {
  test('the restore hears the failure instead of waiting for ever', async () => {
    const flaky = new FlakySource();
    const input = new Readable({ read() {} });
    input.on('error', () => {}); // as the restore's pipeline has, which hears the error first
    input.destroy(new BackstopError('decrypt-corrupt', 'the first chunk does not authenticate'));
    await new Promise((resolve) => setImmediate(resolve)); // the 'error' event has gone by
    await expect(
      new RetryingSource(flaky, { tools: fakeRetryTools() }).restore(input, { beforeCommit: async () => {} }),
    ).rejects.toMatchObject({ code: 'decrypt-corrupt' });
  });
});
