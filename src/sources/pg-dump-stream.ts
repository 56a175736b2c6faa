import { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { PgProcess, type Spawn } from './pg-process.ts';
import type { ProgressListener } from './source.ts';

export interface PgDumpStreamOptions {
  spawn: Spawn;
  /** Resolves to the pg_dump to run and its arguments (it may first ask the server and the tool their versions). */
  pgDump: () => Promise<{ command: string; args: readonly string[] }>;
  env: NodeJS.ProcessEnv;
  redact: (text: string) => string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Awaited once pg_dump exited 0, before the stream ends; a rejection fails the stream instead. */
  beforeEnd?: () => Promise<void>;
  /** Called once, after pg_dump has exited or the stream was destroyed, whichever comes first. */
  cleanup?: () => Promise<void>;
}

/** How much dump output may wait in the stream for a slow consumer before pg_dump is paused. */
const HIGH_WATER_MARK = 1024 * 1024;

function aborted(reason: unknown): BackstopError {
  return new BackstopError('aborted', 'pg_dump was aborted', {
    userMessage: 'The database backup was cancelled.',
    cause: reason,
  });
}

/**
 * pg_dump's stdout as a stream that ends only after pg_dump exited 0. A failing pg_dump still writes a few bytes of
 * archive header, so the bytes pass through as they come but the end of the stream is held back until the exit
 * code is known: on failure the stream is destroyed instead (BackstopError `pg-dump-failed` with pg_dump's stderr),
 * and a consumer never sees a normal end. Destroying the stream, or aborting `signal`, kills pg_dump.
 */
export function streamPgDump(options: PgDumpStreamOptions): Readable {
  let dump: PgProcess | undefined;
  const output = new Readable({
    highWaterMark: HIGH_WATER_MARK,
    read() {
      dump?.stdout.resume();
    },
    destroy(error, callback) {
      dump?.stop();
      options.signal?.removeEventListener('abort', onAbort);
      void cleanUp();
      callback(error);
    },
  });
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await options.cleanup?.();
  };
  const onAbort = () => output.destroy(aborted(options.signal?.reason));
  if (options.signal?.aborted) {
    onAbort();
    return output;
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const run = async () => {
    const { command, args } = await options.pgDump();
    if (output.destroyed) return;
    const started = new PgProcess(options.spawn, command, args, {
      env: options.env,
      stdin: 'ignore',
      stdout: 'pipe',
      redact: options.redact,
    });
    dump = started;
    let bytesDone = 0;
    started.stdout.on('data', (chunk: Buffer) => {
      bytesDone += chunk.length;
      options.onProgress?.({ phase: 'dump', bytesDone });
      if (!output.push(chunk)) started.stdout.pause();
    });
    const exit = await started.exited;
    if (output.destroyed) return;
    if (exit.code === 0) {
      await options.beforeEnd?.();
      await cleanUp();
      if (output.destroyed) return;
      options.signal?.removeEventListener('abort', onAbort);
      output.push(null);
      return;
    }
    await cleanUp();
    const failure = started.describeFailure(exit);
    // pg_dump bounds its wait for a table lock with a statement timeout on LOCK TABLE (--lock-wait-timeout).
    const locked = /statement timeout[\s\S]*LOCK TABLE (\S+)/.exec(failure)?.[1];
    const hint = locked
      ? ` Another session held a lock on ${locked} for longer than the lock timeout; end it (or its open transaction), or let Backstop try again.`
      : '';
    throw new BackstopError('pg-dump-failed', failure, {
      userMessage: `The database backup failed: ${failure}${hint}`,
      // A lock held too long or a connection that dropped may be gone when tried again; a missing table or a
      // refused login will not.
      retryable: TRANSIENT_DUMP_FAILURE.test(failure),
    });
  };
  run().catch((error: unknown) => output.destroy(error as Error));
  return output;
}

/**
 * pg_dump failures that may pass when tried again, by what pg_dump says: a lock held too long, a server starting,
 * stopping or unreachable, a connection that dropped. A missing database or table, or a refused login, will not.
 */
const TRANSIENT_DUMP_FAILURE =
  /could not obtain lock|lock timeout|statement timeout|Connection refused|timeout expired|server closed the connection unexpectedly|could not receive data|terminating connection due to administrator command|the database system is (starting up|shutting down)|No route to host|Network is unreachable/i;
