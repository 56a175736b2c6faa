import { spawn as nodeSpawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import type { PartKind } from '../domain/part-kind.ts';
import {
  DEFAULT_PG_COMPRESSION,
  describePgCompression,
  type PgCompression,
  parsePgCompression,
} from '../domain/pg-compression.ts';
import { tablePatternRegex } from '../domain/pg-table-pattern.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { isMissingDatabase, PgConnection } from './pg-connection.ts';
import { pgDumpCompressArgument } from './pg-dump-compress.ts';
import { type DumpContents, DumpSnapshot } from './pg-dump-snapshot.ts';
import { streamPgDump } from './pg-dump-stream.ts';
import type { Spawn } from './pg-process.ts';
import { restorePreamble } from './pg-restore-preamble.ts';
import { runPgRestore } from './pg-restore-run.ts';
import { findPgTools, type PgTools, toolMajor } from './pg-tools.ts';
import type { OpenOptions, ProgressListener, RestoreSummary, Source } from './source.ts';

export interface PostgresSourceOptions {
  /** postgres:// or postgresql:// URL of the database; query parameters are libpq's (sslmode, host=/socket/dir). */
  url: string;
  /** Starts pg_dump, pg_restore and psql; default node's `child_process.spawn`. */
  spawn?: Spawn;
  /** How pg_dump compresses the dump; default DEFAULT_PG_COMPRESSION (gzip:1). */
  compression?: PgCompression;
  /** Where versioned client tools live (`<binRoot>/<major>/bin`); default /usr/lib/postgresql. */
  binRoot?: string;
  /**
   * How long a backup or a restore waits for another session's lock before failing (pg_dump's
   * `--lock-wait-timeout`, the restore's `lock_timeout`); default 30 s. Waiting for a lock is not a stalled
   * connection, so only this bounds it.
   */
  lockTimeoutMs?: number;
  /** pg_dump patterns of tables whose rows the dump leaves out (`--exclude-table-data`); the tables are kept. */
  excludeTableData?: readonly string[];
  /**
   * Whether each table's rows are counted in the dump's own snapshot (recorded with the backup, checked by a drill);
   * default true.
   */
  countRows?: boolean;
  /** Another database of the URL's server, with the URL's role (a drill restores into a scratch database so). */
  database?: string;
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/**
 * A PostgreSQL database as a Source: backups are `pg_dump --format=custom` archives, restores replace the whole
 * database in one transaction (see runPgRestore). Connection details reach the tools only through PG* environment
 * variables, never their command line, and error messages carry no password.
 */
export class PostgresSource implements Source {
  readonly kind: PartKind = 'db';
  readonly #connection: PgConnection;
  readonly #spawn: Spawn;
  readonly #compression: PgCompression;
  readonly #binRoot: string | undefined;
  readonly #lockTimeoutMs: number;
  readonly #excludeTableData: readonly string[];
  readonly #countRows: boolean;

  /** Checks the options at once, so that a bad URL fails at start rather than at the first backup. */
  constructor(options: PostgresSourceOptions) {
    const { compression = DEFAULT_PG_COMPRESSION, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS } = options;
    const checked = parsePgCompression(describePgCompression(compression));
    if ('problem' in checked) {
      throw new BackstopError(
        'invalid-option',
        `compression ${describePgCompression(compression)}: ${checked.problem}`,
      );
    }
    if (!(Number.isInteger(lockTimeoutMs) && lockTimeoutMs > 0)) {
      throw new BackstopError('invalid-option', `lockTimeoutMs must be a positive integer, not ${lockTimeoutMs}`);
    }
    const connection = PgConnection.fromUrl(options.url);
    this.#connection = options.database === undefined ? connection : connection.withDatabase(options.database);
    this.#spawn = options.spawn ?? nodeSpawn;
    this.#compression = compression;
    this.#binRoot = options.binRoot;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#excludeTableData = options.excludeTableData ?? [];
    this.#countRows = options.countRows ?? true;
    for (const pattern of this.#excludeTableData) tablePatternRegex(pattern); // fail here on a pattern pg_dump refuses
  }

  /**
   * pg_dump's archive of the database, dumped from a snapshot Backstop exports and counts every table's rows in (see
   * DumpSnapshot): `onContents` gets the counts before the stream ends. With `countRows: false`, pg_dump takes its own
   * snapshot and nothing is counted.
   */
  open(options: OpenOptions = {}): Readable {
    let snapshot: DumpSnapshot | undefined;
    let counting: Promise<DumpContents> | undefined;
    let cleanedUp = false;
    return streamPgDump({
      spawn: this.#spawn,
      pgDump: async () => {
        const { pgDump } = await this.#tools();
        const compress = pgDumpCompressArgument(this.#compression, await toolMajor(pgDump));
        if (this.#countRows) {
          snapshot = await DumpSnapshot.export(this.#connection, this.#lockTimeoutMs);
          // Stopped while the snapshot was being exported: nobody else will close it.
          if (cleanedUp) await snapshot.close();
          else {
            counting = snapshot.contents(this.#excludeTableData);
            counting.catch(() => undefined); // awaited before the end; a failure then fails the stream
          }
        }
        return {
          command: pgDump,
          args: [
            '--format=custom',
            '--no-password',
            `--lock-wait-timeout=${this.#lockTimeoutMs}`,
            compress,
            ...(snapshot === undefined ? [] : [`--snapshot=${snapshot.id}`]),
            ...this.#excludeTableData.map((pattern) => `--exclude-table-data=${pattern}`),
          ],
        };
      },
      env: this.#environment(),
      redact: (text) => this.#connection.redact(text),
      signal: options.signal,
      onProgress: options.onProgress,
      beforeEnd: async () => {
        if (counting === undefined) return;
        const contents = await counting.catch((error: unknown) => {
          throw new BackstopError('pg-dump-failed', `counting the rows of the dump failed: ${reasonOf(error)}`, {
            userMessage: `The database backup failed while counting each table's rows: ${this.#connection.redact(reasonOf(error))}`,
            cause: error,
            retryable: true,
          });
        });
        options.onContents?.(contents);
      },
      cleanup: async () => {
        cleanedUp = true;
        await snapshot?.close();
      },
    });
  }

  /**
   * Restores into the database, all or nothing. A database that does not exist yet (a restore after a disaster, into
   * a fresh server) is created first when the role may create databases, and dropped again if the restore then fails;
   * when it may not, the restore is refused with the `createdb` command to run.
   */
  async restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary> {
    let tools: PgTools;
    let created = false;
    try {
      if (!(await this.exists())) created = await this.#createDatabase();
      tools = await this.#tools();
    } catch (error) {
      // Nothing will read the input: release whoever produces it.
      input.destroy();
      if (created) await this.#dropDatabase();
      throw error;
    }
    try {
      const summary = await this.#restoreInto(tools, input, options);
      return created ? { ...summary, description: `${summary.description} (created: it did not exist)` } : summary;
    } catch (error) {
      if (created) await this.#dropDatabase();
      throw error;
    }
  }

  async #restoreInto(
    tools: PgTools,
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary> {
    const bytesRead = await runPgRestore({
      spawn: this.#spawn,
      tools,
      env: this.#environment(),
      redact: (text) => this.#connection.redact(text),
      preamble: restorePreamble(this.#lockTimeoutMs),
      input,
      beforeCommit: options.beforeCommit,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    // The restore has committed: a failure to describe the result must not turn it into a failure.
    const description = await this.describe().catch(() => String(this.#connection));
    return { description: `restored ${description}`, bytesRead };
  }

  /** False when the database does not exist (there is nothing a safety backup could keep); true otherwise. */
  async exists(): Promise<boolean> {
    try {
      await (await this.#connection.connect()).end();
      return true;
    } catch (error) {
      if (isMissingDatabase(error)) return false;
      throw error;
    }
  }

  /** "database shop_staging on 127.0.0.1:5432 (23 tables, 48 MB)", or that it does not exist yet. */
  async describe(): Promise<string> {
    const client = await this.#connection.connect().catch((error: unknown) => {
      if (isMissingDatabase(error)) return undefined;
      throw error;
    });
    if (client === undefined) return `${this.#connection} (it does not exist yet: the restore creates it)`;
    try {
      const result = await client.query<{ tables: string; size: string }>(
        `SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') AS tables,
                pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(pg_catalog.current_database())) AS size`,
      );
      const row = result.rows[0]!;
      return `${this.#connection} (${row.tables} ${row.tables === '1' ? 'table' : 'tables'}, ${row.size})`;
    } finally {
      await client.end();
    }
  }

  /**
   * Creates the database, owned by the role of the URL, from the server's `postgres` database (or `template1`).
   * Refuses with the exact `createdb` to run when the role may not create databases.
   */
  async #createDatabase(): Promise<true> {
    const name = this.#connection.database;
    const client = await this.#connection.connect('postgres').catch(() => this.#connection.connect('template1'));
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42501') {
        const where = this.#connection.isSocket
          ? `-h ${this.#connection.host}`
          : `-h ${this.#connection.host} -p ${this.#connection.port}`;
        const command = `createdb ${where} -U <a role that may create databases> -O ${this.#connection.user} ${name}`;
        const message =
          `The database ${name} does not exist on ${this.#connection.host} and ${this.#connection.user} may not ` +
          `create it; nothing was changed. Create it, then restore again: ${command}`;
        throw new BackstopError('pg-restore-failed', message, { userMessage: message, cause: error });
      }
      if (code === '42P04') return true; // created meanwhile by someone else: restore into it, and never drop it
      throw error;
    } finally {
      await client.end();
    }
  }

  /** Drops the database this restore created, after the restore failed: the destination is as it was, absent. */
  async #dropDatabase(): Promise<void> {
    const client = await this.#connection.connect('postgres').catch(() => this.#connection.connect('template1'));
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(this.#connection.database)} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }

  #tools(): Promise<PgTools> {
    return findPgTools(this.#connection, this.#binRoot === undefined ? {} : { binRoot: this.#binRoot });
  }

  // The tools inherit Backstop's environment (PATH, HOME for ~/.pgpass, locale) except for PG* variables.
  #environment(): NodeJS.ProcessEnv {
    return this.#connection.environment(process.env);
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
