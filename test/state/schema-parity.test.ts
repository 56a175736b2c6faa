import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOOLEAN_COLUMNS, TIMESTAMP_COLUMNS } from '../../src/state/sqlite-values.ts';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';

interface Column {
  table: string;
  column: string;
  type: string;
  notNull: boolean;
}

/**
 * The embedded SQLite state's schema is written apart from the PostgreSQL state's migrations: these tests hold
 * them to the same tables and columns, and hold the value conversion (sqlite-values.ts) to every timestamptz and
 * boolean column PostgreSQL has, so a column added to one and not the other fails here rather than in a user's state.
 */
describe('the embedded and PostgreSQL states have one schema', () => {
  let postgres: State;
  let embedded: State;
  let database: { name: string };
  let dataDir: string;
  let postgresColumns: Column[];
  let embeddedColumns: Column[];

  beforeAll(async () => {
    const created = await createDatabase('parity');
    database = created;
    postgres = await openState({ databaseUrl: created.url, dataDir: '/nonexistent' });
    dataDir = await mkdtemp(join(tmpdir(), 'backstop-parity-'));
    embedded = await openState({ databaseUrl: undefined, dataDir });
    await migrateToLatest(postgres.db);
    await migrateToLatest(embedded.db);
    const pgRows = await sql<{ table: string; column: string; type: string; nullable: string }>`
      select table_name as table, column_name as column, data_type as type, is_nullable as nullable
      from information_schema.columns
      where table_schema = 'public' and table_name not like 'kysely_%'
    `.execute(postgres.db);
    postgresColumns = pgRows.rows.map((r) => ({
      table: r.table,
      column: r.column,
      type: r.type,
      notNull: r.nullable === 'NO',
    }));
    const sqliteRows = await sql<{ table: string; column: string; type: string; notnull: number; pk: number }>`
      select m.name as "table", p.name as "column", p.type as type, p."notnull" as "notnull", p.pk as pk
      from sqlite_master m join pragma_table_info(m.name) p
      where m.type = 'table' and m.name not like 'kysely_%' and m.name not like 'sqlite_%'
    `.execute(embedded.db);
    embeddedColumns = sqliteRows.rows.map((r) => ({
      table: r.table,
      column: r.column,
      type: r.type,
      // An integer primary key is never null in SQLite whether or not it says so.
      notNull: r.notnull === 1 || (r.pk === 1 && r.type === 'INTEGER'),
    }));
  });

  afterAll(async () => {
    await postgres.close();
    await embedded.close();
    await dropDatabase(database.name);
    await rm(dataDir, { recursive: true, force: true });
  });

  const key = (c: Column) => `${c.table}.${c.column}${c.notNull ? ' not null' : ''}`;

  test('the same tables and columns, null or not alike', () => {
    expect(embeddedColumns.map(key).sort()).toEqual(postgresColumns.map(key).sort());
    expect(embeddedColumns.length).toBeGreaterThan(100);
  });

  test('every timestamptz column is read back as a date, and nothing else is', () => {
    const timestamps = new Set(
      postgresColumns.filter((c) => c.type === 'timestamp with time zone').map((c) => c.column),
    );
    expect([...timestamps].sort()).toEqual([...TIMESTAMP_COLUMNS].sort());
    // No column of another type shares a name with a timestamp column.
    const others = postgresColumns.filter(
      (c) => TIMESTAMP_COLUMNS.has(c.column) && c.type !== 'timestamp with time zone',
    );
    expect(others).toEqual([]);
  });

  test('every boolean column is read back as a boolean, and nothing else is', () => {
    const booleans = new Set(postgresColumns.filter((c) => c.type === 'boolean').map((c) => c.column));
    expect([...booleans].sort()).toEqual([...BOOLEAN_COLUMNS].sort());
    const others = postgresColumns.filter((c) => BOOLEAN_COLUMNS.has(c.column) && c.type !== 'boolean');
    expect(others).toEqual([]);
  });

  test('the same indexes by name', async () => {
    const pg = await sql<{ name: string }>`
      select indexname as name from pg_indexes
      where schemaname = 'public' and tablename not like 'kysely_%' and indexname not like '%_pkey'
        and indexname not like '%_key' and indexname not like '%_pk'
    `.execute(postgres.db);
    const lite = await sql<{ name: string }>`
      select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex_%'
    `.execute(embedded.db);
    expect(lite.rows.map((r) => r.name).sort()).toEqual(pg.rows.map((r) => r.name).sort());
  });
});
