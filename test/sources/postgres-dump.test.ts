import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/postgres.ts';
import { readAll } from './postgres-fingerprint.ts';
import { fillShopDatabase } from './postgres-fixture.ts';
import { ended, recordingSpawn, type SpawnCall } from './postgres-recording-spawn.ts';

/** Resolves once `bytesDone()` has stopped growing: the producer is held back, or done. */
async function settled(bytesDone: () => number): Promise<number> {
  let last = -1;
  while (bytesDone() !== last || last <= 0) {
    last = bytesDone();
    await sleep(200);
  }
  return last;
}

describe('PostgresSource.open', () => {
  let source: { name: string; url: string };
  let directory: string;
  const missingUrl = databaseUrl(`backstop_missing_${randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    source = await createDatabase('source');
    await fillShopDatabase(source.url, { orders: 100_000 });
    directory = await mkdtemp(join(tmpdir(), 'backstop-dump-'));
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(directory, { recursive: true, force: true });
  });

  it('destroys the stream with an error saying so when the database does not exist', async () => {
    await expect(readAll(new PostgresSource({ url: missingUrl }).open())).rejects.toMatchObject({
      code: 'pg-connect-failed',
      retryable: false,
      userMessage: expect.stringMatching(/database "backstop_missing_\w+" does not exist/),
    });
    await expect(readAll(new PostgresSource({ url: missingUrl, countRows: false }).open())).rejects.toMatchObject({
      code: 'pg-dump-failed',
      userMessage: expect.stringMatching(
        /pg_dump exited with code 1: .*database "backstop_missing_\w+" does not exist/,
      ),
    });
  });

  it('fails, retryable, when another session holds a lock longer than the lock timeout, instead of waiting', async () => {
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    try {
      await holder.query('begin; lock table shop.orders in access exclusive mode');
      const stream = new PostgresSource({ url: source.url, lockTimeoutMs: 300 }).open();
      await expect(readAll(stream)).rejects.toMatchObject({
        code: 'pg-dump-failed',
        retryable: true,
        userMessage: expect.stringMatching(/lock/),
      });
    } finally {
      await holder.end();
    }
  });

  it('makes a consumer writing to a file see an error, not a normal end', async () => {
    const file = join(directory, 'missing.dump');
    await expect(
      pipeline(new PostgresSource({ url: missingUrl }).open(), createWriteStream(file)),
    ).rejects.toMatchObject({ code: 'pg-connect-failed' });
  });

  it('passes bytes on as they come but fails, not ends, when pg_dump dies midway', async () => {
    let bytesDone = 0;
    const stream = new PostgresSource({ url: source.url, compression: { method: 'none' } }).open({
      onProgress: (progress) => {
        bytesDone = progress.bytesDone;
      },
    });
    // Unread, the stream holds pg_dump back in the middle of the orders table; then its session is killed.
    await settled(() => bytesDone);
    const [killed] = await sql<{ count: number }>(
      source.url,
      `SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
       WHERE datname = $1 AND query LIKE 'COPY %' AND pid <> pg_backend_pid()`,
      [source.name],
    );
    expect(killed?.count).toBe(1);

    const file = join(directory, 'killed.dump');
    await expect(pipeline(stream, createWriteStream(file))).rejects.toMatchObject({
      code: 'pg-dump-failed',
      userMessage: expect.stringMatching(
        /pg_dump exited with code 1: pg_dump: error: [\s\S]*(server closed|terminating)/,
      ),
    });
    expect((await stat(file)).size).toBeGreaterThan(0);
  });

  it('holds pg_dump back while the stream is not read, and passes -Z as --compress', async () => {
    const calls: SpawnCall[] = [];
    let bytesDone = 0;
    const stream = new PostgresSource({
      url: source.url,
      compression: { method: 'none' },
      spawn: recordingSpawn(calls),
    }).open({
      onProgress: (progress) => {
        bytesDone = progress.bytesDone;
      },
    });

    const heldAt = await settled(() => bytesDone);
    const dump = await readAll(stream);

    expect(calls.map((call) => call.args)).toEqual([
      [
        '--format=custom',
        '--no-password',
        '--lock-wait-timeout=30000',
        '--compress=0',
        expect.stringMatching(/^--snapshot=[0-9A-F]+-[0-9A-F]+-\d+$/),
      ],
    ]);
    expect(heldAt).toBeLessThan(4 * 1024 * 1024);
    expect(dump.length).toBeGreaterThan(2 * heldAt);
    expect(bytesDone).toBe(dump.length);
  });

  it('compresses with gzip:1 unless told otherwise; zstd with a pg_dump older than 16 is refused before it runs', async () => {
    const calls: SpawnCall[] = [];
    await readAll(new PostgresSource({ url: source.url, spawn: recordingSpawn(calls) }).open());
    expect(calls.map((call) => call.args.find((arg) => arg.startsWith('--compress')))).toEqual(['--compress=1']);

    const zstd = new PostgresSource({ url: source.url, spawn: recordingSpawn(calls), compression: { method: 'zstd' } });
    await expect(readAll(zstd.open())).rejects.toMatchObject({
      code: 'invalid-option',
      userMessage: expect.stringMatching(/compression: zstd needs pg_dump 16 or newer.*version 15: use gzip/),
    });
    expect(calls).toHaveLength(1);
  });

  it('kills pg_dump when the signal aborts', async () => {
    const calls: SpawnCall[] = [];
    const controller = new AbortController();
    let bytesDone = 0;
    const stream = new PostgresSource({ url: source.url, spawn: recordingSpawn(calls) }).open({
      signal: controller.signal,
      onProgress: (progress) => {
        bytesDone = progress.bytesDone;
      },
    });
    await settled(() => bytesDone);
    controller.abort();

    await expect(readAll(stream)).rejects.toMatchObject({ code: 'aborted' });
    // pg_dump catches SIGTERM to cancel its query, then exits 1 (or dies of SIGPIPE, its stdout being closed).
    expect(await ended(calls[0]!.child)).not.toEqual({ code: 0, signal: null });
  });

  it('kills pg_dump when the consumer destroys the stream', async () => {
    const calls: SpawnCall[] = [];
    const stream = new PostgresSource({ url: source.url, spawn: recordingSpawn(calls) }).open();
    for await (const _ of stream) break;

    expect(stream.destroyed).toBe(true);
    expect(await ended(calls[0]!.child)).not.toEqual({ code: 0, signal: null });
  });

  it('fails with pg-dump-failed when pg_dump cannot be started', async () => {
    const spawn = recordingSpawn([], (_command, args) => ({ command: '/nonexistent/pg_dump', args }));
    await expect(readAll(new PostgresSource({ url: source.url, spawn }).open())).rejects.toMatchObject({
      code: 'pg-dump-failed',
      userMessage: expect.stringContaining('pg_dump could not be started (spawn /nonexistent/pg_dump ENOENT)'),
    });
  });

  it('refuses bad options when constructed', () => {
    expect(() => new PostgresSource({ url: source.url, compression: { method: 'gzip', level: 10 } })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
    expect(() => new PostgresSource({ url: 'mysql://root@localhost/shop' })).toThrow(
      expect.objectContaining({ code: 'pg-url-invalid' }),
    );
  });
});
