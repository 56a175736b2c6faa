import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tablePatternProblem, tablePatternRegex } from '../../src/domain/pg-table-pattern.ts';
import { PgConnection } from '../../src/sources/pg-connection.ts';
import { findPgTools } from '../../src/sources/pg-tools.ts';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import type { PartContents } from '../../src/sources/source.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { readAll } from './postgres-fingerprint.ts';

const run = promisify(execFile);

describe('pg_dump table patterns', () => {
  test('translate as psql reads them: case folded outside quotes, wildcards, schema, literal quotes', () => {
    expect(tablePatternRegex('django_session')).toEqual({ schema: undefined, table: '^(django_session)$' });
    expect(tablePatternRegex('Log_*')).toEqual({ schema: undefined, table: '^(log_.*)$' });
    expect(tablePatternRegex('audit.entr?es')).toEqual({ schema: '^(audit)$', table: '^(entr.es)$' });
    expect(tablePatternRegex('"My.Table*"')).toEqual({ schema: undefined, table: '^(My\\.Table\\*)$' });
    expect(tablePatternRegex('"a""b"')).toEqual({ schema: undefined, table: '^(a"b)$' });
    expect(tablePatternRegex('price$')).toEqual({ schema: undefined, table: '^(price\\$)$' });
    expect(tablePatternProblem('db.audit.entries')).toMatch(/more than one "\."/);
    expect(tablePatternProblem('"db.audit".entries')).toBeUndefined();
  });

  describe('resolved on a real database', () => {
    let database: { name: string; url: string };

    beforeAll(async () => {
      database = await createDatabase('patterns');
      await sql(
        database.url,
        `create schema audit;
         create table public.django_session (k text); insert into public.django_session values ('s');
         create table audit.django_session (k text); insert into audit.django_session values ('a');
         create table public."Logs" (x int); insert into public."Logs" values (1);
         create table public.log_a (x int); insert into public.log_a values (2);
         create table public.log_b (x int); insert into public.log_b values (3);
         create table audit.entries (x int); insert into audit.entries values (4);
         create table public.orders (x int); insert into public.orders values (5);
         create materialized view public.log_summary as select count(*) as n from public.log_a;`,
      );
    });

    afterAll(async () => {
      await dropDatabase(database.name);
    });

    /**
     * Dumps with `patterns`: what Backstop says the dump left out, and the tables whose data the dump holds, as
     * pg_restore lists its TOC ("TABLE DATA schema name owner").
     */
    async function dumpWith(
      patterns: string[],
    ): Promise<{ said: string[]; kept: string[]; rows: Record<string, number> }> {
      const source = new PostgresSource({ url: database.url, excludeTableData: patterns });
      const file = join(tmpdir(), `backstop-patterns-${process.pid}-${Math.random().toString(36).slice(2)}.dump`);
      let contents: PartContents = {};
      await writeFile(file, await readAll(source.open({ onContents: (told) => (contents = told) })));
      const { pgRestore } = await findPgTools(PgConnection.fromUrl(database.url));
      const { stdout } = await run(pgRestore, ['--list', file]);
      const kept = stdout
        .split('\n')
        .map((line) => /(?:TABLE DATA|MATERIALIZED VIEW DATA) (\S+) (\S+) /.exec(line))
        .filter((match) => match !== null)
        .map((match) => `${match[1]}.${match[2]}`)
        .sort();
      return { said: contents.tablesWithoutRows ?? [], kept, rows: contents.tableRows ?? {} };
    }

    const everything = [
      'audit.django_session',
      'audit.entries',
      'public.Logs',
      'public.django_session',
      'public.log_a',
      'public.log_b',
      'public.log_summary',
      'public.orders',
    ];

    test.each([
      [['django_session']],
      [['*.django_session']],
      [['audit.*']],
      [['log_*']],
      [['LOG_A', 'logs']],
      [['"Logs"']],
      [['log_(a|b)']],
      [['nothing_matches']],
    ])('%j leaves out exactly the rows pg_dump leaves out', async (patterns) => {
      const { said, kept, rows } = await dumpWith(patterns);
      // What Backstop names (quoted where SQL needs it) is what pg_dump dropped the data of, no more, no less.
      const unquoted = said.map((name) => name.replaceAll('"', ''));
      expect([...unquoted, ...kept].sort()).toEqual(everything);
      expect(unquoted.filter((name) => kept.includes(name))).toEqual([]);
      // Every table is counted, those without rows as the empty tables a restore makes of them.
      for (const table of said) expect(rows[table]).toBe(0);
      expect(rows['public.orders']).toBe(1);
    });

    test('names are quoted where SQL needs it', async () => {
      expect((await dumpWith(['"Logs"', 'audit.entries'])).said).toEqual(['audit.entries', 'public."Logs"']);
    });

    test('a pattern pg_dump would refuse is refused when the source is made', () => {
      expect(() => new PostgresSource({ url: database.url, excludeTableData: ['a.b.c'] })).toThrow(/more than one/);
    });
  });
});
