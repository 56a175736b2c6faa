import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Target } from '../../src/domain/target.ts';
import { rebuildCatalog } from '../../src/engine/rebuild-catalog.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import { queueRestore, runRestore } from '../../src/engine/run-restore.ts';
import { verifyBackup } from '../../src/engine/verify-backup.ts';
import { checkMediaTar } from '../../src/sources/media-tar-check.ts';
import { checkPgDump } from '../../src/sources/pg-dump-check.ts';
import type { Store } from '../../src/storage/store.ts';
import { databaseFingerprint, treeFingerprint } from '../support/compare.ts';
import { makeEngine, makeStore, type StoreKind, type TestEngine, target } from '../support/engine.ts';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';

const checks = { db: checkPgDump, media: checkMediaTar };

async function fillLive(url: string, mediaDir: string): Promise<void> {
  await sql(
    url,
    `create schema shop;
     create schema audit;
     create sequence audit.ticket start 1000;
     select nextval('audit.ticket'), nextval('audit.ticket');
     create table shop.products (id serial primary key, name text not null, photo bytea, data jsonb);
     insert into shop.products (name, photo, data)
       select 'Produkt ' || i || ' 日本 😀', decode(lpad(to_hex(i), 8, '0'), 'hex'), jsonb_build_object('i', i)
       from generate_series(1, 20000) i;
     create table audit.events (id bigserial primary key, product_id int references shop.products, at timestamptz);
     insert into audit.events (product_id, at) select 1 + i % 20000, '2026-01-01'::timestamptz + i * interval '1 minute'
       from generate_series(1, 30000) i;
     create view shop.expensive as select id, name from shop.products where id > 100;
     create function shop.label(p shop.products) returns text language sql as $$ select p.name || '!' $$;`,
  );
  mkdirSync(join(mediaDir, 'products', 'nested deeper'), { recursive: true });
  writeFileSync(join(mediaDir, 'products', 'Zürich 日本.jpg'), Buffer.alloc(300_000, 7));
  writeFileSync(join(mediaDir, 'products', 'nested deeper', 'empty file'), '');
  const longName = `${'long-directory-name-'.repeat(4)}/${'x'.repeat(120)}.txt`;
  mkdirSync(join(mediaDir, longName, '..'), { recursive: true });
  writeFileSync(join(mediaDir, longName), 'a path longer than 100 bytes');
  for (let i = 0; i < 50; i++) writeFileSync(join(mediaDir, `file ${i}.bin`), Buffer.alloc(1000 + i, i));
  utimesSync(join(mediaDir, 'file 1.bin'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
}

async function fillStaging(url: string, mediaDir: string): Promise<void> {
  await sql(url, 'create schema extra; create table extra.leftover (x int); create table public.old (y text);');
  mkdirSync(mediaDir, { recursive: true });
  writeFileSync(join(mediaDir, 'only-on-staging.txt'), 'must be gone after the restore');
}

/** Flips one byte of a stored object, through the store itself (so it works for every driver). */
async function tamper(store: Store, key: string, offsetFromEnd: number): Promise<void> {
  const bytes = await buffer(await store.read(key));
  const index = bytes.length - offsetFromEnd;
  bytes[index] = bytes[index]! ^ 0x01;
  await store.write(key, Readable.from([bytes]));
}

describe.each<StoreKind>(['directory', 's3'])('backups and restores on the %s store', (storeKind) => {
  let s3: S3rverPeer | undefined;
  let store: Store;
  let cleanupStore: () => Promise<void>;
  let engine: TestEngine;
  const databases: string[] = [];
  let workDir: string;
  let live: Target;
  let staging: Target;

  beforeAll(async () => {
    if (storeKind === 's3') s3 = await startS3rver();
    ({ store, cleanup: cleanupStore } = await makeStore(storeKind, s3));
    workDir = mkdtempSync(join(tmpdir(), 'backstop-engine-test-'));
    const liveDb = await createDatabase('live');
    const stagingDb = await createDatabase('staging');
    databases.push(liveDb.name, stagingDb.name);
    live = target('shop', 'live', { database: liveDb.url, mediaDir: join(workDir, 'live') });
    staging = target('shop', 'staging', { database: stagingDb.url, mediaDir: join(workDir, 'staging') });
    mkdirSync(join(workDir, 'live'));
    await fillLive(liveDb.url, join(workDir, 'live'));
    engine = await makeEngine({ store, targets: [live, staging] });
  });

  afterAll(async () => {
    await engine?.close();
    for (const name of databases) await dropDatabase(name);
    rmSync(workDir, { recursive: true, force: true });
    await cleanupStore?.();
    await s3?.stop();
  });

  async function backupOf(t: Target, note: string) {
    const queued = await queueBackup(engine.ctx, {
      app: t.app,
      env: t.env,
      trigger: 'on-demand',
      parts: 'db+media',
      note,
      requestedBy: 'test',
    });
    return runBackup(engine.ctx, queued.id);
  }

  test('a backup restores into another environment exactly, after a safety backup of it', async () => {
    await fillStaging(staging.database!, join(workDir, 'staging'));
    const backup = await backupOf(live, 'before deploy');
    expect(backup.status).toBe('completed');
    expect(backup.storedParts.map((p) => p.kind)).toEqual(['db', 'media']);
    const keys: string[] = [];
    for await (const object of store.list(`shop/live/${backup.id}/`)) keys.push(object.key);
    expect(keys).toEqual([
      `shop/live/${backup.id}/backup.json`,
      `shop/live/${backup.id}/db.dump.age`,
      `shop/live/${backup.id}/media.tar.age`,
    ]);
    const metadata = JSON.parse((await buffer(await store.read(`shop/live/${backup.id}/backup.json`))).toString());
    expect(metadata).toMatchObject({
      id: backup.id,
      app: 'shop',
      env: 'live',
      note: 'before deploy',
      encryption: 'age-v1',
    });

    const restore = await queueRestore(engine.ctx, {
      backupId: backup.id,
      to: { app: 'shop', env: 'staging' },
      safetyBackup: true,
      requestedBy: 'test',
    });
    const done = await runRestore(engine.ctx, restore.id);
    expect(done.status).toBe('succeeded');

    expect(await databaseFingerprint(staging.database!)).toEqual(await databaseFingerprint(live.database!));
    expect(treeFingerprint(join(workDir, 'staging'))).toEqual(treeFingerprint(join(workDir, 'live')));

    const safety = await engine.ctx.catalog.getBackup(done.safetyBackupId!);
    expect(safety).toMatchObject({
      app: 'shop',
      env: 'staging',
      status: 'completed',
      note: `before restore of ${backup.id}`,
    });
  });

  test('a tampered backup is refused and leaves every part of the destination unchanged', async () => {
    const backup = await backupOf(live, 'to be tampered with');
    await sql(staging.database!, 'create table public.marker (v int); insert into public.marker values (42);');
    writeFileSync(join(workDir, 'staging', 'marker.txt'), 'still here');
    const dbBefore = await databaseFingerprint(staging.database!);
    const mediaBefore = treeFingerprint(join(workDir, 'staging'));

    await tamper(store, `shop/live/${backup.id}/db.dump.age`, 100);
    const restore = await queueRestore(engine.ctx, {
      backupId: backup.id,
      to: { app: 'shop', env: 'staging' },
      safetyBackup: false,
      requestedBy: 'test',
    });
    await expect(runRestore(engine.ctx, restore.id)).rejects.toMatchObject({ code: 'decrypt-corrupt' });

    expect(await databaseFingerprint(staging.database!)).toEqual(dbBefore);
    expect(treeFingerprint(join(workDir, 'staging'))).toEqual(mediaBefore);
    expect(await engine.ctx.catalog.getRestore(restore.id)).toMatchObject({ status: 'failed' });

    const verified = await verifyBackup(engine.ctx, backup.id, checks);
    expect(verified.parts).toEqual([
      { kind: 'db', ok: false, problem: expect.stringMatching(/altered|damaged/) },
      { kind: 'media', ok: true },
    ]);
    expect(verified.backup.verifyError).toMatch(/^db: /);
  });

  test('a restore into a database that does not exist creates it, with no safety backup, since nothing was there', async () => {
    const backup = await backupOf(live, 'for a fresh server');
    const name = `backstop_fresh_${Date.now().toString(36)}`;
    databases.push(name);
    const fresh = target('shop', 'fresh', { database: databaseUrl(name) });
    const withFresh = await makeEngine({ store, targets: [live, fresh], identity: engine.identity });
    try {
      await withFresh.ctx.catalog.importBackup(await engine.ctx.catalog.getBackup(backup.id));
      const restore = await queueRestore(withFresh.ctx, {
        backupId: backup.id,
        parts: 'db',
        to: { app: 'shop', env: 'fresh' },
        safetyBackup: true,
        requestedBy: 'test',
      });
      const done = await runRestore(withFresh.ctx, restore.id);
      expect(done).toMatchObject({ status: 'succeeded', safetyBackupId: null });
      expect((await databaseFingerprint(databaseUrl(name))).tables).toEqual(
        (await databaseFingerprint(live.database!)).tables,
      );
    } finally {
      await withFresh.close();
    }
  });

  test('verify reads an intact backup back and records success', async () => {
    const backup = await backupOf(live, 'to verify');
    const verified = await verifyBackup(engine.ctx, backup.id, checks);
    expect(verified.parts).toEqual([
      { kind: 'db', ok: true },
      { kind: 'media', ok: true },
    ]);
    expect(verified.backup.verifiedAt).toBeInstanceOf(Date);
    expect(verified.backup.verifyError).toBeNull();
  });

  test('a database that cannot be dumped fails the backup with the reason and leaves no object behind', async () => {
    const broken = target('shop', 'broken', {
      database: live.database!.replace(/\/[^/]+$/, '/backstop_no_such_database'),
      mediaDir: join(workDir, 'live'),
    });
    const brokenEngine = await makeEngine({ store, targets: [broken] });
    try {
      const queued = await queueBackup(brokenEngine.ctx, {
        app: 'shop',
        env: 'broken',
        trigger: 'on-demand',
        parts: 'db+media',
        note: null,
        requestedBy: null,
      });
      await expect(runBackup(brokenEngine.ctx, queued.id)).rejects.toMatchObject({ code: 'pg-connect-failed' });
      const row = await brokenEngine.ctx.catalog.getBackup(queued.id);
      expect(row.status).toBe('failed');
      expect(row.error).toMatch(/backstop_no_such_database/);
      expect(row.storedParts).toEqual([]);
      const left: string[] = [];
      for await (const object of store.list('shop/broken/')) left.push(object.key);
      expect(left).toEqual([]);
    } finally {
      await brokenEngine.close();
    }
  });

  test('the catalogue is rebuilt from the backup.json files after the state is lost', async () => {
    const known = (await engine.ctx.catalog.listBackups()).filter((b) => b.status === 'completed');
    // The state is lost, the key is not.
    const fresh = await makeEngine({ store, targets: [live, staging], identity: engine.identity });
    try {
      const report = await rebuildCatalog(fresh.ctx);
      expect(report.unreadable).toEqual([]);
      expect(report.added.sort()).toEqual(known.map((b) => b.id).sort());
      for (const backup of known) {
        const rebuilt = await fresh.ctx.catalog.getBackup(backup.id);
        expect(rebuilt.storedParts).toEqual(backup.storedParts);
        expect(rebuilt).toMatchObject({ note: backup.note, trigger: backup.trigger, status: 'completed' });
      }
      expect((await rebuildCatalog(fresh.ctx)).added).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
