import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations, sqliteMigrations } from '../../migrations/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import { SqliteStateDialect } from './sqlite-dialect.ts';
import { isEmbeddedState } from './state-dialect.ts';
import type { StateTables } from './tables.ts';

export type StateDb = Kysely<StateTables>;

export interface State {
  db: StateDb;
  /** "PostgreSQL (DATABASE_URL)" or "the embedded state in <file>", for people. */
  description: string;
  /** An empty state that lives only in this process (see `openState`'s `whenAbsent`): nothing in it is kept. */
  inMemory?: true;
  close(): Promise<void>;
}

/**
 * Opens Backstop's own state: PostgreSQL when `databaseUrl` is given (any number of processes), else the embedded
 * SQLite file `dataDir/state.sqlite` (one process at a time: a lock file with the holder's pid guards it, and a second
 * process is refused with a message naming the holder). An embedded state that does not exist yet is created, or,
 * with `whenAbsent: 'empty'`, stood in for by an empty one in memory: commands that only read answer "nothing yet"
 * without leaving a data directory behind in a folder someone merely looked at.
 */
export async function openState(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  whenAbsent?: 'create' | 'empty';
}): Promise<State> {
  if (options.databaseUrl !== undefined) {
    const { default: pg } = await import('pg'); // loaded only for a PostgreSQL state
    // A state server that does not answer fails a connection attempt after 10 s, and TCP keepalive notices a
    // connection whose peer went away (a partition loses packets silently) instead of waiting on it for ever.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    const db = new Kysely<StateTables>({ dialect: new PostgresDialect({ pool }) });
    return { db, description: 'PostgreSQL (DATABASE_URL)', close: () => db.destroy() };
  }
  refuseEarlierEmbeddedState(options.dataDir);
  const file = join(options.dataDir, EMBEDDED_STATE_FILE);
  const { DatabaseSync } = await import('node:sqlite');
  if (options.whenAbsent === 'empty' && !existsSync(file)) {
    const db = new Kysely<StateTables>({
      dialect: new SqliteStateDialect(() => configured(new DatabaseSync(':memory:'))),
    });
    return { db, description: 'an empty state (nothing was done here yet)', inMemory: true, close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const releaseLock = takeLock(join(options.dataDir, 'state.lock'));
  try {
    const db = new Kysely<StateTables>({ dialect: new SqliteStateDialect(() => configured(new DatabaseSync(file))) });
    return {
      db,
      description: `the embedded state in ${file}`,
      close: async () => {
        await db.destroy();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * Opens the state only to read it, quickly or not at all (shell completion while someone types): the embedded file
 * without taking its lock (SQLite lets a reader in beside the process that holds it, and a reader waits at most
 * `timeoutMs` for a write to end), or PostgreSQL with one connection that gives up after `timeoutMs`, as its
 * statements do. Undefined when there is no state yet; nothing is created or migrated. A caller that writes through it
 * gets an error.
 */
export async function openStateForReading(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  timeoutMs: number;
}): Promise<State | undefined> {
  if (options.databaseUrl !== undefined) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 1,
      connectionTimeoutMillis: options.timeoutMs,
      statement_timeout: options.timeoutMs,
      idleTimeoutMillis: 1,
    });
    pool.on('error', () => {}); // a connection lost while idle: the next query says so, if any
    const db = new Kysely<StateTables>({ dialect: new PostgresDialect({ pool }) });
    return { db, description: 'PostgreSQL (DATABASE_URL), read only', close: () => db.destroy() };
  }
  const file = join(options.dataDir, EMBEDDED_STATE_FILE);
  if (!existsSync(file)) return undefined;
  const { DatabaseSync } = await import('node:sqlite');
  const db = new Kysely<StateTables>({
    dialect: new SqliteStateDialect(() => {
      const database = new DatabaseSync(file, { readOnly: true });
      database.exec(`pragma busy_timeout = ${Math.round(options.timeoutMs)}`);
      return database;
    }),
  });
  return { db, description: `the embedded state in ${file}, read only`, close: () => db.destroy() };
}

/** The embedded state's file under the data directory. */
export const EMBEDDED_STATE_FILE = 'state.sqlite';

/**
 * Durable commits (a backup recorded complete stays recorded through a power cut: the write-ahead log is synced at
 * every commit), foreign keys enforced as in PostgreSQL.
 */
function configured(database: DatabaseSync): DatabaseSync {
  database.exec('pragma journal_mode = wal; pragma synchronous = full; pragma foreign_keys = on;');
  return database;
}

/**
 * An earlier Backstop kept its embedded state in PGlite under `dataDir/state/`. Its catalogue can be rebuilt from
 * the backups in storage (their signed backup.json files), which is what the message says to do.
 */
function refuseEarlierEmbeddedState(dataDir: string): void {
  const earlier = join(dataDir, 'state');
  if (!existsSync(join(earlier, 'PG_VERSION'))) return;
  const message =
    `${earlier} holds the embedded state of an earlier Backstop (PGlite), which this version no longer reads: it ` +
    `keeps its embedded state in ${join(dataDir, EMBEDDED_STATE_FILE)}. Your backups are untouched in storage. Move ` +
    `the old state aside (mv ${earlier} ${earlier}.pglite), then run \`backstop catalog rebuild\` to list them again. ` +
    'What storage does not hold starts afresh: pins (pin again what you had pinned, before retention runs), restore ' +
    'history, the audit log and API tokens.';
  throw new BackstopError('state-format', message, { userMessage: message });
}

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: StateDb): Promise<string[]> {
  const all = isEmbeddedState(db) ? sqliteMigrations : migrations;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => all } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new BackstopError('migration-failed', `migrating the state database failed: ${reasonOf(error)}`, {
      cause: error,
      userMessage: stateFailureMessage(error),
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function takeLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // The holder's command too, so whoever finds the state taken learns what holds it.
      writeFileSync(path, `${process.pid}\n${holderCommand()}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, command = ''] = readFileSync(path, 'utf8').split('\n');
      const holder = Number(pid);
      if (!isAlive(holder)) {
        rmSync(path, { force: true }); // left by a process that died: take it over
        continue;
      }
      const what = command.startsWith('backstop ') ? `\`${command}\` (process ${holder})` : `process ${holder}`;
      const message = command.startsWith('backstop serve')
        ? `Backstop's embedded state in ${path.replace(/state\.lock$/, '')} is held by ${what}, which did not take ` +
          'this command; stop it, or run the command again once it answers.'
        : `Backstop's embedded state in ${path.replace(/state\.lock$/, '')} is in use by ${what}: one process ` +
          'at a time may use it. Wait for it to finish. To run commands side by side, keep `backstop serve` ' +
          'running (other commands are then handed to it), or share the state in PostgreSQL (DATABASE_URL).';
      throw new BackstopError('state-locked', message, {
        userMessage: message,
        details: {
          holderPid: holder,
          holderIsServer: command.startsWith('backstop serve'),
          // A short-lived `backstop` command (list, create...), which a starting server may wait for.
          holderIsCommand: command.startsWith('backstop ') && !/^backstop (serve|worker)\b/.test(command),
        },
      });
    }
  }
  throw new BackstopError('state-locked', `could not take the lock ${path}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's command as a person typed it, when it is the `backstop` command. */
function holderCommand(): string {
  const script = process.argv[1] ?? '';
  return /backstop(\.js)?$/.test(script) ? `backstop ${process.argv.slice(2).join(' ')}`.trim() : '';
}

/**
 * What to tell a person whose state database could not be migrated: usually it cannot be reached or does not exist
 * yet (a forgotten createdb, a wrong port), and the cause says which. PostgreSQL's messages name no password.
 */
function stateFailureMessage(error: unknown): string {
  const reason = reasonOf(error);
  const code =
    (error as { code?: unknown }).code ?? (error instanceof AggregateError ? error.errors[0]?.code : undefined);
  const where = 'the database: setting (or DATABASE_URL)';
  if (code === '3D000') return `Backstop’s state database does not exist (${reason}): create it, or correct ${where}.`;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(code)
  ) {
    return `Backstop could not reach its state database (${reason}): check that PostgreSQL runs there and that ${where} names it.`;
  }
  if (code === '28P01' || code === '28000')
    return `Backstop’s state database refused the login (${reason}): check ${where}.`;
  return `Migrating Backstop’s state database failed: ${reason}.`;
}

/** An error's message; a failed connection to every address of a host reports each (its own message is empty). */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map((inner) => reasonOf(inner)))].join('; ');
  }
  return error instanceof Error && error.message !== '' ? error.message : String(error);
}
