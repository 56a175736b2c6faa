import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL peer: the server running on this machine (127.0.0.1:5432, trust auth, or the usual PG* variables).
 * Each test creates its own databases with unique names and drops them afterwards.
 */
export const adminUrl = process.env['BACKSTOP_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a unique name and returns its URL. */
export async function createDatabase(label = 'test'): Promise<{ name: string; url: string }> {
  const name = `backstop_${label}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (client) => {
    // A pool's end() resolves before its sockets have closed; forcing the drop then kills clients that have no error
    // handler left, which the test runner reports as unhandled errors. Give them a moment to go first.
    for (let waited = 0; waited < 5000; waited += 50) {
      const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/** Runs SQL (several statements allowed) against a database and returns the last result's rows. */
export async function sql<T extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(text, values);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as T[];
  } finally {
    await client.end();
  }
}
