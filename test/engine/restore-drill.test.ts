import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import type { Target } from '../../src/domain/target.ts';
import { deleteBackupObjects } from '../../src/engine/delete-backup-objects.ts';
import { pruneTarget } from '../../src/engine/prune-target.ts';
import { verifyBackup } from '../../src/engine/verify-backup.ts';
import { createMetricsRegistry } from '../../src/http/metrics.ts';
import { removeDrillLeftovers } from '../../src/jobs/remove-drill-leftovers.ts';
import { MediaS3Source } from '../../src/sources/media-s3-source.ts';
import { DRILL_SERVER_LOCK } from '../../src/sources/pg-scratch-database.ts';
import type { Store } from '../../src/storage/store.ts';
import { cancelOperation } from '../../src/use-cases/cancel-operation.ts';
import { drillBackup } from '../../src/use-cases/drill-backup.ts';
import {
  engineWorker,
  makeEngine,
  makeStore,
  type StoreKind,
  type TestEngine,
  takeBackup,
  target,
} from '../support/engine.ts';
import { adminUrl, createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';

const operator = { kind: 'operator', id: 'cli:test' } as const;

/** The drills' scratch databases on the test server whose operation is one of `operationIds`. */
async function scratchDatabasesOf(operationIds: readonly string[]): Promise<string[]> {
  const rows = await sql<{ name: string }>(
    adminUrl,
    "select datname as name from pg_database where starts_with(datname, 'backstop_drill_')",
  );
  return rows.map((r) => r.name).filter((name) => operationIds.some((id) => name.startsWith(`backstop_drill_${id}`)));
}

async function fill(url: string, mediaDir: string): Promise<void> {
  await sql(
    url,
    `create schema shop;
     create table shop.orders (id serial primary key, total int);
     insert into shop.orders (total) select i from generate_series(1, 1200) i;
     create table public.auth_user (id serial primary key, name text);
     insert into public.auth_user (name) values ('ana'), ('ben');
     create table public.django_session (k text);
     insert into public.django_session values ('gone');`,
  );
  mkdirSync(join(mediaDir, 'photos'), { recursive: true });
  writeFileSync(join(mediaDir, 'photos', 'a.jpg'), Buffer.alloc(200_000, 3));
  writeFileSync(join(mediaDir, 'notes.txt'), 'hello');
}

/** Flips one byte near the end of a stored object, through the store itself. */
async function tamper(store: Store, key: string): Promise<void> {
  const bytes = await buffer(await store.read(key));
  bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01;
  await store.write(key, Readable.from([bytes]));
}

describe.each<StoreKind>(['directory', 's3'])('restore drills on the %s store', (storeKind) => {
  let s3: S3rverPeer | undefined;
  let store: Store;
  let cleanupStore: () => Promise<void>;
  let engine: TestEngine;
  let live: Target;
  let database: { name: string; url: string };
  let workDir: string;
  let scratchDir: string;

  beforeAll(async () => {
    if (storeKind === 's3') s3 = await startS3rver();
    ({ store, cleanup: cleanupStore } = await makeStore(storeKind, s3));
    workDir = mkdtempSync(join(tmpdir(), 'backstop-drill-test-'));
    scratchDir = join(workDir, 'drills');
    database = await createDatabase('drilled');
    live = {
      ...target('shop', 'live', { database: database.url, mediaDir: join(workDir, 'media') }),
      drill: { checks: ['select count(*) = 2 from auth_user'], schedule: 'off' },
    };
    await fill(database.url, join(workDir, 'media'));
    engine = await makeEngine({ store, targets: [live], drillScratchDir: scratchDir });
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await dropDatabase(database.name);
    await cleanupStore?.();
    await s3?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function backup() {
    return takeBackup(engine.ctx, 'db+media');
  }

  async function drill(input: Parameters<typeof drillBackup>[2]) {
    const { drill: queued, operation } = await drillBackup(engine.ctx, operator, input);
    expect(await engineWorker(engine.ctx).runOnce({ id: operation.id })).toBe(true);
    return {
      drill: await engine.ctx.catalog.drills.get(queued.id),
      operation: await engine.ctx.operations.get(operation.id),
    };
  }

  test('a healthy backup is proven restorable with its counts, and no scratch space is left', async () => {
    const taken = await backup();
    expect(taken.storedParts.find((p) => p.kind === 'db')?.tableRows).toEqual({
      'public.auth_user': 2,
      'public.django_session': 1,
      'shop.orders': 1200,
    });
    // app/env drills the newest completed backup.
    const { drill: ended, operation } = await drill({ app: 'shop', env: 'live' });
    expect(ended).toMatchObject({ backupId: taken.id, status: 'succeeded', error: null });
    expect(ended.seconds).toBeGreaterThanOrEqual(0);
    expect(operation).toMatchObject({ kind: 'drill', status: 'succeeded' });
    // The lane is the database server's, not the target's: a drill never holds up the target's backups.
    expect(operation.target).toBe('drill:127.0.0.1:5432');
    const proven = await engine.ctx.catalog.getBackup(taken.id);
    expect(proven.provenAt).not.toBeNull();
    expect(proven.proofError).toBeNull();
    expect(proven.proofSeconds).toBe(ended.seconds);
    expect(await scratchDatabasesOf([operation.id])).toEqual([]);
    expect(readdirSync(scratchDir)).toEqual([]);
    // The scratch root holds decrypted media while a drill runs: its owner's alone.
    expect(statSync(scratchDir).mode & 0o777).toBe(0o700);
    const metrics = await createMetricsRegistry(engine.state.db, engine.ctx.targets).metrics();
    expect(metrics).toContain(
      `backstop_last_proven_restorable_timestamp_seconds{app="shop",env="live"} ${proven.provenAt!.getTime() / 1000}`,
    );
    // The target itself was not touched.
    expect(await sql(database.url, 'select count(*)::int as n from shop.orders')).toEqual([{ n: 1200 }]);
  }, 120_000);

  test('a damaged stored object fails the drill, and its scratch space is removed', async () => {
    const taken = await backup();
    await tamper(store, taken.storedParts.find((p) => p.kind === 'media')!.key);
    const { drill: ended, operation } = await drill({ backupId: taken.id });
    expect(ended.status).toBe('failed');
    // Which part is damaged is named: a drill restores several.
    // Said as every damage is: the stored object is no longer what was written, with what decryption found.
    expect(ended.error).toMatch(
      /^The media part \(\S+media\S*\) cannot be restored: the stored object is damaged: it is no longer what was written \(its sha256 differs from the one recorded; decrypting it found: .*authenticat/i,
    );
    expect(operation.status).toBe('failed');
    const recorded = await engine.ctx.catalog.getBackup(taken.id);
    expect(recorded.proofError).toBe(ended.error);
    expect(recorded.provenAt).toBeNull();
    expect(await scratchDatabasesOf([operation.id])).toEqual([]);
    expect(readdirSync(scratchDir)).toEqual([]);
    const events = await engine.ctx.events.list({ types: ['drill.failed'] });
    expect(events.at(-1)).toMatchObject({ subjectId: ended.id, data: { backupId: taken.id } });
  }, 120_000);
});

describe('what a drill checks', () => {
  let engine: TestEngine;
  let live: Target;
  let database: { name: string; url: string };
  let workDir: string;
  let cleanupStore: () => Promise<void>;

  beforeAll(async () => {
    const made = await makeStore('directory');
    cleanupStore = made.cleanup;
    workDir = mkdtempSync(join(tmpdir(), 'backstop-drill-checks-'));
    database = await createDatabase('checked');
    live = target('shop', 'live', { database: database.url });
    await fill(database.url, join(workDir, 'media'));
    engine = await makeEngine({ store: made.store, targets: [live], drillScratchDir: join(workDir, 'drills') });
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await dropDatabase(database.name);
    await cleanupStore?.();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function backup() {
    return takeBackup(engine.ctx, 'db');
  }

  async function drill(backupId: string) {
    const { drill: queued, operation } = await drillBackup(engine.ctx, operator, { backupId });
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    return { drill: await engine.ctx.catalog.drills.get(queued.id), operationId: operation.id };
  }

  test('a damaged object header fails the drill naming the part as damaged, not as a wrong key (its sha256 tells)', async () => {
    const taken = await takeBackup(engine.ctx, 'db');
    const key = taken.storedParts.find((p) => p.kind === 'db')!.key;
    // The X25519 stanza's body (the wrapped file key) is the header's third line: one character of it changed.
    const bytes = await buffer(await engine.ctx.store.read(key));
    const body = bytes.indexOf('\n', bytes.indexOf('\n') + 1) + 5;
    bytes[body] = bytes[body] === 0x41 ? 0x42 : 0x41;
    await engine.ctx.store.write(key, Readable.from([bytes]));
    const { drill: asked, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    const ended = await engine.ctx.catalog.drills.get(asked.id);
    expect(ended.status).toBe('failed');
    // Not a key problem: the object is no longer what was written, which its recorded sha256 tells.
    expect(ended.error).toBe(
      `The db part (${key}) cannot be restored: the stored object is damaged: it is no longer what was written (its ` +
        'sha256 differs from the one recorded; decrypting it found: its header opens with none of the identities). ' +
        'Take a new backup, and check the storage.',
    );
    // verify says the same.
    const verified = await verifyBackup(engine.ctx, taken.id, {});
    expect(verified.parts).toEqual([
      { kind: 'db', ok: false, problem: expect.stringMatching(/^the stored object is damaged/) },
    ]);
    expect(await scratchDatabasesOf([operation.id])).toEqual([]);
  }, 60_000);
  test('an intact object that the identities do not open is said to be a key problem', async () => {
    const taken = await takeBackup(engine.ctx, 'db');
    const stranger = generateIdentity().identity;
    const verified = await verifyBackup({ ...engine.ctx, identities: async () => [stranger] }, taken.id, {});
    expect(verified.parts).toEqual([
      {
        kind: 'db',
        ok: false,
        problem: expect.stringMatching(
          /^The identity cannot decrypt .* The stored object is exactly as it was written \(its sha256 matches\), so it is the key/,
        ),
      },
    ]);
  }, 60_000);

  test('counts that differ from what restores fail the drill, naming the table, recorded against found', async () => {
    const taken = await backup();
    // As if the dump had lost rows: the catalogue says 1201 where the dump holds 1200.
    await engine.state.db
      .updateTable('backup_parts')
      .set({ table_rows: JSON.stringify({ 'public.auth_user': 2, 'public.django_session': 1, 'shop.orders': 1201 }) })
      .where('backup_id', '=', taken.id)
      .execute();
    const { drill: ended, operationId } = await drill(taken.id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('table shop.orders: recorded 1201 rows, found 1200');
    expect(await scratchDatabasesOf([operationId])).toEqual([]);
    const [event] = (await engine.ctx.events.list({ types: ['drill.failed'] })).slice(-1);
    expect(event?.data).toMatchObject({ reason: ended.error, hint: expect.stringMatching(/take a new backup/) });
  }, 120_000);

  test('a table the restore lacks fails the drill', async () => {
    const taken = await backup();
    await engine.state.db
      .updateTable('backup_parts')
      .set({ table_rows: JSON.stringify({ 'public.invoices': 3 }) })
      .where('backup_id', '=', taken.id)
      .execute();
    const { drill: ended } = await drill(taken.id);
    expect(ended.error).toBe('table public.invoices: recorded 3 rows, but the restore has no such table');
  }, 120_000);

  test('an SQL check that is not true fails the drill, naming the check', async () => {
    const taken = await backup();
    (live as { drill?: Target['drill'] }).drill = {
      checks: ['select count(*) > 0 from auth_user', 'select count(*) > 5 from auth_user'],
      schedule: 'off',
    };
    try {
      const { drill: ended } = await drill(taken.id);
      expect(ended.status).toBe('failed');
      expect(ended.error).toBe('check "select count(*) > 5 from auth_user" returned false, not true');
    } finally {
      delete (live as { drill?: Target['drill'] }).drill;
    }
  }, 120_000);

  test('one drill names every difference and every failing check, not only the first', async () => {
    const taken = await backup();
    await engine.state.db
      .updateTable('backup_parts')
      .set({ table_rows: JSON.stringify({ 'public.auth_user': 3, 'public.django_session': 1, 'shop.orders': 1201 }) })
      .where('backup_id', '=', taken.id)
      .execute();
    (live as { drill?: Target['drill'] }).drill = {
      checks: ['select count(*) > 5 from auth_user', 'select count(*) > 0 from auth_user', 'select false'],
      schedule: 'off',
    };
    try {
      const { drill: ended } = await drill(taken.id);
      expect(ended.error).toBe(
        '4 failures: table public.auth_user: recorded 3 rows, found 2; ' +
          'table shop.orders: recorded 1201 rows, found 1200; ' +
          'check "select count(*) > 5 from auth_user" returned false, not true; check "select false" returned false, not true',
      );
      // What held is said as the drill goes (on stderr with --verbose).
      expect(engine.logs).toContainEqual(expect.stringContaining('check "select count(*) > 0 from auth_user" holds'));
    } finally {
      delete (live as { drill?: Target['drill'] }).drill;
    }
  }, 120_000);

  test('a check passes only when it returns rows and every value is true; several statements are refused', async () => {
    const taken = await backup();
    const outcomes: Record<string, string | null> = {};
    for (const check of [
      'select true, true union all select true, true;',
      'select true union all select false',
      'select true where false',
      'select count(*) > 0 from auth_user; select false',
      'delete from auth_user returning true',
      'select count(*) from auth_user',
    ]) {
      (live as { drill?: Target['drill'] }).drill = { checks: [check], schedule: 'off' };
      outcomes[check] = (await drill(taken.id)).drill.error;
    }
    delete (live as { drill?: Target['drill'] }).drill;
    expect(outcomes).toEqual({
      'select true, true union all select true, true;': null,
      'select true union all select false':
        'check "select true union all select false" returned false among its values, not true',
      'select true where false': 'check "select true where false" returned no row, not true',
      'select count(*) > 0 from auth_user; select false':
        'check "select count(*) > 0 from auth_user; select false" is several statements: write each as a check of ' +
        'its own (one SELECT that returns true)',
      'delete from auth_user returning true': expect.stringMatching(/failed: .*read-only transaction/),
      'select count(*) from auth_user':
        'check "select count(*) from auth_user" returned "2", not true or false: write a query that returns a boolean ' +
        '(select count(*) > 0 from ...)',
    });
  }, 120_000);

  test('a drill cancelled while a check runs ends cancelled at once, proving nothing', async () => {
    const taken = await backup();
    (live as { drill?: Target['drill'] }).drill = { checks: ['select pg_sleep(120) is not null'], schedule: 'off' };
    try {
      const { drill: queued, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
      const running = engineWorker(engine.ctx).runOnce({ id: operation.id });
      // The check is under way on the scratch database.
      await vi.waitFor(
        async () => {
          const sleeping = await sql(
            database.url,
            "select pid from pg_stat_activity where query like 'select pg_sleep(120)%' and datname like 'backstop_drill_%'",
          );
          expect(sleeping).toHaveLength(1);
        },
        { timeout: 60_000, interval: 20 },
      );
      await cancelOperation(engine.ctx, queued.id, 'cli:test');
      await running; // well before the check's 120 s (or its 60 s limit): the test's own time limit would fail first
      expect(await engine.ctx.catalog.drills.get(queued.id)).toMatchObject({
        status: 'cancelled',
        error: 'cancelled by cli:test',
      });
      expect(await engine.ctx.catalog.getBackup(taken.id)).toMatchObject({ provenAt: null, proofError: null });
      expect(await scratchDatabasesOf([operation.id])).toEqual([]);
    } finally {
      delete (live as { drill?: Target['drill'] }).drill;
    }
  }, 50_000);

  test('a check that fails to run fails the drill with the database error', async () => {
    const taken = await backup();
    (live as { drill?: Target['drill'] }).drill = {
      checks: ['select count(*) > 0 from no_such_table'],
      schedule: 'off',
    };
    try {
      const { drill: ended } = await drill(taken.id);
      expect(ended.error).toMatch(/^check "select count\(\*\) > 0 from no_such_table" failed: .*no_such_table/);
    } finally {
      delete (live as { drill?: Target['drill'] }).drill;
    }
  }, 120_000);

  test('prune keeps a backup while a drill of it is queued, and deletes it once the drill ended', async () => {
    const taken = await backup();
    const { operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    await backup(); // the newest is always kept: the drilled one is now older
    const strict = { ...live, retention: { ...live.retention, onDemand: { keepLast: 0, maxAgeDays: 0 } } };
    // A day later, when the policy lets every on-demand backup go.
    const later = { ...engine.ctx, clock: () => new Date(Date.now() + 86_400_000) };
    const held = await pruneTarget(later, strict, { dryRun: false });
    expect(held.heldByDrill).toContain(taken.id);
    expect(await engine.ctx.catalog.findBackup(taken.id)).toBeDefined();
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    const after = await pruneTarget(later, strict, { dryRun: false });
    expect(after.heldByDrill).toEqual([]);
    expect(await engine.ctx.catalog.findBackup(taken.id)).toBeUndefined();
  }, 120_000);

  test("a drill waits for the server's drill lock: one drill at a time per database server, whoever holds it", async () => {
    const taken = await backup();
    // Another drill on this server, as another Backstop (or a target naming the server differently) would hold it.
    const holder = new pg.Client({ connectionString: adminUrl });
    await holder.connect();
    await holder.query('select pg_advisory_lock($1)', [DRILL_SERVER_LOCK]);
    let released = false;
    try {
      const { drill: queued, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
      const running = engineWorker(engine.ctx).runOnce({ id: operation.id });
      await vi.waitFor(
        async () => {
          const [row] = await sql<{ n: number }>(
            adminUrl,
            "select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = $1 and not granted",
            [DRILL_SERVER_LOCK],
          );
          expect(row?.n).toBeGreaterThan(0);
        },
        { timeout: 30_000, interval: 20 },
      );
      // Waiting, it has restored nothing on the server.
      expect(await scratchDatabasesOf([operation.id])).toEqual([]);
      await holder.end();
      released = true;
      await running;
      expect(await engine.ctx.catalog.drills.get(queued.id)).toMatchObject({ status: 'succeeded' });
    } finally {
      if (!released) await holder.end();
    }
  }, 120_000);

  test('a backup deleted before its drill ran fails the drill without a drill.failed alert', async () => {
    const taken = await backup();
    const { drill: queued, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    const alerts = (await engine.ctx.events.list({ types: ['drill.failed'] })).length;
    await deleteBackupObjects(engine.ctx, taken);
    await engine.ctx.catalog.deleteBackup(taken.id);
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    expect(await engine.ctx.catalog.drills.get(queued.id)).toMatchObject({
      status: 'failed',
      error: `backup ${taken.id} no longer exists (deleted before the drill ran)`,
    });
    expect((await engine.ctx.operations.get(operation.id)).error).toMatch(/was deleted while the drill ran/);
    expect(await engine.ctx.events.list({ types: ['drill.failed'] })).toHaveLength(alerts);
  }, 120_000);

  test('leftover scratch space is removed only when its attempt no longer holds a live lease', async () => {
    const taken = await backup();
    const { operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    // Claimed by a worker that then vanished: running, lease generation 1, its scratch left behind.
    const claim = await engine.ctx.operations.claim('gone-worker', 60_000, new Date(), { onlyId: operation.id });
    expect(claim?.operation.leaseGeneration).toBe(1);
    const dead = `backstop_drill_${operation.id}`;
    const earlier = `backstop_drill_${operation.id}_g0`;
    await sql(adminUrl, `create database "${dead}"`);
    mkdirSync(join(workDir, 'drills', dead, 'media'), { recursive: true });
    try {
      // Its lease is live: another host may be drilling right now.
      expect(await removeDrillLeftovers(engine.ctx, [database.url])).toBe(0);
      expect(await scratchDatabasesOf([operation.id])).toEqual([dead]);
      // An earlier attempt's scratch is not the live attempt's: it goes.
      await sql(adminUrl, `create database "${earlier}"`);
      expect(await removeDrillLeftovers(engine.ctx, [database.url])).toBe(1);
      expect(await scratchDatabasesOf([operation.id])).toEqual([dead]);
      // Once the lease has run out, what it left goes.
      await engine.ctx.operations.expireLease(operation.id, 'gone-worker', new Date());
      expect(await removeDrillLeftovers(engine.ctx, [database.url])).toBe(2);
      expect(await scratchDatabasesOf([operation.id])).toEqual([]);
      expect(readdirSync(join(workDir, 'drills'))).toEqual([]);
    } finally {
      await sql(adminUrl, `drop database if exists "${dead}"`);
      await sql(adminUrl, `drop database if exists "${earlier}"`);
    }
  }, 120_000);
});

describe('cancelling a drill', () => {
  let engine: TestEngine;
  let database: { name: string; url: string };
  let workDir: string;
  let cleanupStore: () => Promise<void>;

  beforeAll(async () => {
    const made = await makeStore('directory');
    cleanupStore = made.cleanup;
    workDir = mkdtempSync(join(tmpdir(), 'backstop-drill-cancel-'));
    database = await createDatabase('cancelled');
    const media = join(workDir, 'media');
    await fill(database.url, media);
    // Large enough (sparse: no disk) that the drill is still restoring when it is cancelled.
    writeFileSync(join(media, 'big.bin'), '');
    truncateSync(join(media, 'big.bin'), 256 * 1024 ** 2);
    const live = target('shop', 'live', { database: database.url, mediaDir: media });
    engine = await makeEngine({ store: made.store, targets: [live], drillScratchDir: join(workDir, 'drills') });
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await dropDatabase(database.name);
    await cleanupStore?.();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('a drill cancelled while it restores ends cancelled, and its scratch space is removed', async () => {
    const taken = await takeBackup(engine.ctx, 'db+media');
    const { drill, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    const running = engineWorker(engine.ctx).runOnce({ id: operation.id });
    const drills = join(workDir, 'drills');
    await vi.waitFor(
      async () => {
        expect(readdirSync(drills)).toHaveLength(1);
        expect(await scratchDatabasesOf([operation.id])).toHaveLength(1);
      },
      { timeout: 60_000, interval: 5 },
    );
    await cancelOperation(engine.ctx, drill.id, 'cli:test');
    await running;
    expect(await engine.ctx.operations.get(operation.id)).toMatchObject({ status: 'cancelled' });
    expect(await engine.ctx.catalog.drills.get(drill.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by cli:test',
    });
    expect(await scratchDatabasesOf([operation.id])).toEqual([]);
    expect(readdirSync(drills)).toEqual([]);
    // A cancelled drill proves nothing and finds nothing wrong.
    expect(await engine.ctx.catalog.getBackup(taken.id)).toMatchObject({ provenAt: null, proofError: null });
  }, 120_000);
});

describe('a drill of media kept in S3', () => {
  let s3: S3rverPeer;
  let engine: TestEngine;
  let workDir: string;
  let mediaBucket: string;

  beforeAll(async () => {
    s3 = await startS3rver();
    const { store } = await makeStore('s3', s3);
    workDir = mkdtempSync(join(tmpdir(), 'backstop-drill-s3-media-'));
    mediaBucket = await s3.createBucket('media');
    await s3.client.send(
      new PutObjectCommand({ Bucket: mediaBucket, Key: 'live/photos/Zürich.jpg', Body: Buffer.alloc(70_000, 9) }),
    );
    await s3.client.send(new PutObjectCommand({ Bucket: mediaBucket, Key: 'live/notes.txt', Body: 'hello' }));
    const live: Target = {
      ...target('shop', 'live', {}),
      media: {
        type: 's3',
        bucket: mediaBucket,
        prefix: 'live/',
        connection: { region: 'us-east-1', forcePathStyle: true, timeouts: { connect: '10s', idle: '60s' } },
      },
    };
    engine = await makeEngine({
      store,
      targets: [live],
      drillScratchDir: join(workDir, 'drills'),
      sourceFor: () => new MediaS3Source({ client: s3.client, bucket: mediaBucket, prefix: 'live/' }),
    });
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await s3?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('is restored into a scratch directory, every file checked against the manifest, and removed', async () => {
    const taken = await takeBackup(engine.ctx, 'media');
    const { drill, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
    expect(operation.target).toBe('drill:shop/live');
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    expect(await engine.ctx.catalog.drills.get(drill.id)).toMatchObject({ status: 'succeeded', error: null });
    expect(readdirSync(join(workDir, 'drills'))).toEqual([]);
    // The bucket the media lives in was only read.
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: mediaBucket }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['live/notes.txt', 'live/photos/Zürich.jpg']);
  }, 120_000);
});
