import type pg from 'pg';
import { BackstopError } from '../domain/backstop-error.ts';
import { DRILL_SCRATCH_PREFIX } from '../domain/drill.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { PgConnection } from './pg-connection.ts';
import { DUMPED_TABLES_QUERY } from './pg-dump-snapshot.ts';
import type { Spawn } from './pg-process.ts';
import { PostgresSource } from './postgres-source.ts';

/** How long one SQL assertion of a drill may run before it counts as failed. */
const ASSERTION_TIMEOUT_MS = 60_000;

/** The advisory lock a drill holds on its database server (one key for every Backstop: one drill per server). */
export const DRILL_SERVER_LOCK = 0x6b_5c_d1_11;

/**
 * A scratch database on a target's server, made by a drill and always dropped by it: restored into through
 * PostgresSource (which creates it, owned by the target URL's role), then read to check the restore. Never the
 * target's own database: its name is a drill's (`backstop_drill_<operation id>`), checked here.
 */
export class ScratchDatabase {
  readonly #server: PgConnection;
  readonly #scratch: PgConnection;

  constructor(
    /** The target's database URL: the server, role and connection parameters the scratch database shares. */
    private readonly url: string,
    readonly name: string,
    private readonly tools: { spawn?: Spawn; binRoot?: string } = {},
  ) {
    if (!name.startsWith(DRILL_SCRATCH_PREFIX)) throw new Error(`${name} is not a drill's scratch database`);
    this.#server = PgConnection.fromUrl(url);
    this.#scratch = this.#server.withDatabase(name);
  }

  /** `host:port` of the server: drills of one server run one at a time. */
  static serverOf(url: string): string {
    return PgConnection.fromUrl(url).server;
  }

  /** The names of the drills' scratch databases on the server of `url` (live ones included: the caller decides). */
  static async list(url: string): Promise<string[]> {
    const client = await connectToServer(PgConnection.fromUrl(url));
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT datname AS name FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY datname`,
        [DRILL_SCRATCH_PREFIX],
      );
      return rows.map((row) => row.name);
    } finally {
      await client.end();
    }
  }

  /**
   * Waits for the server's drill lock and holds it until `release` is called: one drill at a time per database
   * server, however the targets' URLs name it (a host name, an address, a socket) and whichever Backstop runs it. A
   * session-level advisory lock, so a drill killed while holding it lets go as its connection ends. Aborting `signal`
   * stops the wait.
   */
  static async lockServer(url: string, signal?: AbortSignal): Promise<{ release: () => Promise<void> }> {
    const client = await connectToServer(PgConnection.fromUrl(url));
    client.on('error', () => undefined);
    const stop = () => void client.end().catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      signal?.throwIfAborted();
      await client.query('SELECT pg_catalog.pg_advisory_lock($1)', [DRILL_SERVER_LOCK]);
    } catch (error) {
      signal?.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
      throw signal?.aborted ? (signal.reason ?? error) : error;
    }
    signal?.removeEventListener('abort', stop);
    return { release: () => client.end().catch(() => undefined) };
  }

  /**
   * The role of the URL and its server (`host:port`) when that role may not create the scratch database there;
   * undefined when it may (it has CREATEDB or is a superuser). Asked before restoring, so that a drill without the
   * right fails at once, saying so, rather than with the advice a restore gives (create the database by hand first).
   */
  async refusalToCreate(): Promise<{ user: string; server: string } | undefined> {
    const client = await connectToServer(this.#server);
    try {
      const { rows } = await client.query<{ may: boolean }>(
        'SELECT rolcreatedb OR rolsuper AS may FROM pg_catalog.pg_roles WHERE rolname = current_user',
      );
      if (rows[0]?.may === true) return undefined;
      return { user: this.#server.user, server: this.#server.server };
    } finally {
      await client.end();
    }
  }

  /** The database as a Source to restore into (it is created if it does not exist). */
  source(): PostgresSource {
    return new PostgresSource({
      url: this.url,
      database: this.name,
      ...(this.tools.spawn !== undefined && { spawn: this.tools.spawn }),
      ...(this.tools.binRoot !== undefined && { binRoot: this.tools.binRoot }),
    });
  }

  /**
   * Compares the restored tables with the counts recorded at backup time: every recorded table must exist with
   * exactly its count. Resolves to every difference in words, in table order ("table public.orders: recorded 1200
   * rows, found 1199"), empty when all agree.
   */
  async differencesFrom(recorded: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<string[]> {
    const client = await this.#scratch.connect();
    const stop = cancelOnAbort(client, this.#scratch, signal);
    const differences: string[] = [];
    try {
      const present = new Set((await client.query<{ name: string }>(DUMPED_TABLES_QUERY)).rows.map((r) => r.name));
      for (const [table, rows] of Object.entries(recorded)) {
        signal?.throwIfAborted();
        if (!present.has(table)) {
          differences.push(`table ${table}: recorded ${rows} rows, but the restore has no such table`);
          continue;
        }
        // The name was written by format('%I.%I') at backup time, quoted as SQL needs; it exists, as checked above.
        const found = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
        if (found !== rows) differences.push(`table ${table}: recorded ${rows} rows, found ${found}`);
      }
      return differences;
    } finally {
      stop();
      await client.end();
    }
  }

  /**
   * Runs one SQL assertion from the config in a read-only transaction, as one statement (the extended protocol takes
   * no more): it passes when it returns at least one row and every value it returns is true, so that neither an
   * empty result nor a later false row passes unseen. Resolves to why it failed, or undefined when it passed.
   */
  async failedAssertion(query: string, signal?: AbortSignal): Promise<string | undefined> {
    const client = await this.#scratch.connect();
    client.on('error', () => undefined);
    const stop = cancelOnAbort(client, this.#scratch, signal);
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${ASSERTION_TIMEOUT_MS}`);
      // queryMode is pg's (8.11 and later), not yet in its type definitions.
      const oneStatement = { text: query, rowMode: 'array', queryMode: 'extended' } as pg.QueryArrayConfig;
      const result = await client.query(oneStatement);
      const rows = result.rows as unknown[][];
      if (rows.length === 0) return `check "${query}" returned no row, not true`;
      const notTrue = rows.flat().find((value) => value !== true);
      if (notTrue === undefined && rows.every((row) => row.length > 0)) return undefined;
      const shown = notTrue === undefined ? 'no value' : JSON.stringify(notTrue);
      const among = rows.length > 1 || rows[0]!.length > 1 ? ' among its values' : '';
      if (notTrue === false || notTrue === null) return `check "${query}" returned ${shown}${among}, not true`;
      return `check "${query}" returned ${shown}${among}, not true or false: write a query that returns a boolean (select count(*) > 0 from ...)`;
    } catch (error) {
      // Stopped on purpose: the drill is cancelled, not failed by its check.
      signal?.throwIfAborted();
      if ((error as { code?: string }).code === '42601' && /multiple commands/.test(reasonOf(error))) {
        return `check "${query}" is several statements: write each as a check of its own (one SELECT that returns true)`;
      }
      return `check "${query}" failed: ${this.#scratch.redact(reasonOf(error))}`;
    } finally {
      stop();
      await client.end().catch(() => undefined);
    }
  }

  /** Drops the scratch database, closing whatever sessions it has; nothing happens when it does not exist. */
  async drop(): Promise<void> {
    await ScratchDatabase.drop(this.url, this.name);
  }

  /** Drops the drill scratch database `name` on the server of `url`. */
  static async drop(url: string, name: string): Promise<void> {
    if (!name.startsWith(DRILL_SCRATCH_PREFIX)) throw new Error(`${name} is not a drill's scratch database`);
    const client = await connectToServer(PgConnection.fromUrl(url));
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
    } catch (error) {
      throw new BackstopError('drill-failed', `could not drop the scratch database ${name}: ${reasonOf(error)}`, {
        cause: error,
      });
    } finally {
      await client.end();
    }
  }
}

/** A session on the server's maintenance database, to list, create and drop databases. */
function connectToServer(connection: PgConnection): Promise<pg.Client> {
  return connection.connect('postgres').catch(() => connection.connect('template1'));
}

/**
 * While `signal` has not aborted, nothing; once it does, asks the server to cancel what `client` is running (a check
 * may sleep or scan for its whole 60 s: a cancelled drill must not wait for it). Returns what stops listening.
 */
function cancelOnAbort(client: pg.Client, connection: PgConnection, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {};
  const processId = (client as unknown as { processID?: number }).processID;
  const cancel = () => {
    if (processId === undefined) return;
    void connection
      .connect()
      .then(async (other) => {
        try {
          await other.query('SELECT pg_catalog.pg_cancel_backend($1)', [processId]);
        } finally {
          await other.end();
        }
      })
      .catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}
