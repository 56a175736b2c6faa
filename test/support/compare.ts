import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from './postgres.ts';

/**
 * A database's observable content for equality checks: the schema as pg_dump prints it (without the random
 * \restrict lines of newer pg_dump versions) and, per table, its row count and an md5 of its rows in order.
 */
export async function databaseFingerprint(url: string): Promise<{ schema: string; tables: Record<string, string> }> {
  const schema = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-acl', url], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => !line.startsWith('\\restrict') && !line.startsWith('\\unrestrict'))
    .join('\n');
  const tables = await sql<{ name: string }>(
    url,
    `select quote_ident(table_schema) || '.' || quote_ident(table_name) as name from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ n: number; h: string }>(
      url,
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${name} t`,
    );
    result[name] = `${row!.n}:${row!.h}`;
  }
  return { schema, tables: result };
}

/**
 * An mtime to the millisecond, as manifests keep it: rounded, as Node's `stats.mtime` rounds the file's
 * sub-millisecond time (truncating instead made the comparison depend on the clock: a file written at .9996 ms would
 * differ from its exact restore). A restored time reads back within a microsecond of the whole millisecond.
 */
function wholeMilliseconds(mtimeMs: number): number {
  return Math.round(mtimeMs);
}

/** Every regular file under `root`: relative path -> size, content and mtime (to the millisecond). */
export function treeFingerprint(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const content = readFileSync(path);
    result[path.slice(root.length + 1)] =
      `${content.length}:${content.toString('base64')}:${wholeMilliseconds(statSync(path).mtimeMs)}`;
  }
  return result;
}
