import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { PartsChoice } from '../../src/domain/part-kind.ts';
import type { Target } from '../../src/domain/target.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import { queueRestore, runRestore } from '../../src/engine/run-restore.ts';
import type { Store } from '../../src/storage/store.ts';
import { databaseFingerprint, treeFingerprint } from '../support/compare.ts';
import { makeEngine, makeStore, type StoreKind, type TestEngine, target } from '../support/engine.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';
import { type Damage, damaged, expectedCodes } from './damage.ts';

/**
 * Whole restores of small backups (one chunk per part: the case that once hung) whose stored objects were damaged,
 * sampled over parts, stores and damages: each fails promptly with the damage's code, records the restore failed,
 * and leaves the destination's database and media as they were, with no lock held.
 */
describe.each<StoreKind>(['directory', 's3'])('a restore of a damaged small backup from the %s store', (storeKind) => {
  let s3: S3rverPeer | undefined;
  let store: Store;
  let cleanupStore: () => Promise<void>;
  let engine: TestEngine;
  const databases: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'backstop-damaged-restore-'));
  let live: Target;
  let staging: Target;

  beforeAll(async () => {
    if (storeKind === 's3') s3 = await startS3rver();
    ({ store, cleanup: cleanupStore } = await makeStore(storeKind, s3));
    const liveDb = await createDatabase('dmg_live');
    const stagingDb = await createDatabase('dmg_staging');
    databases.push(liveDb.name, stagingDb.name);
    await sql(liveDb.url, "create table notes (id int primary key, body text); insert into notes values (1, 'live');");
    await sql(stagingDb.url, 'create table marker (v int); insert into marker values (42);');
    mkdirSync(join(work, 'live'));
    writeFileSync(join(work, 'live', 'logo.png'), 'live pixels');
    mkdirSync(join(work, 'staging'));
    writeFileSync(join(work, 'staging', 'marker.txt'), 'still here');
    live = target('shop', 'live', { database: liveDb.url, mediaDir: join(work, 'live') });
    staging = target('shop', 'staging', { database: stagingDb.url, mediaDir: join(work, 'staging') });
    engine = await makeEngine({ store, targets: [live, staging] });
  });

  afterAll(async () => {
    await engine?.close();
    for (const name of databases) await dropDatabase(name);
    rmSync(work, { recursive: true, force: true });
    await cleanupStore?.();
    await s3?.stop();
  });

  const cases: Array<[PartsChoice, 'db' | 'media', Damage]> = [
    ['db', 'db', 'middle'],
    ['db', 'db', 'truncated at a chunk boundary'],
    ['media', 'media', 'middle'],
    ['media', 'media', 'truncated'],
    ['db+media', 'media', 'middle'],
    ['db+media', 'db', 'start'],
    ['db+media', 'media', 'truncated at a chunk boundary'],
  ];

  test.each(cases)(
    '%s, its %s object damaged (%s): refused promptly, staging untouched',
    async (parts, hit, damage) => {
      const queued = await queueBackup(engine.ctx, {
        app: 'shop',
        env: 'live',
        trigger: 'on-demand',
        parts,
        note: null,
        requestedBy: 'test',
      });
      const backup = await runBackup(engine.ctx, queued.id);
      const key = backup.storedParts.find((p) => p.kind === hit)!.key;
      const object = await buffer(await store.read(key));
      await store.write(key, Readable.from([damaged(object, damage)]));

      const dbBefore = await databaseFingerprint(staging.database!);
      const mediaBefore = treeFingerprint(join(work, 'staging'));
      const restore = await queueRestore(engine.ctx, {
        backupId: backup.id,
        parts,
        to: { app: 'shop', env: 'staging' },
        safetyBackup: false,
        requestedBy: 'test',
      });
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the restore neither failed nor finished: it hangs')), 30_000);
      });
      const run = Promise.race([runRestore(engine.ctx, restore.id), hang]).finally(() => clearTimeout(timer));
      await expect(run).rejects.toMatchObject({ code: expect.toBeOneOf(expectedCodes(damage)) });

      expect(await engine.ctx.catalog.getRestore(restore.id)).toMatchObject({ status: 'failed' });
      expect(await databaseFingerprint(staging.database!)).toEqual(dbBefore);
      expect(treeFingerprint(join(work, 'staging'))).toEqual(mediaBefore);
      // No session is left holding a lock on it (a rolled-back restore's backend may take a moment to exit).
      await vi.waitFor(
        async () => {
          const [{ locks }] = (await sql<{ locks: number }>(
            staging.database!,
            `select count(*)::int as locks from pg_locks l join pg_database d on d.oid = l.database
           where d.datname = current_database() and l.pid <> pg_backend_pid()`,
          )) as [{ locks: number }];
          expect(locks).toBe(0);
        },
        { timeout: 5000, interval: 50 },
      );
    },
  );
});
