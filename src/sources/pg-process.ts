import type { ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Node's `child_process.spawn`, injectable so that tests can record calls or produce failures. */
export type Spawn = typeof nodeSpawn;

/** How a client tool ended: an exit code, a signal, or a failure to start at all. */
export interface PgExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** Enough of the end of a tool's stderr to show the error it printed, without holding all of a chatty one. */
const STDERR_TAIL_BYTES = 2048;

/**
 * A running pg_dump, pg_restore or psql: its pipes, a promise of its end (which never rejects) and the tail of its
 * stderr, with the connection's password redacted.
 */
export class PgProcess {
  readonly name: string;
  readonly exited: Promise<PgExit>;
  readonly #child: ChildProcess;
  readonly #redact: (text: string) => string;
  #stderr = Buffer.alloc(0);
  #exit: PgExit | undefined;

  constructor(
    spawn: Spawn,
    command: string,
    args: readonly string[],
    options: {
      env: NodeJS.ProcessEnv;
      stdin: 'pipe' | 'ignore';
      stdout: 'pipe' | 'ignore';
      redact: (text: string) => string;
    },
  ) {
    this.name = command.replace(/^.*\//, '');
    this.#redact = options.redact;
    this.#child = spawn(command, args, { env: options.env, stdio: [options.stdin, options.stdout, 'pipe'] });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = Buffer.concat([this.#stderr, chunk]);
      if (this.#stderr.length > 2 * STDERR_TAIL_BYTES) this.#stderr = this.#stderr.subarray(-STDERR_TAIL_BYTES);
    });
    // A child that cannot start emits 'error' and may never emit 'close'; one that ran emits 'close' once its pipes
    // are drained, so everything it wrote has been delivered by then.
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (error) => resolve({ code: null, signal: null, error }));
      this.#child.once('close', (code, signal) => resolve({ code, signal }));
    }).then((exit) => {
      this.#exit = exit as PgExit;
      return this.#exit;
    });
  }

  get stdin(): Writable {
    return this.#child.stdin!;
  }

  get stdout(): Readable {
    return this.#child.stdout!;
  }

  /** True once the process has ended, whatever the reason. */
  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /**
   * Closes the process's pipes and signals it; SIGINT makes psql cancel its running statement and exit. The pipes
   * are closed because unread output would keep the process from ever counting as ended.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#exit !== undefined) return;
    this.#child.stdin?.destroy();
    this.#child.stdout?.destroy();
    this.#child.kill(signal);
  }

  /** The last lines of stderr, whole lines only, password redacted. */
  stderrTail(): string {
    let text = this.#stderr.subarray(-STDERR_TAIL_BYTES).toString('utf8');
    if (this.#stderr.length > STDERR_TAIL_BYTES) text = text.slice(text.indexOf('\n') + 1);
    return this.#redact(text.trim());
  }

  /** "pg_dump exited with code 1: <stderr tail>", for error messages. */
  describeFailure(exit: PgExit): string {
    const how =
      exit.error !== undefined
        ? `could not be started (${exit.error.message})`
        : exit.signal !== null
          ? `was killed by ${exit.signal}`
          : `exited with code ${exit.code}`;
    const stderr = this.stderrTail();
    return stderr === '' ? `${this.name} ${how}` : `${this.name} ${how}: ${stderr}`;
  }
}
