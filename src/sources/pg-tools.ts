import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { BackstopError } from '../domain/backstop-error.ts';
import type { PgConnection } from './pg-connection.ts';

/** Absolute paths of the client tools chosen for one server. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
  psql: string;
}

export interface PgToolsOptions {
  /** Where versioned tools live, one `<major>/bin` per version (Debian's layout). */
  binRoot?: string;
  /** A PATH-style list of directories tried when `binRoot` has no fitting version; default: the PATH. */
  searchPath?: string;
}

const TOOL_NAMES = { pgDump: 'pg_dump', pgRestore: 'pg_restore', psql: 'psql' } as const;

// Lookups touch the disk and run `--version`; the answer only changes when packages are installed, so it is kept
// per server major version for the life of the process. Failures are not kept: installing the package fixes them.
const cache = new Map<string, Promise<PgTools>>();

/**
 * The major version as Debian names its directories and packages: 15 for 150020, 9.6 for 90624 (before
 * PostgreSQL 10 the major version had two parts).
 */
export function majorVersion(versionNum: number): number {
  const first = Math.floor(versionNum / 10000);
  return versionNum >= 100000 ? first : first + (Math.floor(versionNum / 100) % 100) / 10;
}

/** "15.20" for 150020, "9.6.24" for 90624. */
function versionText(versionNum: number): string {
  if (versionNum >= 100000) return `${Math.floor(versionNum / 10000)}.${versionNum % 10000}`;
  return `${majorVersion(versionNum)}.${versionNum % 100}`;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function toolsIn(directory: string): Promise<PgTools | undefined> {
  const tools = {
    pgDump: join(directory, TOOL_NAMES.pgDump),
    pgRestore: join(directory, TOOL_NAMES.pgRestore),
    psql: join(directory, TOOL_NAMES.psql),
  };
  const present = await Promise.all(Object.values(tools).map(isExecutable));
  return present.every(Boolean) ? tools : undefined;
}

/** The newest `<binRoot>/<major>/bin` holding all three tools, if its major is at least `minimum`. */
async function fromBinRoot(binRoot: string, minimum: number): Promise<PgTools | undefined> {
  const entries = await readdir(binRoot).catch(() => [] as string[]);
  const majors = entries
    .map((name) => ({ name, major: Number(name) }))
    .filter(({ name, major }) => name !== '' && Number.isFinite(major) && major >= minimum)
    .sort((a, b) => b.major - a.major);
  for (const { name } of majors) {
    const tools = await toolsIn(join(binRoot, name, 'bin'));
    if (tools !== undefined) return tools;
  }
  return undefined;
}

const majors = new Map<string, Promise<number | undefined>>();

/** The major version the tool at `path` reports (asked once per process), or undefined when it does not say. */
export function toolMajor(path: string): Promise<number | undefined> {
  let major = majors.get(path);
  if (major === undefined) {
    major = reportedMajor(path);
    majors.set(path, major);
  }
  return major;
}

/** The major version a tool reports: "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15; 9.6.24 -> 9.6. */
async function reportedMajor(path: string): Promise<number | undefined> {
  const output = await promisify(execFile)(path, ['--version'], { timeout: 10_000 }).then(
    ({ stdout }) => stdout,
    () => '',
  );
  const match = /\(PostgreSQL\) (\d+)(?:\.(\d+))?/.exec(output);
  if (match === null) return undefined;
  const major = Number(match[1]);
  return major >= 10 ? major : major + Number(match[2] ?? 0) / 10;
}

/** The first of each tool on the search path, if every one reports a major version of at least `minimum`. */
async function fromSearchPath(searchPath: string, minimum: number): Promise<PgTools | undefined> {
  const directories = searchPath.split(delimiter).filter((directory) => directory !== '');
  const found: Partial<Record<keyof PgTools, string>> = {};
  for (const key of Object.keys(TOOL_NAMES) as (keyof PgTools)[]) {
    for (const directory of directories) {
      const path = join(directory, TOOL_NAMES[key]);
      if (!(await isExecutable(path))) continue;
      const major = await reportedMajor(path);
      if (major === undefined || major < minimum) return undefined;
      found[key] = path;
      break;
    }
    if (found[key] === undefined) return undefined;
  }
  return found as PgTools;
}

function missing(versionNum: number | undefined): BackstopError {
  if (versionNum === undefined) {
    const userMessage =
      'No PostgreSQL client tools (pg_dump, pg_restore, psql) are installed. Install them with: apt-get install postgresql-client';
    return new BackstopError('pg-client-missing', 'no PostgreSQL client tools found', { userMessage });
  }
  const major = majorVersion(versionNum);
  const userMessage =
    `The database server runs PostgreSQL ${versionText(versionNum)}, which needs pg_dump, pg_restore and psql of ` +
    `version ${major} or newer; none is installed. Install them with: apt-get install postgresql-client-${major}`;
  return new BackstopError('pg-client-missing', `no PostgreSQL ${major}+ client tools found`, { userMessage });
}

async function serverVersionNum(connection: PgConnection): Promise<number | undefined> {
  const client = await connection.connect().catch(() => undefined);
  if (client === undefined) return undefined;
  try {
    const result = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    return Number(result.rows[0]?.server_version_num);
  } finally {
    await client.end();
  }
}

/**
 * The pg_dump, pg_restore and psql to use for the server `connection` points at: from the newest
 * `<binRoot>/<major>/bin` whose major is at least the server's (pg_dump refuses newer servers, and pg_restore
 * refuses dumps from a newer pg_dump, so newest is safest), else from the search path if those report a major that
 * high. Throws BackstopError `pg-client-missing` naming the Debian package to install.
 *
 * When the server cannot be asked (it is down, the database does not exist) the newest tools are chosen, so that
 * the tool itself reports the connection error in libpq's words.
 */
export async function findPgTools(connection: PgConnection, options: PgToolsOptions = {}): Promise<PgTools> {
  const binRoot = options.binRoot ?? '/usr/lib/postgresql';
  const searchPath = options.searchPath ?? process.env['PATH'] ?? '';
  const versionNum = await serverVersionNum(connection);
  const minimum = versionNum === undefined ? 0 : majorVersion(versionNum);
  const key = JSON.stringify([binRoot, searchPath, minimum]);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const tools = (async () => {
    const found = (await fromBinRoot(binRoot, minimum)) ?? (await fromSearchPath(searchPath, minimum));
    if (found === undefined) throw missing(versionNum);
    return found;
  })();
  cache.set(key, tools);
  tools.catch(() => cache.delete(key));
  return tools;
}

/**
 * The newest major version of pg_dump installed here (under `binRoot`, or on the search path), or undefined when
 * there is none: what a setting that needs a newer pg_dump can be checked against before any backup runs.
 */
export async function newestPgDumpMajor(options: PgToolsOptions = {}): Promise<number | undefined> {
  const binRoot = options.binRoot ?? '/usr/lib/postgresql';
  const searchPath = options.searchPath ?? process.env['PATH'] ?? '';
  const candidates = [
    ...(await readdir(binRoot).catch(() => [] as string[])).map((name) => join(binRoot, name, 'bin', 'pg_dump')),
    ...searchPath
      .split(delimiter)
      .filter((directory) => directory !== '')
      .map((directory) => join(directory, 'pg_dump')),
  ];
  let newest: number | undefined;
  for (const path of candidates) {
    if (!(await isExecutable(path))) continue;
    const major = await toolMajor(path);
    if (major !== undefined && (newest === undefined || major > newest)) newest = major;
  }
  return newest;
}
