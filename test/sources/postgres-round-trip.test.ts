import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type Fingerprint, fingerprint, readAll } from './postgres-fingerprint.ts';
import { fillShopDatabase } from './postgres-fixture.ts';
import { chunked } from './postgres-streams.ts';

describe('PostgresSource: dump and restore of a real database', () => {
  let source: { name: string; url: string };
  let dest: { name: string; url: string };
  let sourceFingerprint: Fingerprint;
  let dump: Buffer;
  const dumpProgress: number[] = [];

  beforeAll(async () => {
    [source, dest] = await Promise.all([createDatabase('source'), createDatabase('dest')]);
    await fillShopDatabase(source.url);
    sourceFingerprint = await fingerprint(source.url);
    dump = await readAll(
      new PostgresSource({ url: source.url }).open({ onProgress: (p) => dumpProgress.push(p.bytesDone) }),
    );
  });

  afterAll(async () => {
    await Promise.all([dropDatabase(source.name), dropDatabase(dest.name)]);
  });

  it('dumps in pg_dump custom format and reports the bytes produced', () => {
    expect(dump.subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(dumpProgress.at(-1)).toBe(dump.length);
    expect(dumpProgress).toEqual([...dumpProgress].sort((a, b) => a - b));
  });

  it('restores into another database exactly: schema, data, sequences, large objects, public schema', async () => {
    // An application still connected, holding no lock, does not stand in the way.
    const idle = new pg.Client({ connectionString: dest.url });
    await idle.connect();
    const progress: number[] = [];
    let consumedAtCommitCheck = -1;

    const summary = await new PostgresSource({ url: dest.url }).restore(chunked(dump), {
      beforeCommit: async () => {
        consumedAtCommitCheck = progress.at(-1) ?? 0;
      },
      onProgress: (p) => progress.push(p.bytesDone),
    });
    await idle.end();

    expect(consumedAtCommitCheck).toBe(dump.length);
    expect(summary.description).toMatch(
      new RegExp(`^restored database ${dest.name} on 127\\.0\\.0\\.1:5432 \\(5 tables, \\d+ MB\\)$`),
    );
    const restored = await fingerprint(dest.url);
    expect(restored.relations['shop.orders']?.rows).toBe(300_000);
    expect(restored.sequences).toContainEqual({
      schemaname: 'shop',
      sequencename: 'invoice_numbers',
      last_value: '1041',
    });
    expect(restored).toEqual(sourceFingerprint);

    const [blob] = await sql<{ data: Buffer }>(dest.url, 'SELECT data FROM public.blobs WHERE id = 1');
    expect(blob?.data).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    const texts = await sql<{ body: string }>(dest.url, 'SELECT body FROM public.texts ORDER BY id');
    expect(texts.map((row) => row.body)).toEqual([
      'emoji 😀🎉👩‍👩‍👧‍👦 and flags 🇨🇭',
      '中文 日本語 한국어',
      'עברית العربية Ελληνικά Кириллица',
      "tab\there, newline\nthere, backslash \\ and a quote '",
      'COMMIT;',
      '\\.',
    ]);
  });

  it('describes the database without its password', async () => {
    const url = source.url.replace('postgres@', 'postgres:hunter2secret@');
    const description = await new PostgresSource({ url }).describe();
    expect(description).toMatch(
      new RegExp(`^database ${source.name} on 127\\.0\\.0\\.1:5432 \\(5 tables, \\d+ MB\\)$`),
    );
    expect(description).not.toContain('hunter2');
  });

  it('reaches the server through a Unix socket given as ?host=', async () => {
    const viaSocket = new PostgresSource({ url: `postgres://postgres@/${source.name}?host=/var/run/postgresql` });
    expect(await viaSocket.describe()).toMatch(
      new RegExp(`^database ${source.name} on socket /var/run/postgresql \\(5 tables`),
    );
    let head: Buffer = Buffer.alloc(0);
    for await (const chunk of viaSocket.open()) {
      head = chunk as Buffer;
      break;
    }
    expect(head.subarray(0, 5).toString('latin1')).toBe('PGDMP');
  });
});
