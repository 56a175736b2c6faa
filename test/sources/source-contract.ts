import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Progress, Source } from '../../src/sources/source.ts';

/** A destination and its source, with a way to see what it holds that does not go through the source. */
export interface SourceDestination {
  source: Source;
  /**
   * What the destination holds now, in a form that destinations of the same kind compare by with toEqual (a
   * database's fingerprint, a media tree): equal exactly when a restore made one hold what the other held.
   */
  read(): Promise<unknown>;
}

/** One driver's source, set up for one test, with what the suite cannot do through the Source port alone. */
export interface SourceHarness extends SourceDestination {
  /**
   * Makes the destination hold other content: things the known content lacks (another table, another file) and
   * another version of something it holds, so that restoring the known content must both remove and change.
   */
  putOther(): Promise<void>;
  /** A fresh, empty destination of the same kind (a new database, a directory or prefix never written). */
  another(): Promise<SourceDestination>;
  /** A source that cannot be read: a server nobody listens on, a missing bucket, a missing directory. */
  unreadable(): Source;
  /**
   * A source over a destination that does not exist yet (a directory never created, a prefix holding nothing);
   * undefined where the driver has no such thing, as a database to restore into must exist already.
   */
  absent: (() => Source) | undefined;
  /** Text that `describe()` must show to name the destination: the database's name, the directory, the s3:// URL. */
  named: string;
  /** Secrets the harness's source was built with (a password in its URL, a client's secret key). */
  secrets: string[];
  cleanup(): Promise<void>;
}

/**
 * Builds a harness over a fresh destination holding some known content: small (a few tables, a few files), but with
 * at least one file or table of more than 64 KiB, so that a plaintext arrives in several chunks and an abort after
 * the first one comes while the source is still being read.
 */
export type MakeSourceHarness = () => Promise<SourceHarness>;

const KIB = 1024;

/** How a plaintext stream finished: the bytes it gave, whether it ended normally, and the error it was destroyed with. */
interface Outcome {
  bytes: Buffer;
  ended: boolean;
  error: unknown;
}

/** Reads `stream` until it closes, whether it ends or is destroyed; never rejects, so a test can look at both ways. */
function outcome(stream: Readable): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let ended = false;
  let error: unknown;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.once('end', () => {
    ended = true;
  });
  stream.on('error', (failure) => {
    error = failure;
  });
  return new Promise((resolve) => {
    stream.once('close', () => resolve({ bytes: Buffer.concat(chunks), ended, error }));
  });
}

/** `bytes` as an input arriving in 16 KiB chunks, as a download and a decryption deliver it. */
function chunked(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 16 * KIB) yield bytes.subarray(offset, offset + 16 * KIB);
    })(),
  );
}

/** An input that delivers the first half of `bytes`, then calls `midway` (which may throw), then the rest. */
function halfThen(bytes: Buffer, midway: () => void): Readable {
  const half = Math.floor(bytes.length / 2);
  return Readable.from(
    (async function* () {
      yield bytes.subarray(0, half);
      midway();
      yield bytes.subarray(half);
    })(),
  );
}

/** A beforeCommit that records, for each call, whether `input` had ended by then; it rejects with `refusal` if given. */
function commitCheck(input: Readable, refusal?: Error): { beforeCommit: () => Promise<void>; calls: boolean[] } {
  const calls: boolean[] = [];
  return {
    calls,
    beforeCommit: async () => {
      calls.push(input.readableEnded);
      if (refusal !== undefined) throw refusal;
    },
  };
}

/** True when `error` is `cause` or carries it as a cause, however deep: a driver may wrap the caller's error. */
function carries(cause: unknown): (error: unknown) => boolean {
  return (error) => {
    for (let current = error; current !== undefined; current = (current as Error).cause) {
      if (current === cause) return true;
      if (!(current instanceof Error)) return false;
    }
    return false;
  };
}

/** Progress as the port describes it: every report names its phase, and within a phase bytesDone never goes back. */
function expectWellFormedProgress(reports: Progress[]): void {
  expect(reports.length).toBeGreaterThan(0);
  const byPhase = new Map<string, number[]>();
  for (const report of reports) {
    expect(report).toMatchObject({ phase: expect.stringMatching(/\S/), bytesDone: expect.any(Number) });
    expect(report.bytesDone).toBeGreaterThanOrEqual(0);
    byPhase.set(report.phase, [...(byPhase.get(report.phase) ?? []), report.bytesDone]);
  }
  for (const done of byPhase.values()) expect(done).toEqual([...done].sort((a, b) => a - b));
}

/** The shared contract of source.ts, registered once per driver: every driver must pass all of it. */
export function describeSourceContract(name: string, makeHarness: MakeSourceHarness): void {
  describe(`${name} keeps the Source contract`, () => {
    let harness: SourceHarness;

    beforeEach(async () => {
      harness = await makeHarness();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    /** The plaintext of the known content, from a stream that ended normally. */
    async function backup(): Promise<Buffer> {
      const result = await outcome(harness.source.open());
      expect(result).toMatchObject({ ended: true, error: undefined });
      return result.bytes;
    }

    /**
     * Backs up the known content, then puts other content in the destination: a restore of the plaintext must change
     * it back. Returns the plaintext and what the destination held before (`original`) and holds now (`other`).
     */
    async function backupThenPutOther(): Promise<{ plaintext: Buffer; original: unknown; other: unknown }> {
      const plaintext = await backup();
      const original = await harness.read();
      await harness.putOther();
      const other = await harness.read();
      expect(other).not.toEqual(original);
      return { plaintext, original, other };
    }

    describe('open and restore', () => {
      it('open yields a plaintext that makes another destination equal to this one, and ends it normally', async () => {
        const original = await harness.read();
        const opened = harness.source.open();
        const result = await outcome(opened);

        expect(result.error).toBeUndefined();
        expect(result.ended).toBe(true);
        expect(result.bytes.length).toBeGreaterThan(0);
        expect(opened.errored).toBeNull();

        const copy = await harness.another();
        const input = chunked(result.bytes);
        await expect(copy.source.restore(input, commitCheck(input))).resolves.toMatchObject({
          description: expect.stringMatching(/\S/),
        });
        expect(await copy.read()).toEqual(original);
      });

      it('restore leaves exactly what the plaintext holds: what the destination held beside it is gone', async () => {
        const { plaintext, original } = await backupThenPutOther();

        const input = chunked(plaintext);
        await harness.source.restore(input, commitCheck(input));

        expect(await harness.read()).toEqual(original);
      });
    });

    describe('all or nothing', () => {
      it('restore rejects and changes nothing when the input fails halfway, never asking beforeCommit', async () => {
        const { plaintext, other } = await backupThenPutOther();
        const failure = new Error('connection reset while downloading the backup');
        const input = halfThen(plaintext, () => {
          throw failure;
        });
        const check = commitCheck(input);

        await expect(harness.source.restore(input, check)).rejects.toSatisfy(carries(failure));

        expect(check.calls).toEqual([]);
        expect(await harness.read()).toEqual(other);
      });

      it('restore rejects with the error of beforeCommit and changes nothing when beforeCommit rejects', async () => {
        const { plaintext, other } = await backupThenPutOther();
        const refusal = new BackstopError('backup-mismatch', 'sha256 mismatch', {
          userMessage: 'The backup does not match its sha256.',
        });
        const input = chunked(plaintext);
        const check = commitCheck(input, refusal);

        await expect(harness.source.restore(input, check)).rejects.toSatisfy(carries(refusal));

        expect(check.calls).toEqual([true]);
        expect(await harness.read()).toEqual(other);
      });

      it('restore asks beforeCommit exactly once, after the input has ended', async () => {
        const { plaintext, original } = await backupThenPutOther();
        const input = chunked(plaintext);
        const check = commitCheck(input);

        await harness.source.restore(input, check);

        expect(check.calls).toEqual([true]);
        expect(await harness.read()).toEqual(original);
      });
    });

    describe('abort', () => {
      it('aborting open destroys the stream with an error and never ends it', async () => {
        const controller = new AbortController();
        const opened = harness.source.open({ signal: controller.signal });
        opened.once('data', () => controller.abort());

        const result = await outcome(opened);

        expect(result.error).toBeInstanceOf(Error);
        expect(result.ended).toBe(false);
        expect(opened.destroyed).toBe(true);
      });

      it('aborting restore while it reads the input rejects and changes nothing', async () => {
        const { plaintext, other } = await backupThenPutOther();
        const controller = new AbortController();
        const input = halfThen(plaintext, () => controller.abort());
        const check = commitCheck(input);

        await expect(harness.source.restore(input, { ...check, signal: controller.signal })).rejects.toBeInstanceOf(
          Error,
        );

        expect(check.calls).toEqual([]);
        expect(await harness.read()).toEqual(other);
      });

      it('aborting restore while beforeCommit runs rejects and changes nothing', async () => {
        const { plaintext, other } = await backupThenPutOther();
        const controller = new AbortController();
        const restore = harness.source.restore(chunked(plaintext), {
          signal: controller.signal,
          beforeCommit: async () => controller.abort(),
        });

        await expect(restore).rejects.toBeInstanceOf(Error);

        expect(await harness.read()).toEqual(other);
      });
    });

    describe('failure', () => {
      it('a source that cannot be read destroys the stream with a BackstopError for people, never ending it', async () => {
        const opened = harness.unreadable().open();

        const result = await outcome(opened);

        expect(result.error).toBeInstanceOf(BackstopError);
        expect(result.error).toMatchObject({ userMessage: expect.stringMatching(/\S/) });
        expect(result.ended).toBe(false);
        expect(opened.destroyed).toBe(true);
      });
    });

    describe('describe and exists', () => {
      it('describe names the destination in one short line, without secrets', async () => {
        const description = await harness.source.describe();

        expect(description).toContain(harness.named);
        expect(description).not.toMatch(/\n/);
        expect(description.length).toBeLessThanOrEqual(200);
        for (const secret of harness.secrets) expect(description).not.toContain(secret);
      });

      it('exists is true for a destination that holds content', async () => {
        await expect(harness.source.exists()).resolves.toBe(true);
      });

      it('exists is false for a destination that does not exist yet, and true once restored into', async (context) => {
        if (harness.absent === undefined) return context.skip(`${name} has no destination that does not exist yet`);
        const absent = harness.absent();
        const plaintext = await backup();

        await expect(absent.exists()).resolves.toBe(false);
        const input = chunked(plaintext);
        await absent.restore(input, commitCheck(input));
        await expect(absent.exists()).resolves.toBe(true);
      });
    });

    describe('progress', () => {
      it('open reports progress with a phase and bytesDone that never goes back', async () => {
        const reports: Progress[] = [];

        const result = await outcome(harness.source.open({ onProgress: (progress) => reports.push(progress) }));

        expect(result.ended).toBe(true);
        expectWellFormedProgress(reports);
      });

      it('restore reports progress with a phase and bytesDone that never goes back', async () => {
        const { plaintext } = await backupThenPutOther();
        const reports: Progress[] = [];
        const input = chunked(plaintext);

        await harness.source.restore(input, {
          ...commitCheck(input),
          onProgress: (progress) => reports.push(progress),
        });

        expectWellFormedProgress(reports);
      });
    });
  });
}
