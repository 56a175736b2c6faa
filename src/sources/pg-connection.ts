import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { BackstopError } from '../domain/backstop-error.ts';

/**
 * The libpq parameters a URL may carry in its query string, and the environment variable that hands each one to
 * pg_dump, pg_restore and psql. Connection details travel in the environment because a child's argv is visible to
 * every user of the machine (`ps`); libpq has no environment variable for the others (keepalives, ...), so a URL
 * using them is refused rather than silently connecting differently. `service` is refused too: a service file
 * would override the host and port that `pg` and the description use.
 */
const LIBPQ_ENVIRONMENT: Readonly<Record<string, string>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  sslmode: 'PGSSLMODE',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
};

/** Where Debian's libpq looks for the server's socket when a URL names no host. */
const DEFAULT_SOCKET_DIRECTORY = '/var/run/postgresql';

const REDACTED = '*****';

function invalidUrl(problem: string): BackstopError {
  // The URL itself is never quoted: it may hold a password.
  return new BackstopError('pg-url-invalid', `invalid PostgreSQL URL: ${problem}`, {
    userMessage: `The database URL is not valid: ${problem}. Expected postgres://user:password@host:port/database.`,
  });
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidUrl(`the ${what} has a malformed percent-encoding`);
  }
}

/** Query parameters as libpq reads them: `+` is a plus sign, not a space (unlike URLSearchParams). */
function parseQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals < 0) throw invalidUrl('a query parameter has no value');
    const name = decode(pair.slice(0, equals), 'query string');
    if (!(name in LIBPQ_ENVIRONMENT)) throw invalidUrl(`query parameter '${name}' is not supported`);
    params.set(name, decode(pair.slice(equals + 1), 'query string'));
  }
  return params;
}

/**
 * One PostgreSQL database, parsed from a `postgres://` or `postgresql://` URL, and the ways to reach it: libpq
 * environment variables for the client tools, a `pg` client for queries, and a description without secrets.
 * Everything libpq would otherwise take from its defaults or from the ambient environment (host, port, user,
 * database) is made explicit, so that the tools and `pg` reach the same server as the same user.
 */
export class PgConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly #password: string | undefined;
  /** Every libpq parameter, by its libpq name (`host`, `sslmode`, ...). */
  readonly #params: ReadonlyMap<string, string>;

  private constructor(params: Map<string, string>) {
    this.#params = params;
    this.host = params.get('host') ?? DEFAULT_SOCKET_DIRECTORY;
    this.port = Number(params.get('port') ?? '5432');
    this.user = params.get('user') ?? userInfo().username;
    this.database = params.get('dbname') ?? this.user;
    this.#password = params.get('password');
    if (!/^\d+$/.test(params.get('port') ?? '5432') || this.port < 1 || this.port > 65535) {
      throw invalidUrl('the port is not a number from 1 to 65535');
    }
  }

  /** Parses a URL; throws BackstopError `pg-url-invalid` (without quoting the URL) when it is not one libpq takes. */
  static fromUrl(url: string): PgConnection {
    // Parsed by hand rather than with WHATWG URL, which rejects libpq's host-less form `postgres://user@/db`.
    const parts =
      /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?(\[[^\]/?#]*\]|[^:/?#,]*)(?::([^/?#]*))?(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(
        url,
      );
    if (parts === null) {
      throw invalidUrl('it is not a postgres:// or postgresql:// URL with one host');
    }
    const [, credentials, host = '', port = '', database = '', query = ''] = parts;
    const params = new Map<string, string>();
    if (credentials !== undefined) {
      const colon = credentials.indexOf(':');
      const user = decode(colon < 0 ? credentials : credentials.slice(0, colon), 'user name');
      if (user !== '') params.set('user', user);
      if (colon >= 0) params.set('password', decode(credentials.slice(colon + 1), 'password'));
    }
    const hostName = decode(host, 'host').replace(/^\[(.*)\]$/, '$1');
    if (hostName !== '') params.set('host', hostName);
    if (port !== '') params.set('port', port);
    if (database !== '') params.set('dbname', decode(database, 'database name'));
    // As with libpq, query parameters override the parts before them (`postgres:///shop?host=/run/postgresql`).
    for (const [name, value] of parseQuery(query)) params.set(name, value);
    return new PgConnection(params);
  }

  /** The same server, role and parameters, for another database of that server (a drill's scratch database). */
  withDatabase(database: string): PgConnection {
    const params = new Map(this.#params);
    params.set('dbname', database);
    return new PgConnection(params);
  }

  /** `host:port` (or the socket directory and port): one database server, whichever database of it is meant. */
  get server(): string {
    return `${this.host}:${this.port}`;
  }

  /** True when the host is a Unix socket directory rather than a network name. */
  get isSocket(): boolean {
    return this.host.startsWith('/');
  }

  /** "database shop on db.internal:5432", for people: never a password. */
  toString(): string {
    return `database ${this.database} on ${this.isSocket ? `socket ${this.host}` : `${this.host}:${this.port}`}`;
  }

  /**
   * The environment for a client tool: `base` without any PG* variable (an ambient PGSERVICE, PGPASSWORD or
   * PGDATABASE, say for Backstop's own state database, must never redirect a backup or a restore), plus this
   * connection's parameters.
   */
  environment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(base)) if (!name.startsWith('PG')) env[name] = value;
    for (const [name, value] of this.#params) env[LIBPQ_ENVIRONMENT[name]!] = value;
    env['PGHOST'] = this.host;
    env['PGPORT'] = String(this.port);
    env['PGUSER'] = this.user;
    env['PGDATABASE'] = this.database;
    env['PGAPPNAME'] ??= 'backstop';
    // A server that accepts the connection and never answers fails the tools' connection attempt, as it does ours.
    env['PGCONNECT_TIMEOUT'] ??= '10';
    return env;
  }

  /** `text` with every form of the password replaced, for error messages built from a tool's output. */
  redact(text: string): string {
    const password = this.#password;
    if (password === undefined || password === '') return text;
    return text.replaceAll(password, REDACTED).replaceAll(encodeURIComponent(password), REDACTED);
  }

  /**
   * A connected `pg` client. SSL follows libpq's `sslmode`: `prefer` (the default) tries SSL first on a network
   * host and falls back to a plain connection when the server has none; `require` encrypts without checking the
   * certificate unless `sslrootcert` is given; `verify-ca` checks the chain; `verify-full` also the host name.
   * `database` connects to another database of the same server with the same credentials (e.g. to create this one).
   */
  async connect(database: string = this.database): Promise<pg.Client> {
    const mode = this.#params.get('sslmode') ?? 'prefer';
    const attempts: (ConnectionOptions | false)[] =
      mode === 'disable' || this.isSocket
        ? [false]
        : mode === 'allow' || mode === 'prefer'
          ? [{ rejectUnauthorized: false }, false]
          : [await this.#verifiedSsl(mode)];
    const { default: pgDriver } = await import('pg'); // loaded by the commands that reach a database only
    let lastError: unknown;
    for (const ssl of attempts) {
      const client = new pgDriver.Client({
        host: this.host,
        port: this.port,
        user: this.user,
        database,
        password: this.#password,
        ssl,
        application_name: this.#params.get('application_name') ?? 'backstop',
        options: this.#params.get('options'),
        connectionTimeoutMillis: 1000 * Number(this.#params.get('connect_timeout') ?? '10'),
      });
      try {
        await client.connect();
        return client;
      } catch (error) {
        lastError = error;
        await client.end().catch(() => undefined);
      }
    }
    const reason = this.redact(lastError instanceof Error ? lastError.message : String(lastError));
    throw new BackstopError('pg-connect-failed', `could not connect to ${this}: ${reason}`, {
      userMessage: `Could not connect to ${this}: ${reason}`,
      cause: lastError,
      retryable: isTransientConnectFailure(lastError),
    });
  }

  async #verifiedSsl(mode: string): Promise<ConnectionOptions> {
    const file = async (name: string) => {
      const path = this.#params.get(name);
      return path === undefined ? undefined : await readFile(path, 'utf8');
    };
    const options: ConnectionOptions = {
      ca: await file('sslrootcert'),
      cert: await file('sslcert'),
      key: await file('sslkey'),
    };
    if (mode === 'verify-full') return options;
    if (mode === 'require' && options.ca === undefined) return { ...options, rejectUnauthorized: false };
    // verify-ca, and require with a root certificate (libpq treats that as verify-ca): the chain, not the name.
    return { ...options, checkServerIdentity: () => undefined };
  }
}

/** Network errors and a server that is starting, shutting down or full may pass; a refused login or a missing database will not. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
const TRANSIENT_SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08006', '08001', '08004']);

function isTransientConnectFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return TRANSIENT_NETWORK_CODES.has(code) || TRANSIENT_SERVER_CODES.has(code);
  // pg reports its own connection timeout and a closed socket without a code.
  const message = error instanceof Error ? error.message : '';
  return /timeout|terminated unexpectedly|Connection terminated/i.test(message);
}

/** True when connecting failed because the database does not exist (SQLSTATE 3D000). */
export function isMissingDatabase(error: unknown): boolean {
  const cause = error instanceof BackstopError ? error.cause : error;
  return (cause as { code?: unknown } | undefined)?.code === '3D000';
}
