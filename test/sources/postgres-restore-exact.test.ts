import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import { adminUrl, createDatabase, databaseUrl, dropDatabase, sql } from '../support/postgres.ts';
import { type Fingerprint, fingerprint, plainDump, readAll } from './postgres-fingerprint.ts';
import { fillOtherDatabase, fillShopDatabase } from './postgres-fixture.ts';
import { chunked, failingAfter } from './postgres-streams.ts';

const noCheck = async () => {};

/** Resolves once the restoring session has been idle (in a transaction or not) for a while. */
async function restoringSessionIdle(database: string): Promise<void> {
  for (;;) {
    const [idle] = await sql<{ count: number }>(
      adminUrl,
      `SELECT count(*)::int FROM pg_stat_activity WHERE datname = $1 AND application_name = 'backstop'
       AND state LIKE 'idle%' AND now() - state_change > interval '300 milliseconds'`,
      [database],
    );
    if (idle?.count === 1) return;
    await sleep(100);
  }
}

describe('PostgresSource.restore: exact, all or nothing', () => {
  let source: { name: string; url: string };
  let sourceFingerprint: Fingerprint;
  let dump: Buffer;
  let dest: { name: string; url: string };
  let before: string;
  // Dropped together at the end: each DROP DATABASE waits for a checkpoint, and concurrent ones share it.
  const created: string[] = [];

  beforeAll(async () => {
    source = await createDatabase('source');
    await fillShopDatabase(source.url, { orders: 20_000 });
    sourceFingerprint = await fingerprint(source.url);
    dump = await readAll(new PostgresSource({ url: source.url }).open());
  });

  afterAll(async () => {
    await Promise.all([source.name, ...created].map(dropDatabase));
  });

  beforeEach(async () => {
    dest = await createDatabase('dest');
    created.push(dest.name);
    await fillOtherDatabase(dest.url);
    before = await plainDump(dest.url);
  });

  async function expectUnchanged(): Promise<void> {
    expect(await plainDump(dest.url)).toBe(before);
    const [largeObjects] = await sql<{ count: number }>(dest.url, 'SELECT count(*)::int FROM pg_largeobject_metadata');
    expect(largeObjects?.count).toBe(1);
  }

  it('removes what the destination held and the backup does not: schemas, tables, sequences, large objects', async () => {
    await new PostgresSource({ url: dest.url }).restore(chunked(dump), { beforeCommit: noCheck });

    const leftovers = await sql(
      dest.url,
      `SELECT relname AS name FROM pg_class WHERE relname IN ('accounts', 'keep_me', 'counter')
       UNION ALL SELECT nspname FROM pg_namespace WHERE nspname = 'legacy'`,
    );
    expect(leftovers).toEqual([]);
    expect(await fingerprint(dest.url)).toEqual(sourceFingerprint);
  });

  it('changes nothing when the input fails halfway', async () => {
    const input = failingAfter(dump, dump.length / 2, new Error('connection reset by peer'));
    let checked = false;
    const restore = new PostgresSource({ url: dest.url }).restore(input, {
      beforeCommit: async () => {
        checked = true;
      },
    });

    await expect(restore).rejects.toMatchObject({
      code: 'pg-restore-failed',
      userMessage: expect.stringContaining('connection reset by peer'),
    });
    expect(checked).toBe(false);
    await expectUnchanged();
  });

  it.each([
    ['to half', () => Math.floor(dump.length / 2)],
    ['by its last byte', () => dump.length - 1],
  ])('changes nothing when the dump is cut %s but ends normally', async (_, length) => {
    const restore = new PostgresSource({ url: dest.url }).restore(chunked(dump.subarray(0, length())), {
      beforeCommit: noCheck,
    });

    await expect(restore).rejects.toMatchObject({
      code: 'pg-restore-failed',
      userMessage: expect.stringContaining(
        'pg_restore exited with code 1: pg_restore: error: could not read from input file: end of file',
      ),
    });
    await expectUnchanged();
  });

  it('changes nothing when beforeCommit rejects, which it is asked only once the input has ended', async () => {
    const mismatch = new BackstopError('backup-mismatch', 'sha256 mismatch', {
      userMessage: 'the backup does not match its sha256',
    });
    let bytesRead = 0;
    let bytesReadAtCheck = -1;
    const restore = new PostgresSource({ url: dest.url }).restore(chunked(dump), {
      beforeCommit: async () => {
        bytesReadAtCheck = bytesRead;
        // Only once psql has run every statement it was given would an early COMMIT among them show.
        await restoringSessionIdle(dest.name);
        throw mismatch;
      },
      onProgress: (progress) => {
        bytesRead = progress.bytesDone;
      },
    });

    await expect(restore).rejects.toMatchObject({
      code: 'pg-restore-failed',
      cause: mismatch,
      userMessage: expect.stringContaining('the backup does not match its sha256'),
    });
    expect(bytesReadAtCheck).toBe(dump.length);
    await expectUnchanged();
  });

  it('refuses input that is not a pg_dump archive', async () => {
    const restore = new PostgresSource({ url: dest.url }).restore(chunked(randomBytes(100_000)), {
      beforeCommit: noCheck,
    });

    await expect(restore).rejects.toMatchObject({
      code: 'pg-restore-failed',
      userMessage: expect.stringContaining('pg_restore: error: did not find magic string in file header'),
    });
    await expectUnchanged();
  });

  it('fails after lockTimeoutMs, changing nothing, when another session holds a lock', async () => {
    const other = new pg.Client({ connectionString: dest.url });
    await other.connect();
    await other.query('BEGIN; SELECT * FROM legacy.accounts LIMIT 1');
    const started = Date.now();
    try {
      const restore = new PostgresSource({ url: dest.url, lockTimeoutMs: 300 }).restore(chunked(dump), {
        beforeCommit: noCheck,
      });
      await expect(restore).rejects.toMatchObject({
        code: 'pg-restore-failed',
        userMessage: expect.stringMatching(/lock timeout.*Another session holds a lock/s),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await other.end();
    }
    await expectUnchanged();
  });

  it('stops and changes nothing when aborted', async () => {
    const controller = new AbortController();
    const restore = new PostgresSource({ url: dest.url }).restore(chunked(dump, 16 * 1024), {
      beforeCommit: noCheck,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.bytesDone > dump.length / 2) controller.abort();
      },
    });

    await expect(restore).rejects.toMatchObject({ code: 'aborted' });
    await expectUnchanged();
  });
});

describe('PostgresSource.restore into a database that does not exist', () => {
  let source: { name: string; url: string };
  let dump: Buffer;
  const made: string[] = [];

  beforeAll(async () => {
    source = await createDatabase('dr_source');
    await sql(source.url, "create table orders (id int primary key, item text); insert into orders values (1, 'tea');");
    dump = await readAll(new PostgresSource({ url: source.url }).open());
  });
  afterAll(async () => {
    for (const name of [source.name, ...made]) await dropDatabase(name);
  });

  it('creates it when the role may, and the restore fills it', async () => {
    const name = `backstop_dr_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const target = new PostgresSource({ url: databaseUrl(name) });
    expect(await target.exists()).toBe(false);
    expect(await target.describe()).toContain('does not exist yet');
    const summary = await target.restore(Readable.from([dump]), { beforeCommit: async () => {} });
    expect(summary.description).toContain('created');
    expect(await sql(databaseUrl(name), 'select item from orders')).toEqual([{ item: 'tea' }]);
  });

  it('drops what it created when the restore then fails, leaving no database behind', async () => {
    const name = `backstop_dr_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const target = new PostgresSource({ url: databaseUrl(name) });
    const refused = new BackstopError('backup-mismatch', 'does not match its sha256', { userMessage: 'mismatch' });
    await expect(
      target.restore(Readable.from([dump]), {
        beforeCommit: async () => {
          throw refused;
        },
      }),
    ).rejects.toThrow();
    expect(await target.exists()).toBe(false);
  });

  it('says which createdb to run when the role may not create databases', async () => {
    const role = `backstop_nocreate_${randomBytes(3).toString('hex')}`;
    await sql(databaseUrl('postgres'), `create role ${role} login`);
    try {
      const url = new URL(databaseUrl(`backstop_dr_${randomBytes(4).toString('hex')}`));
      url.username = role;
      const target = new PostgresSource({ url: url.toString() });
      await expect(target.restore(Readable.from([dump]), { beforeCommit: async () => {} })).rejects.toMatchObject({
        userMessage: expect.stringMatching(
          new RegExp(`may not create it; nothing was changed.*createdb .* -O ${role} backstop_dr_`),
        ),
      });
    } finally {
      await sql(databaseUrl('postgres'), `drop role ${role}`);
    }
  });
});
