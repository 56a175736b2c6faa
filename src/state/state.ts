import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { migrations } from '../../migrations/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { StateTables } from './tables.ts';

export type StateDb = Kysely<StateTables>;

export interface State {
  db: StateDb;
  /** "PostgreSQL" or "embedded PGlite in <dir>", for people. */
  description: string;
  /** An empty state that lives only in this process (see `openState`'s `whenAbsent`): nothing in it is kept. */
  inMemory?: true;
  close(): Promise<void>;
}

/**
 * Opens Backstop's own state: PostgreSQL when `databaseUrl` is given (any number of processes), else embedded PGlite
 * under `dataDir/state` (one process at a time: a lock file with the holder's pid guards it, and a second process is
 * refused with a message naming the holder). An embedded state that does not exist yet is created, or, with
 * `whenAbsent: 'empty'`, stands in for by an empty one in memory: commands that only read answer "nothing yet"
 * without leaving a data directory behind in a folder someone merely looked at.
 */
export async function openState(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  whenAbsent?: 'create' | 'empty';
}): Promise<State> {
  if (options.databaseUrl !== undefined) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    const db = new Kysely<StateTables>({ dialect: new PostgresDialect({ pool }) });
    return { db, description: 'PostgreSQL (DATABASE_URL)', close: () => db.destroy() };
  }
  const dir = join(options.dataDir, 'state');
  if (options.whenAbsent === 'empty' && !existsSync(dir)) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new Kysely<StateTables>({ dialect: new PGliteDialect(() => PGlite.create()) });
    return { db, description: 'an empty state (nothing was done here yet)', inMemory: true, close: () => db.destroy() };
  }
  mkdirSync(dir, { recursive: true });
  const releaseLock = takeLock(join(options.dataDir, 'state.lock'));
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new Kysely<StateTables>({ dialect: new PGliteDialect(() => PGlite.create(dir)) });
    return {
      db,
      description: `embedded PGlite in ${dir}`,
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

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: StateDb): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new BackstopError('migration-failed', `migrating the state database failed: ${String(error)}`, {
      cause: error,
      userMessage: 'Migrating Backstop’s state database failed; see the log.',
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
