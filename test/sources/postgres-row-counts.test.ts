import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PgConnection } from '../../src/sources/pg-connection.ts';
import { findPgTools } from '../../src/sources/pg-tools.ts';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import type { PartContents } from '../../src/sources/source.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { readAll } from './postgres-fingerprint.ts';
import { recordingSpawn } from './postgres-recording-spawn.ts';

const run = promisify(execFile);

describe("row counts in the dump's own snapshot", () => {
  let source: { name: string; url: string };
  let copy: { name: string; url: string };
  const file = join(tmpdir(), `backstop-row-counts-${process.pid}.dump`);

  beforeAll(async () => {
    source = await createDatabase('counts');
    copy = await createDatabase('counts_copy');
    await sql(
      source.url,
      `create schema "Shop";
       create table "Shop"."Orders" (id bigserial primary key, body text);
       insert into "Shop"."Orders" (body) select repeat('x', 200) from generate_series(1, 200000);
       create table events (id bigserial primary key, at timestamptz default now());
       create unlogged table cache (k text);
       insert into cache values ('a'), ('b');
       create table measurements (at date, v int) partition by range (at);
       create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01');
       insert into measurements values ('2026-03-01', 1), ('2026-04-01', 2), ('2026-05-01', 3);
       create extension if not exists pg_trgm;`,
    );
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await dropDatabase(copy.name);
    await rm(file, { force: true });
  });

  test('rows written while the dump runs are in neither the counts nor the dump', async () => {
    const writer = new pg.Client({ connectionString: source.url });
    await writer.connect();
    let writing = true;
    let inserted = 0;
    // Commits rows into both tables for as long as the dump runs.
    const writes = (async () => {
      while (writing) {
        await writer.query('insert into events default values; insert into "Shop"."Orders" (body) values (\'new\')');
        inserted += 1;
      }
    })();
    let contents: PartContents = {};
    const dump = new PostgresSource({ url: source.url }).open({ onContents: (told) => (contents = told) });
    const bytes = await readAll(dump);
    writing = false;
    await writes;
    await writer.end();
    expect(inserted).toBeGreaterThan(0);

    await writeFile(file, bytes);
    const { pgRestore } = await findPgTools(PgConnection.fromUrl(copy.url));
    await run(pgRestore, ['--no-owner', '--dbname', copy.url, file]);
    const restored = async (table: string) =>
      Number((await sql<{ n: string }>(copy.url, `select count(*) as n from ${table}`))[0]!.n);

    expect(Object.keys(contents.tableRows ?? {})).toEqual([
      '"Shop"."Orders"',
      'public.cache',
      'public.events',
      'public.measurements_2026',
    ]);
    for (const [table, count] of Object.entries(contents.tableRows!)) expect(await restored(table)).toBe(count);
    expect(contents.tableRows!['public.measurements_2026']).toBe(3);
    expect(contents.tableRows!['public.cache']).toBe(2);
    // The source kept growing: the counts are the snapshot's, not the database's now.
    const now = Number((await sql<{ n: string }>(source.url, 'select count(*) as n from events'))[0]!.n);
    expect(now).toBeGreaterThan(contents.tableRows!['public.events']!);
    expect(contents.tablesWithoutRows).toEqual([]);
  });

  test('without counting, pg_dump takes its own snapshot and nothing is told', async () => {
    let told = false;
    const bytes = await readAll(
      new PostgresSource({ url: source.url, countRows: false }).open({ onContents: () => (told = true) }),
    );
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
    expect(told).toBe(false);
  });

  test('a dump that fails after the snapshot was exported closes it: no session of Backstop stays on the server', async () => {
    const openSessions = async () =>
      (
        await sql<{ n: number }>(
          source.url,
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'backstop' and pid <> pg_backend_pid()",
        )
      )[0]!.n;
    // pg_dump cannot be started: the snapshot's transaction is open by then (the spawn sees the --snapshot argument).
    let exported = false;
    const spawn = recordingSpawn([], (_command, args) => {
      exported = args.some((arg) => arg.startsWith('--snapshot='));
      return { command: '/nonexistent/pg_dump', args };
    });
    await expect(readAll(new PostgresSource({ url: source.url, spawn }).open())).rejects.toMatchObject({
      code: 'pg-dump-failed',
    });
    expect(exported).toBe(true);
    // Closed once the failure was seen; the server lets the session go within moments (up to 30 s on a busy machine).
    for (let waited = 0; waited < 600 && (await openSessions()) > 0; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await openSessions()).toBe(0);
  });
});
