import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { BackstopError } from '../domain/backstop-error.ts';
import { PgCommitWithholder } from './pg-commit-withholder.ts';
import { type PgExit, PgProcess, type Spawn } from './pg-process.ts';
import type { PgTools } from './pg-tools.ts';
import type { ProgressListener } from './source.ts';

export interface PgRestoreRunOptions {
  spawn: Spawn;
  tools: PgTools;
  env: NodeJS.ProcessEnv;
  redact: (text: string) => string;
  /** SQL psql runs first, inside the transaction: it must start with BEGIN. */
  preamble: string;
  input: Readable;
  beforeCommit: () => Promise<void>;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

// --format=custom: anything else is refused at once rather than misread. --single-transaction: see
// PgCommitWithholder. psql: no ~/.psqlrc, never a password prompt, stop at the first error, and query results
// (set_config, setval) thrown away; its stdout carries only our \echo.
const PG_RESTORE_ARGS = ['--format=custom', '--single-transaction', '--no-owner', '--no-acl', '--file=-'];
const PSQL_ARGS = ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--output=/dev/null'];

/** What psql echoes once the preamble has run: the destination is connected, locked and emptied. */
const PREPARED = 'backstop: destination prepared';

const UNCHANGED = 'the database was not changed';

/** Why a restore stopped before COMMIT, gathered while it ran and judged once every process has ended. */
interface Facts {
  aborted?: unknown;
  inputError?: unknown;
  beforeCommitError?: unknown;
  /** How each tool ended if it ended on its own rather than being stopped. */
  psqlExit?: PgExit;
  pgRestoreExit?: PgExit;
  other?: unknown;
}

function messageOf(error: unknown): string {
  if (error instanceof BackstopError && error.userMessage !== undefined) return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}

function failed(message: string, userMessage: string, cause?: unknown): BackstopError {
  return new BackstopError('pg-restore-failed', message, { userMessage, cause });
}

/**
 * The first cause wins over its consequences: a broken input makes pg_restore fail, a failed pg_restore leaves
 * psql waiting until it is stopped.
 */
function judge(facts: Facts, tools: [PgProcess, PgExit | undefined][]): BackstopError {
  if (facts.aborted !== undefined) {
    return new BackstopError('aborted', 'restore aborted', {
      userMessage: `The database restore was cancelled; ${UNCHANGED}.`,
      cause: facts.aborted,
    });
  }
  if (facts.inputError !== undefined) {
    const reason = messageOf(facts.inputError);
    // A coded failure of the input (a damaged object's `decrypt-corrupt`) keeps its code: it names the cause a
    // person and a script act on, as a media restore does.
    const code = facts.inputError instanceof BackstopError ? facts.inputError.code : 'pg-restore-failed';
    return new BackstopError(code, `reading the backup failed: ${reason}`, {
      userMessage: `Reading the backup failed (${reason}); ${UNCHANGED}.`,
      cause: facts.inputError,
    });
  }
  if (facts.beforeCommitError !== undefined) {
    const reason = messageOf(facts.beforeCommitError);
    return failed(
      `check before commit failed: ${reason}`,
      `The backup did not pass its check (${reason}); ${UNCHANGED}.`,
      facts.beforeCommitError,
    );
  }
  for (const [tool, exit] of tools) {
    if (exit === undefined || exit.code === 0) continue;
    const failure = tool.describeFailure(exit);
    const hint = /lock timeout/.test(failure)
      ? ' Another session holds a lock on the database; end it (or its open transaction) and try again.'
      : '';
    return failed(failure, `The database restore failed; ${UNCHANGED}. ${failure}${hint}`);
  }
  const reason = messageOf(facts.other);
  return failed(`restore failed: ${reason}`, `The database restore failed (${reason}); ${UNCHANGED}.`, facts.other);
}

/** Resolves with the input's error, or once it closed before its end; never when it ends normally. */
function inputFailure(input: Readable): Promise<unknown> {
  return new Promise((resolve) => {
    if (input.destroyed) {
      resolve(input.errored ?? new Error('the backup stream was closed before the restore started'));
      return;
    }
    let ended = false;
    input.once('end', () => {
      ended = true;
    });
    input.on('error', resolve);
    input.once('close', () => {
      if (!ended) resolve(new Error('the backup stream was closed before its end'));
    });
  });
}

/** Rejects with the abort reason; `release` forgets the signal. */
function abortion(signal: AbortSignal | undefined): { aborted: Promise<never>; release: () => void } {
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason ?? new Error('aborted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { aborted, release: () => signal?.removeEventListener('abort', onAbort) };
}

/** Resolves once `stdout` has carried `text`; keeps draining it afterwards. */
function announced(stdout: Readable, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      if (seen.length > text.length * 4) return;
      seen += chunk;
      if (seen.includes(text)) resolve();
    });
  });
}

/** Feeds `input` to pg_restore, resolving once `input` ended; bytes pg_restore no longer reads are drained. */
function feed(input: Readable, pgRestore: PgProcess, onBytes: (count: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const stdin = pgRestore.stdin;
    // pg_restore may exit without reading the last bytes: they still have to be read for the caller's check.
    stdin.on('error', () => input.resume());
    pgRestore.exited.then(() => input.resume());
    stdin.on('drain', () => input.resume());
    input.on('data', (chunk: Buffer) => {
      onBytes(chunk.length);
      if (pgRestore.hasExited || stdin.destroyed) return;
      if (!stdin.write(chunk)) input.pause();
    });
    input.once('end', () => {
      stdin.end();
      resolve();
    });
  });
}

/**
 * Restores a pg_dump custom-format archive in one transaction that commits only if everything succeeded.
 * psql first connects and runs our BEGIN and preamble (so a missing database or a held lock is reported as such,
 * before any input is read); then `input | pg_restore -f - | psql`; COMMIT is written only after `input` ended,
 * pg_restore exited 0, all its SQL was handed to psql and `beforeCommit` resolved. On any failure psql's input is
 * closed without COMMIT and psql is interrupted (cancelling its running statement), so the server rolls the
 * transaction back. Rejects only after both tools have ended. Returns the number of bytes read from `input`.
 */
export async function runPgRestore(options: PgRestoreRunOptions): Promise<number> {
  const { input, spawn, tools, env, redact } = options;
  const facts: Facts = {};
  let stopping = false;
  let pgRestore: PgProcess | undefined;

  const psql = new PgProcess(spawn, tools.psql, PSQL_ARGS, { env, redact, stdin: 'pipe', stdout: 'pipe' });
  // psql turns our SIGINT into an exit code, so only an exit before we stop it is its own failure.
  psql.exited.then((exit) => {
    if (!stopping) facts.psqlExit = exit;
  });
  psql.stdin.on('error', () => {}); // a psql that stopped reading is reported through its exit status

  // Rejects as soon as the restore can no longer commit, whatever else is still running.
  const { aborted, release } = abortion(options.signal);
  const interrupted = Promise.race([
    psql.exited.then(() => Promise.reject(new Error('psql ended before COMMIT'))),
    inputFailure(input).then((error) => {
      if (!stopping) facts.inputError = error;
      throw error;
    }),
    aborted.catch((reason: unknown) => {
      if (!stopping) facts.aborted = reason;
      throw reason;
    }),
  ]);

  let bytesRead = 0;
  try {
    psql.stdin.write(`${options.preamble}\\echo ${PREPARED}\n`);
    await Promise.race([announced(psql.stdout, PREPARED), interrupted]);

    const started = new PgProcess(spawn, tools.pgRestore, PG_RESTORE_ARGS, {
      env,
      redact,
      stdin: 'pipe',
      stdout: 'pipe',
    });
    pgRestore = started;
    // pg_restore is stopped by a signal, so an exit code is its own failure (its output may end, and the restore
    // stop, before its exit is known).
    started.exited.then((exit) => {
      if (exit.signal === null) facts.pgRestoreExit = exit;
    });
    const fed = feed(input, started, (count) => {
      bytesRead += count;
      options.onProgress?.({ phase: 'restore', bytesDone: bytesRead });
    });
    const withholder = new PgCommitWithholder();
    // Piped rather than pipelined into psql: a psql that stopped reading must not make pg_restore fail too (its
    // write error would race psql's own exit); it is reported through its exit status. psql's stdin has had its
    // error handler since psql started.
    withholder.pipe(psql.stdin, { end: false });
    const converted = Promise.all([pipeline(started.stdout, withholder), finished(withholder)]);
    const succeeded = started.exited.then((exit) => {
      if (exit.code !== 0) throw new Error(started.describeFailure(exit));
    });
    await Promise.race([Promise.all([fed, converted, succeeded]), interrupted]);

    const checked = options.beforeCommit().catch((error: unknown) => {
      facts.beforeCommitError = error;
      throw error;
    });
    await Promise.race([checked, interrupted]);
    // An abort while beforeCommit runs can settle in the same tick as beforeCommit itself, and the race may then
    // pick beforeCommit's success; the restore must still not commit (the Source contract), so the signal is read
    // once more right before COMMIT is written.
    options.signal?.throwIfAborted();
  } catch (error) {
    stopping = true;
    facts.other = error;
    input.destroy();
    pgRestore?.stop();
    psql.stop('SIGINT');
    await Promise.all([pgRestore?.exited, psql.exited]);
    throw judge(facts, [
      [psql, facts.psqlExit],
      ...(pgRestore === undefined ? [] : [[pgRestore, facts.pgRestoreExit] as [PgProcess, PgExit | undefined]]),
    ]);
  } finally {
    release();
  }

  // From here on the restore cannot be cancelled: COMMIT is on its way.
  psql.stdin.end('COMMIT;\n');
  const exit = await psql.exited;
  if (exit.code !== 0) {
    const failure = psql.describeFailure(exit);
    throw failed(failure, `The database restore failed; ${UNCHANGED}. ${failure}`);
  }
  return bytesRead;
}
