import { execFile } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { sql } from '../support/postgres.ts';

const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';

/** pg_dump's plain SQL of a database, without the `\restrict` lines whose key changes on every run. */
export async function plainDump(url: string, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(PG_DUMP, [...extraArgs, '--dbname', url], { maxBuffer: 1 << 30 });
  return stdout.replace(/^\\(un)?restrict .*\n/gm, '');
}

export interface Fingerprint {
  schema: string;
  /** "schema.table" -> row count and a checksum of all rows' text, in any order. */
  relations: Record<string, { rows: number; checksum: string }>;
  sequences: { schemaname: string; sequencename: string; last_value: string | null }[];
  largeObjects: { oid: string; md5: string }[];
  /** Owner, comment and privileges of `public`, which pg_dump does not dump. */
  publicSchema: Record<string, unknown>[];
}

/** What a database holds, in a form two databases can be compared by: schema text and data checksums. */
export async function fingerprint(url: string): Promise<Fingerprint> {
  const relations: Fingerprint['relations'] = {};
  const names = await sql<{ name: string }>(
    url,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'm') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  );
  for (const { name } of names) {
    // A sum of per-row md5 prefixes needs no sort, unlike md5(string_agg(... ORDER BY ...)), and misses no row.
    const [row] = await sql<{ rows: number; checksum: string }>(
      url,
      `SELECT count(*)::int AS rows, coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0)::text AS checksum
       FROM ${name} t`,
    );
    relations[name] = row!;
  }
  return {
    schema: await plainDump(url, ['--schema-only']),
    relations,
    sequences: await sql(url, 'SELECT schemaname, sequencename, last_value::text FROM pg_sequences ORDER BY 1, 2'),
    largeObjects: await sql(url, 'SELECT oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid'),
    publicSchema: await sql(
      url,
      `SELECT nspowner::regrole::text AS owner, obj_description(oid, 'pg_namespace') AS comment, nspacl::text AS acl
       FROM pg_namespace WHERE nspname = 'public'`,
    ),
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
