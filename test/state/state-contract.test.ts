import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BackupPart, NewBackup } from '../../src/domain/backup.ts';
import type { NewEvent } from '../../src/domain/events.ts';
import { newId } from '../../src/domain/new-id.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { createToken, listTokens, revokeToken, verifyToken } from '../../src/state/api-tokens.ts';
import { AuditLog } from '../../src/state/audit-log.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { DownloadBook } from '../../src/state/download-book.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { FleetSettings } from '../../src/state/fleet-settings.ts';
import { RestoreRequests } from '../../src/state/restore-requests.ts';
import { SignInAttempts } from '../../src/state/sign-in-attempts.ts';
import { migrateToLatest, type State } from '../../src/state/state.ts';
import { WebSessions } from '../../src/state/web-sessions.ts';
import { WebhookDeliveries } from '../../src/state/webhook-deliveries.ts';
import { bothStates } from '../support/both-states.ts';
import { ManualClock } from '../support/manual-clock.ts';

/**
 * The contract of each store over Backstop's state, held on both states: whatever a store promises in its comments
 * it keeps the same on the embedded SQLite state and on PostgreSQL. (The migrations, transactions, delivered chat
 * requests, idempotency keys, restore-request cards and malformed ids are in state.test.ts; the job queue in
 * operation-queue.test.ts.)
 */
const dialects = bothStates('contract');

const at = (iso: string) => new Date(iso);
const later = (time: Date, seconds: number) => new Date(time.getTime() + seconds * 1000);

const onDemand = (app: string, env = 'live'): NewBackup => ({
  app,
  env,
  trigger: 'on-demand',
  parts: 'db+media',
  note: 'before the deploy',
  requestedBy: 'cli:ana',
});

// Sizes past 2^32 (a bigint column) come back as numbers on both states.
const dbPart: BackupPart = {
  kind: 'db',
  key: 'shop/live/x/db.dump.age',
  sizeBytes: 5_000_000_000_123,
  sha256: 'a'.repeat(64),
  storedSizeBytes: 5_000_000_001_000,
  storedSha256: 'b'.repeat(64),
};
const mediaPart: BackupPart = {
  kind: 'media',
  key: 'shop/live/x/media.tar.age',
  sizeBytes: 42,
  sha256: 'c'.repeat(64),
  storedSizeBytes: 99,
  storedSha256: 'd'.repeat(64),
};

const pruned = (kept: number, dedupeKey?: string): NewEvent => ({
  type: 'retention.pruned',
  app: 'shop',
  env: 'live',
  subjectId: null,
  data: { deleted: [{ id: `k${kept}`, reason: 'older than 30 days' }], kept },
  ...(dedupeKey !== undefined && { dedupeKey }),
});

const missed = (dedupeKey?: string): NewEvent => ({
  type: 'backup.missed',
  app: 'shop',
  env: 'live',
  subjectId: null,
  data: {
    app: 'shop',
    env: 'live',
    lastCompletedBackupId: null,
    lastCompletedAt: null,
    expectedEveryMs: 86_400_000,
    schedule: { cron: '0 3 * * *', timezone: 'UTC' },
    hint: 'Is a worker running?',
  },
  ...(dedupeKey !== undefined && { dedupeKey }),
});

describe.each(dialects)('the stores keep their contract on %s', (_name, open) => {
  let state: State;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ state, cleanup } = await open());
    await migrateToLatest(state.db);
  });
  afterAll(async () => {
    await state.close();
    await cleanup();
  });

  describe('the catalogue', () => {
    test('an attempt records a backup completed or failed only under its current lease generation', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const operations = new OperationQueue(state.db, () => newId());
      const t0 = at('2026-11-27T10:00:00.000Z');
      const backup = await catalog.insertBackup(onDemand('fenced'), t0);
      const operation = await operations.enqueue(
        { kind: 'backup', subjectId: backup.id, target: 'fenced/live', requestedBy: null },
        t0,
      );
      const first = await operations.claim('first', 1000, later(t0, 1));
      expect(first?.operation.leaseGeneration).toBe(1);
      // The first attempt's lease runs out; a second claim is the second generation.
      const second = await operations.claim('second', 1000, later(t0, 10));
      expect(second?.operation).toMatchObject({ id: operation.id, leaseGeneration: 2 });

      const stale = { operationId: operation.id, generation: 1 };
      await expect(catalog.completeBackup(backup.id, [mediaPart], later(t0, 11), stale)).rejects.toMatchObject({
        code: 'fenced',
      });
      await expect(catalog.failBackup(backup.id, 'late failure', later(t0, 11), stale)).rejects.toMatchObject({
        code: 'fenced',
      });
      expect(await catalog.getBackup(backup.id)).toMatchObject({ status: 'queued', storedParts: [], error: null });

      await catalog.completeBackup(backup.id, [mediaPart], later(t0, 12), { operationId: operation.id, generation: 2 });
      expect(await catalog.getBackup(backup.id)).toMatchObject({ status: 'completed', storedParts: [mediaPart] });
      // Once the operation has ended, no generation may change the backup any more.
      await operations.finish(operation.id, 'second', { status: 'succeeded' }, later(t0, 13));
      await expect(
        catalog.failBackup(backup.id, 'too late', later(t0, 14), { operationId: operation.id, generation: 2 }),
      ).rejects.toMatchObject({ code: 'fenced' });
      expect((await catalog.getBackup(backup.id)).status).toBe('completed');
    });

    test('a backup goes from queued to completed with its parts; times come back as Dates, flags as booleans', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test-1.2.3');
      const t0 = at('2026-11-27T10:00:00.123Z');
      const created = await catalog.insertBackup(onDemand('roundtrip'), t0);
      expect(created).toMatchObject({
        app: 'roundtrip',
        env: 'live',
        trigger: 'on-demand',
        status: 'queued',
        parts: 'db+media',
        note: 'before the deploy',
        requestedBy: 'cli:ana',
        startedAt: null,
        completedAt: null,
        error: null,
        toolVersion: 'test-1.2.3',
        verifiedAt: null,
        slot: null,
        storedParts: [],
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.createdAt.toISOString()).toBe('2026-11-27T10:00:00.123Z');
      expect(created.pinned).toBe(false);

      await catalog.markBackupRunning(created.id, later(t0, 1));
      await catalog.completeBackup(created.id, [mediaPart, dbPart], later(t0, 60));
      await catalog.recordVerification(created.id, later(t0, 120), null);
      const completed = await catalog.getBackup(created.id);
      expect(completed.status).toBe('completed');
      expect(completed.startedAt).toEqual(later(t0, 1));
      expect(completed.completedAt).toEqual(later(t0, 60));
      expect(completed.verifiedAt).toEqual(later(t0, 120));
      expect(completed.startedAt).toBeInstanceOf(Date);
      expect(completed.completedAt).toBeInstanceOf(Date);
      expect(completed.verifiedAt).toBeInstanceOf(Date);
      expect(completed.verifyError).toBeNull();
      // Parts come back db first, sizes as numbers.
      expect(completed.storedParts).toEqual([dbPart, mediaPart]);

      // Completing again replaces the parts rather than adding to them.
      await catalog.completeBackup(created.id, [dbPart], later(t0, 180));
      expect((await catalog.getBackup(created.id)).storedParts).toEqual([dbPart]);
    });

    test('a failed backup keeps its reason until it is requeued; a cancelled one names who cancelled', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const t0 = at('2026-11-27T11:00:00Z');
      const failing = await catalog.insertBackup(onDemand('failing'), t0);
      await catalog.markBackupRunning(failing.id, t0);
      await catalog.failBackup(failing.id, 'pg_dump exited 1', later(t0, 5));
      expect(await catalog.getBackup(failing.id)).toMatchObject({
        status: 'failed',
        error: 'pg_dump exited 1',
        completedAt: later(t0, 5),
      });
      await catalog.requeueBackup(failing.id);
      expect(await catalog.getBackup(failing.id)).toMatchObject({
        status: 'queued',
        error: null,
        startedAt: null,
        completedAt: null,
      });
      await catalog.cancelBackup(failing.id, 'cancelled by cli:ana', later(t0, 9));
      expect(await catalog.getBackup(failing.id)).toMatchObject({
        status: 'cancelled',
        error: 'cancelled by cli:ana',
        completedAt: later(t0, 9),
      });
    });

    test('a backup is pinned and unpinned', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const backup = await catalog.insertBackup(onDemand('pinning'), at('2026-11-27T12:00:00Z'));
      await catalog.setPinned(backup.id, true);
      expect((await catalog.getBackup(backup.id)).pinned).toBe(true);
      expect((await catalog.listBackups({ app: 'pinning' })).map((b) => b.pinned)).toEqual([true]);
      await catalog.setPinned(backup.id, false);
      expect((await catalog.getBackup(backup.id)).pinned).toBe(false);
    });

    test('backups are listed newest first with ties by id, and pages go on from the last one shown', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const t0 = at('2026-11-20T08:00:00Z');
      const t1 = at('2026-11-21T08:00:00Z');
      const t2 = at('2026-11-22T08:00:00Z');
      // Inserted out of order; three share a creation time.
      for (const [id, time] of [
        ['pg3ccc', t1],
        ['pg1aaa', t0],
        ['pg5eee', t2],
        ['pg2bbb', t1],
        ['pg4ddd', t1],
      ] as const) {
        await catalog.insertBackup(onDemand('paging'), time, id);
      }
      await catalog.insertBackup(onDemand('paging', 'staging'), later(t2, 60), 'pg6fff');
      await catalog.insertBackup(onDemand('paged-other'), later(t2, 120), 'pg7ggg');

      const all = await catalog.listBackups({ app: 'paging' });
      expect(all.map((b) => b.id)).toEqual(['pg6fff', 'pg5eee', 'pg2bbb', 'pg3ccc', 'pg4ddd', 'pg1aaa']);
      expect(all.every((b) => b.createdAt instanceof Date)).toBe(true);

      const pages: string[][] = [];
      let after: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const page = await catalog.listBackups({ app: 'paging', limit: 2, ...(after !== undefined && { after }) });
        if (page.length === 0) break;
        pages.push(page.map((b) => b.id));
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(pages).toEqual([
        ['pg6fff', 'pg5eee'],
        ['pg2bbb', 'pg3ccc'],
        ['pg4ddd', 'pg1aaa'],
      ]);

      expect((await catalog.listBackups({ app: 'paging', env: 'staging' })).map((b) => b.id)).toEqual(['pg6fff']);
      expect((await catalog.listBackups({ apps: ['paging', 'paged-other'], limit: 3 })).map((b) => b.id)).toEqual([
        'pg7ggg',
        'pg6fff',
        'pg5eee',
      ]);
      expect(await catalog.listBackups({ apps: [] })).toEqual([]);
      expect(await catalog.listBackups({ app: 'paging', trigger: 'scheduled' })).toEqual([]);
    });

    test('deleting a backup removes its parts with it', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const t0 = at('2026-11-27T13:00:00Z');
      await catalog.insertBackup(onDemand('deleting'), t0, 'del111');
      await catalog.completeBackup('del111', [dbPart, mediaPart], t0);
      await catalog.deleteBackup('del111');
      expect(await catalog.findBackup('del111')).toBeUndefined();
      const orphans = await state.db
        .selectFrom('backup_parts')
        .select('kind')
        .where('backup_id', '=', 'del111')
        .execute();
      expect(orphans).toEqual([]);
      // A backup recorded again under the id starts without parts.
      await catalog.insertBackup(onDemand('deleting'), t0, 'del111');
      expect((await catalog.getBackup('del111')).storedParts).toEqual([]);
    });

    test('a given id is used as is; a random id that clashes is drawn again', async () => {
      const t0 = at('2026-11-27T14:00:00Z');
      const ids = ['clash1', 'clash1', 'fresh1'];
      const catalog = new Catalog(state.db, () => ids.shift()!, 'test');
      expect((await catalog.insertBackup(onDemand('clashing'), t0)).id).toBe('clash1');
      expect((await catalog.insertBackup(onDemand('clashing'), t0)).id).toBe('fresh1');
      await expect(catalog.insertBackup(onDemand('clashing'), t0, 'clash1')).rejects.toThrow();
      expect((await catalog.listBackups({ app: 'clashing' })).map((b) => b.id).sort()).toEqual(['clash1', 'fresh1']);
    });

    test('inside a transaction, a random id that clashes is drawn again and the transaction goes on', async () => {
      // Six-letter ids get crowded: 10,000 targets fired at once drew a taken id about once per burst, and on
      // PostgreSQL the failed insert aborted the transaction that was to queue the slot.
      const t0 = at('2026-11-27T15:00:00Z');
      const taking = new Catalog(state.db, () => 'taken1', 'test');
      await taking.insertBackup(onDemand('clash-trx'), t0);
      const restore = { backupId: 'taken1', parts: 'db', destApp: 'clash-trx', destEnv: 'live', requestedBy: null };
      await taking.insertRestore({ ...restore, safetyBackup: false }, t0);
      await new OperationQueue(state.db, () => 'taken2').enqueue(
        { kind: 'backup', subjectId: 'taken1', target: 'clash-trx/live', requestedBy: 'cli:ana' },
        t0,
      );
      const ids = ['taken1', 'fresh2', 'taken1', 'fresh3', 'taken1', 'fresh4'];
      const catalog = new Catalog(state.db, () => ids.shift()!, 'test');
      const operationIds = ['taken2', 'fresh5'];
      const operations = new OperationQueue(state.db, () => operationIds.shift()!);
      const slot = at('2026-11-27T15:00:00Z');
      const created = await catalog.transaction(async (trx, db) => {
        const onDemandBackup = await trx.insertBackup(onDemand('clash-trx'), t0);
        const scheduled = await trx.insertScheduledBackup({ app: 'clash-trx', env: 'live', parts: 'db' }, slot, t0);
        const restored = await trx.insertRestore({ ...restore, safetyBackup: false }, t0);
        const operation = await operations
          .within(db)
          .enqueue({ kind: 'backup', subjectId: scheduled!.id, target: 'clash-trx/live', requestedBy: 'schedule' }, t0);
        return [onDemandBackup.id, scheduled?.id, restored.id, operation.id];
      });
      expect(created).toEqual(['fresh2', 'fresh3', 'fresh4', 'fresh5']);
      expect((await catalog.listBackups({ app: 'clash-trx' })).map((b) => b.id).sort()).toEqual([
        'fresh2',
        'fresh3',
        'taken1',
      ]);
      expect((await operations.get('fresh5')).subjectId).toBe('fresh3');
    });

    test('the id of a pruned backup is not drawn again while the queue keeps its operation', async () => {
      // Retention deletes backups; their finished operations stay 30 days, naming them. A new backup under such an
      // id could not have an operation of its own (one per subject), and its enqueue failed.
      const t0 = at('2026-11-27T16:00:00Z');
      const pruned = await new Catalog(state.db, () => 'prune1', 'test').insertBackup(onDemand('reused'), t0);
      const queue = new OperationQueue(state.db, () => newId());
      const operation = await queue.enqueue(
        { kind: 'backup', subjectId: pruned.id, target: 'reused/live', requestedBy: 'cli:ana' },
        t0,
      );
      await queue.claim('w1', 30_000, t0, { onlyId: operation.id });
      await queue.finish(operation.id, 'w1', { status: 'succeeded' }, t0);
      await new Catalog(state.db, () => newId(), 'test').deleteBackup(pruned.id);

      const ids = ['prune1', 'fresh6', 'prune1', 'fresh7'];
      const catalog = new Catalog(state.db, () => ids.shift()!, 'test');
      const queued = await catalog.transaction(async (trx, db) => {
        const onDemandBackup = await trx.insertBackup(onDemand('reused'), t0);
        const scheduled = await trx.insertScheduledBackup({ app: 'reused', env: 'live', parts: 'db' }, t0, t0);
        for (const backup of [onDemandBackup, scheduled!]) {
          await queue
            .within(db)
            .enqueue({ kind: 'backup', subjectId: backup.id, target: 'reused/live', requestedBy: 'cli:ana' }, t0);
        }
        return [onDemandBackup.id, scheduled?.id];
      });
      expect(queued).toEqual(['fresh6', 'fresh7']);
    });

    test('a slot fired late, after a later slot was taken, is not taken again once its backup was pruned', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const target = { app: 'late-slots', env: 'live', parts: 'db' };
      const early = at('2026-11-27T10:00:00Z');
      const next = at('2026-11-27T10:00:03Z');
      const first = await catalog.insertScheduledBackup(target, early, later(early, 1));
      expect(await catalog.insertScheduledBackup(target, next, later(next, 1))).toBeDefined();
      await catalog.deleteBackup(first!.id); // retention pruned it, which frees the unique slot
      // An instance cut off from the state fired `early` on time; its insert arrives now.
      expect(await catalog.insertScheduledBackup(target, early, later(next, 20))).toBeUndefined();
      expect(await catalog.insertScheduledBackup(target, at('2026-11-27T10:00:06Z'), later(next, 4))).toBeDefined();
      const slots = (await catalog.listBackups({ app: 'late-slots' })).map((b) => b.slot?.toISOString()).sort();
      expect(slots).toEqual(['2026-11-27T10:00:03.000Z', '2026-11-27T10:00:06.000Z']);
    });

    test('a scheduled slot is recorded once per target, however many instances fire it', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const slot = at('2026-11-27T03:00:00Z');
      const now = at('2026-11-27T03:00:01.500Z');
      const target = { app: 'scheduled', env: 'live', parts: 'db' };
      const first = await catalog.insertScheduledBackup(target, slot, now);
      expect(first).toMatchObject({ trigger: 'scheduled', requestedBy: 'schedule', status: 'queued', note: null });
      expect(first?.slot).toBeInstanceOf(Date);
      expect(first?.slot?.toISOString()).toBe('2026-11-27T03:00:00.000Z');
      expect(await catalog.insertScheduledBackup(target, slot, later(now, 1))).toBeUndefined();

      const nextSlot = at('2026-11-28T03:00:00Z');
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => catalog.insertScheduledBackup(target, nextSlot, later(nextSlot, 1))),
      );
      expect(racing.filter((b) => b !== undefined)).toHaveLength(1);

      // The same slot of another target is its own.
      expect(await catalog.insertScheduledBackup({ ...target, env: 'staging' }, slot, now)).toBeDefined();
      // Backups without a slot (on demand) are never refused as duplicates.
      await catalog.insertBackup(onDemand('scheduled'), now);
      await catalog.insertBackup(onDemand('scheduled'), now);

      const listed = await catalog.listBackups({ app: 'scheduled', env: 'live' });
      expect(listed.map((b) => b.trigger).sort()).toEqual(['on-demand', 'on-demand', 'scheduled', 'scheduled']);
      expect(
        listed
          .filter((b) => b.trigger === 'scheduled')
          .map((b) => b.slot?.toISOString())
          .sort(),
      ).toEqual(['2026-11-27T03:00:00.000Z', '2026-11-28T03:00:00.000Z']);
    });

    test('an imported backup is catalogued once, with its parts', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const backup = {
        id: 'imp111',
        app: 'imported',
        env: 'live',
        trigger: 'scheduled' as const,
        status: 'completed' as const,
        parts: 'db+media',
        note: null,
        requestedBy: 'schedule',
        createdAt: at('2026-10-01T03:00:00.250Z'),
        startedAt: at('2026-10-01T03:00:01Z'),
        completedAt: at('2026-10-01T03:04:00Z'),
        error: null,
        pinned: false,
        toolVersion: '0.1.0',
        codeVersion: '4f2c9e1 (release 2026.10)',
        verifiedAt: null,
        verifyError: null,
        provenAt: null,
        proofSeconds: null,
        proofError: null,
        slot: at('2026-10-01T03:00:00Z'),
        storedParts: [
          {
            ...dbPart,
            tablesWithoutRows: ['public.django_session', 'audit."Log entries"'],
            tableRows: { 'audit."Log entries"': 0, 'public.django_session': 0, 'public.orders': 9_007_199_254_740 },
          },
          mediaPart,
        ],
      };
      expect(await catalog.importBackup(backup)).toBe(true);
      expect(await catalog.importBackup({ ...backup, note: 'again' })).toBe(false);
      expect(await catalog.getBackup('imp111')).toEqual(backup);
    });

    test('a restore round-trips with its safety-backup flag and its progress', async () => {
      const catalog = new Catalog(state.db, () => newId(), 'test');
      const t0 = at('2026-11-27T15:00:00Z');
      const restore = await catalog.insertRestore(
        {
          backupId: 'bk0001',
          parts: 'db',
          destApp: 'shop',
          destEnv: 'staging',
          requestedBy: 'slack:U1',
          safetyBackup: true,
        },
        t0,
      );
      expect(restore).toMatchObject({ status: 'queued', safetyBackup: true, safetyBackupId: null, createdAt: t0 });
      await catalog.updateRestore(restore.id, { status: 'running', startedAt: later(t0, 1), safetyBackupId: 'safe01' });
      await catalog.updateRestore(restore.id, { status: 'succeeded', completedAt: later(t0, 30), error: null });
      const found = await catalog.getRestore(restore.id);
      expect(found).toEqual({
        ...restore,
        status: 'succeeded',
        safetyBackupId: 'safe01',
        startedAt: later(t0, 1),
        completedAt: later(t0, 30),
      });
      expect(found.startedAt).toBeInstanceOf(Date);

      const without = await catalog.insertRestore(
        { backupId: 'bk0001', parts: 'db', destApp: 'shop', destEnv: 'dev', requestedBy: null, safetyBackup: false },
        t0,
      );
      expect((await catalog.getRestore(without.id)).safetyBackup).toBe(false);
    });
  });

  describe('the event log', () => {
    test('events are appended and read oldest first, from after an id, of some types', async () => {
      await state.db.deleteFrom('events').execute();
      const log = new EventLog(state.db);
      const t0 = at('2026-11-27T16:00:00Z');
      // More than nine, so that ids compared as text (10 < 9) would show.
      for (let i = 1; i <= 12; i++) {
        expect(await log.record(i % 4 === 0 ? missed() : pruned(i), later(t0, i))).toBe(true);
      }
      const all = await log.list();
      expect(all).toHaveLength(12);
      const numbers = all.map((e) => Number(e.id));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(new Set(numbers).size).toBe(12);
      expect(all.map((e) => e.createdAt.toISOString())).toEqual(
        Array.from({ length: 12 }, (_, i) => later(t0, i + 1).toISOString()),
      );
      expect(all[0]).toEqual({
        id: all[0]!.id,
        type: 'retention.pruned',
        app: 'shop',
        env: 'live',
        subjectId: null,
        data: { deleted: [{ id: 'k1', reason: 'older than 30 days' }], kept: 1 },
        createdAt: later(t0, 1),
      });
      expect(typeof all[0]!.id).toBe('string');

      const afterEighth = await log.list({ afterId: all[7]!.id });
      expect(afterEighth.map((e) => e.id)).toEqual(all.slice(8).map((e) => e.id));
      const afterNinth = await log.list({ afterId: all[8]!.id });
      expect(afterNinth.map((e) => e.id)).toEqual(all.slice(9).map((e) => e.id));
      expect(await log.list({ afterId: all[11]!.id })).toEqual([]);

      const missedOnly = await log.list({ types: ['backup.missed'] });
      expect(missedOnly.map((e) => e.id)).toEqual([all[3]!.id, all[7]!.id, all[11]!.id]);
      expect((await log.list({ limit: 5 })).map((e) => e.id)).toEqual(all.slice(0, 5).map((e) => e.id));
      expect((await log.list({ types: ['backup.missed'], afterId: all[3]!.id, limit: 1 })).map((e) => e.id)).toEqual([
        all[7]!.id,
      ]);
    });

    test('an event with a dedupe key is recorded once, however many instances notice it', async () => {
      await state.db.deleteFrom('events').execute();
      const log = new EventLog(state.db);
      const now = at('2026-11-27T17:00:00Z');
      expect(await log.record(missed('missed:shop/live:2026-11-27'), now)).toBe(true);
      expect(await log.record(missed('missed:shop/live:2026-11-27'), later(now, 60))).toBe(false);
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => new EventLog(state.db).record(missed('missed:shop/live:2026-11-28'), now)),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
      // Events without a key are all recorded.
      expect(await log.record(pruned(1), now)).toBe(true);
      expect(await log.record(pruned(1), now)).toBe(true);
      const types = (await log.list()).map((e) => e.type);
      expect(types).toEqual(['backup.missed', 'backup.missed', 'retention.pruned', 'retention.pruned']);
      expect((await log.list())[0]!.createdAt).toEqual(now);
    });
  });

  describe('restore requests (approvals)', () => {
    const request = (now: Date, destApp = 'shop') => ({
      backupId: 'bk0001',
      parts: 'db',
      destApp,
      destEnv: 'live',
      safetyBackup: true,
      requestedBy: 'slack:U1',
      expiresAt: later(now, 600),
      postCards: false,
    });

    test('a request opens pending and is decided once: a second decision is refused', async () => {
      const clock = new ManualClock(at('2026-11-27T18:00:00Z'));
      const requests = new RestoreRequests(state.db, () => newId());
      const opened = await requests.insert(request(clock.now()), clock.now());
      expect(opened).toMatchObject({
        status: 'pending',
        safetyBackup: true,
        requestedBy: 'slack:U1',
        decidedBy: null,
        decidedAt: null,
        restoreId: null,
        cards: [],
        cardsShown: 'pending',
      });
      expect(opened.createdAt).toEqual(clock.now());
      expect(opened.expiresAt).toEqual(later(clock.now(), 600));
      expect(await requests.get(opened.id)).toEqual(opened);

      clock.advance(30);
      const approved = await requests.decide(
        opened.id,
        { status: 'approved', by: 'slack:U2', restoreId: 'rs0001' },
        clock.now(),
      );
      expect(approved).toMatchObject({ id: opened.id, status: 'approved', decidedBy: 'slack:U2', restoreId: 'rs0001' });
      expect(approved?.decidedAt).toBeInstanceOf(Date);
      expect(approved?.decidedAt).toEqual(clock.now());

      clock.advance(1);
      expect(await requests.decide(opened.id, { status: 'denied', by: 'slack:U3' }, clock.now())).toBeUndefined();
      expect(await requests.decide(opened.id, { status: 'withdrawn', by: 'slack:U1' }, clock.now())).toBeUndefined();
      expect(await requests.get(opened.id)).toMatchObject({ status: 'approved', decidedBy: 'slack:U2' });

      // Of many clicks at once, one decides.
      const contested = await requests.insert(request(clock.now()), clock.now());
      const decisions = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          new RestoreRequests(state.db, () => newId()).decide(
            contested.id,
            { status: i % 2 === 0 ? 'approved' : 'denied', by: `slack:U${i}` },
            clock.now(),
          ),
        ),
      );
      const winners = decisions.filter((d) => d !== undefined);
      expect(winners).toHaveLength(1);
      expect(await requests.get(contested.id)).toMatchObject({
        status: winners[0]!.status,
        decidedBy: winners[0]!.decidedBy,
      });
    });

    test('a request not decided in time expires, and is reported expired once', async () => {
      const clock = new ManualClock(at('2026-11-27T19:00:00Z'));
      const requests = new RestoreRequests(state.db, () => newId());
      const late = await requests.insert(request(clock.now(), 'expiring'), clock.now());
      clock.advance(600);
      expect(await requests.decide(late.id, { status: 'approved', by: 'slack:U2' }, clock.now())).toBeUndefined();
      expect(await requests.get(late.id)).toMatchObject({ status: 'expired', decidedBy: null, decidedAt: null });

      const swept = await requests.insert(request(clock.now(), 'expiring'), clock.now());
      const fresh = await requests.insert(request(later(clock.now(), 300), 'expiring'), clock.now());
      clock.advance(599);
      expect(await requests.expireDue(clock.now())).toEqual([]);
      clock.advance(1);
      const expired = await requests.expireDue(clock.now());
      expect(expired.map((r) => [r.id, r.status])).toEqual([[swept.id, 'expired']]);
      expect(await requests.expireDue(clock.now())).toEqual([]);
      expect((await requests.get(fresh.id)).status).toBe('pending');
      expect(await requests.decide(fresh.id, { status: 'denied', by: 'slack:U2' }, clock.now())).toMatchObject({
        status: 'denied',
      });
    });

    test('requests are listed newest first, into the given apps, by status, page after page', async () => {
      const requests = new RestoreRequests(state.db, () => newId());
      const t0 = at('2026-11-27T20:00:00Z');
      const opened = [];
      for (let i = 0; i < 5; i++) opened.push(await requests.insert(request(t0, 'listing'), later(t0, i)));
      await requests.insert(request(t0, 'listing-other'), later(t0, 10));
      await requests.decide(opened[1]!.id, { status: 'denied', by: 'slack:U2' }, later(t0, 20));

      const newestFirst = [...opened].reverse().map((r) => r.id);
      expect((await requests.list({ apps: ['listing'], limit: 10 })).map((r) => r.id)).toEqual(newestFirst);
      expect((await requests.list({ apps: ['listing'], status: 'denied', limit: 10 })).map((r) => r.id)).toEqual([
        opened[1]!.id,
      ]);
      const first = await requests.list({ apps: ['listing'], limit: 2 });
      const last = first[first.length - 1]!;
      const second = await requests.list({
        apps: ['listing'],
        limit: 2,
        after: { createdAt: last.createdAt, id: last.id },
      });
      expect([...first, ...second].map((r) => r.id)).toEqual(newestFirst.slice(0, 4));
      expect(await requests.list({ apps: [], limit: 10 })).toEqual([]);
    });
  });

  describe('API tokens', () => {
    test('a token is found by its secret, records when it was last used, and never verifies once revoked', async () => {
      const clock = new ManualClock(at('2026-11-27T21:00:00Z'));
      const created = clock.now();
      const { token, secret } = await createToken(
        state.db,
        { name: 'ci-deploy', role: 'operator', apps: ['shop', 'blog', 'shop'] },
        created,
      );
      expect(secret).toMatch(/^bst_[A-Za-z0-9_-]{43}$/);
      expect(token).toEqual({
        id: token.id,
        name: 'ci-deploy',
        role: 'operator',
        apps: ['shop', 'blog'],
        createdAt: created,
        lastUsedAt: null,
        revokedAt: null,
      });

      clock.advance(60);
      const verified = await verifyToken(state.db, secret, clock.now());
      expect(verified).toEqual({ ...token, lastUsedAt: clock.now() });
      expect(verified?.lastUsedAt).toBeInstanceOf(Date);
      clock.advance(60);
      expect((await verifyToken(state.db, secret, clock.now()))?.lastUsedAt).toEqual(clock.now());
      expect((await listTokens(state.db)).find((t) => t.id === token.id)?.lastUsedAt).toEqual(clock.now());

      // Unknown and malformed secrets answer alike.
      expect(await verifyToken(state.db, `bst_${'x'.repeat(43)}`, clock.now())).toBeUndefined();
      expect(await verifyToken(state.db, secret.slice(0, -1), clock.now())).toBeUndefined();

      await expect(
        createToken(state.db, { name: 'ci-deploy', role: 'viewer', apps: ['*'] }, clock.now()),
      ).rejects.toMatchObject({ code: 'token-name-taken' });

      clock.advance(60);
      const revokedAt = clock.now();
      expect(await revokeToken(state.db, token.id, revokedAt)).toMatchObject({ id: token.id, revokedAt });
      expect(await verifyToken(state.db, secret, later(revokedAt, 1))).toBeUndefined();
      // Revoked again later, it stays as it was.
      clock.advance(60);
      expect((await revokeToken(state.db, token.id, clock.now())).revokedAt).toEqual(revokedAt);

      // The name is free again once revoked.
      const again = await createToken(state.db, { name: 'ci-deploy', role: 'viewer', apps: ['*'] }, clock.now());
      expect(again.token).toMatchObject({ name: 'ci-deploy', role: 'viewer', apps: ['*'] });
      expect(again.token.id).not.toBe(token.id);
      expect((await verifyToken(state.db, again.secret, clock.now()))?.id).toBe(again.token.id);

      const listed = (await listTokens(state.db)).filter((t) => t.name === 'ci-deploy');
      expect(listed.map((t) => [t.id, t.revokedAt])).toEqual([
        [token.id, revokedAt],
        [again.token.id, null],
      ]);
      await expect(revokeToken(state.db, 'zzzzzzzz', clock.now())).rejects.toMatchObject({ code: 'token-not-found' });
    });
  });

  describe('the audit log', () => {
    test('entries are listed newest first, of one app, before an id, and by the id they mention', async () => {
      await state.db.deleteFrom('audit_log').execute();
      const audit = new AuditLog(state.db);
      const t0 = at('2026-11-27T22:00:00Z');
      const entries = [
        { principal: 'slack:U1', app: 'shop', action: 'restore 7k3qx2 to shop/live', outcome: 'ok', detail: 'r4x9ka' },
        { principal: 'slack:U2', app: 'shop', action: 'approve r4x9ka', outcome: 'ok', detail: 'restore rs7k3q' },
        { principal: 'cli:ana', app: 'blog', action: 'backup blog/live', outcome: 'failed', detail: 'pg_dump failed' },
        { principal: 'api:ci', app: null, action: 'token list', outcome: 'refused', detail: null },
        { principal: 'slack:U3', app: 'shop', action: 'deny r4x9ka', outcome: 'refused', detail: 'decided already' },
      ] as const;
      for (const [i, entry] of entries.entries()) await audit.record(entry, later(t0, i));

      const all = await audit.list();
      expect(all.map((e) => e.action)).toEqual(entries.map((e) => e.action).reverse());
      expect(all[0]).toEqual({ id: all[0]!.id, at: later(t0, 4), ...entries[4] });
      expect(all[0]!.at).toBeInstanceOf(Date);
      expect(all[1]).toMatchObject({ app: null, detail: null });

      expect((await audit.list({ app: 'shop' })).map((e) => e.principal)).toEqual(['slack:U3', 'slack:U2', 'slack:U1']);
      expect((await audit.list({ limit: 2 })).map((e) => e.principal)).toEqual(['slack:U3', 'api:ci']);
      expect((await audit.list({ beforeId: all[1]!.id })).map((e) => e.principal)).toEqual([
        'cli:ana',
        'slack:U2',
        'slack:U1',
      ]);
      expect((await audit.list({ app: 'shop', beforeId: all[0]!.id, limit: 1 })).map((e) => e.principal)).toEqual([
        'slack:U2',
      ]);
      // In what was asked or in what came of it.
      expect((await audit.list({ mentioning: 'r4x9ka' })).map((e) => e.principal)).toEqual([
        'slack:U3',
        'slack:U2',
        'slack:U1',
      ]);
      expect((await audit.list({ mentioning: '7k3qx2' })).map((e) => e.principal)).toEqual(['slack:U1']);
      expect((await audit.list({ mentioning: 'rs7k3q' })).map((e) => e.principal)).toEqual(['slack:U2']);
      expect(await audit.list({ mentioning: 'nothing9' })).toEqual([]);
      expect((await audit.list({ mentioning: 'r4x9ka', app: 'shop', limit: 1 })).map((e) => e.principal)).toEqual([
        'slack:U3',
      ]);
    });

    test('`mentioning` finds the id as Backstop writes it, not other text that differs from it only in case', async () => {
      await state.db.deleteFrom('audit_log').execute();
      const audit = new AuditLog(state.db);
      const t0 = at('2026-11-27T22:30:00Z');
      await audit.record(
        { principal: 'slack:U1', app: 'shop', action: 'approve r4x9ka', outcome: 'ok', detail: null },
        t0,
      );
      // Ids are lowercase: an upper-case one is not an id (Backstop answered "no such request").
      await audit.record(
        { principal: 'slack:U2', app: 'shop', action: 'approve R4X9KA', outcome: 'refused', detail: null },
        later(t0, 1),
      );
      expect((await audit.list({ mentioning: 'r4x9ka' })).map((e) => e.principal)).toEqual(['slack:U1']);
    });

    test('a NUL byte in what people sent is kept as U+FFFD, and the entry is not lost', async () => {
      const audit = new AuditLog(state.db);
      await audit.record(
        {
          principal: 'discord:1\u0000',
          app: 'sh\u0000op',
          action: 'approve \u0000',
          outcome: 'refused',
          detail: 'x\u0000',
        },
        at('2026-11-27T23:00:00Z'),
      );
      const [entry] = await audit.list({ limit: 1 });
      expect(entry).toMatchObject({
        principal: 'discord:1\uFFFD',
        app: 'sh\uFFFDop',
        action: 'approve \uFFFD',
        detail: 'x\uFFFD',
      });
    });
  });

  describe('fleet settings', () => {
    test('a setting settles on the first value written; set replaces it', async () => {
      const settings = new FleetSettings(state.db);
      const now = at('2026-11-28T00:00:00Z');
      expect(await settings.get('instance-key')).toBeUndefined();
      expect(await settings.settle('instance-key', 'first', now)).toBe('first');
      expect(await settings.settle('instance-key', 'second', now)).toBe('first');
      expect(await settings.get('instance-key')).toBe('first');
      await settings.set('instance-key', 'third', now);
      expect(await settings.get('instance-key')).toBe('third');
      await settings.set('fresh-name', '{"a":1}', now);
      expect(await settings.get('fresh-name')).toBe('{"a":1}');

      // Instances settling at once all get the one value that stands.
      const settled = await Promise.all(
        Array.from({ length: 10 }, (_, i) => new FleetSettings(state.db).settle('raced', `value-${i}`, now)),
      );
      expect(new Set(settled).size).toBe(1);
      expect(await settings.get('raced')).toBe(settled[0]);
    });

    test('concurrent updates lose no change, and a refused update changes nothing', async () => {
      const now = at('2026-11-28T00:10:00Z');
      const increment = (value: string | undefined) => {
        const next = Number(value ?? '0') + 1;
        return { value: String(next), result: next };
      };
      const results = await Promise.all(
        Array.from({ length: 20 }, () => new FleetSettings(state.db).update('counter', now, increment)),
      );
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const settings = new FleetSettings(state.db);
      expect(await settings.get('counter')).toBe('20');

      const refuse = () => {
        throw new Error('refused');
      };
      await expect(settings.update('counter', now, refuse)).rejects.toThrow('refused');
      expect(await settings.get('counter')).toBe('20');
      // Refused on a name never written, it leaves no row behind.
      await expect(settings.update('never-written', now, refuse)).rejects.toThrow('refused');
      expect(await settings.get('never-written')).toBeUndefined();
      expect(await settings.update('never-written', now, (value) => ({ value: 'x', result: value }))).toBeUndefined();
      expect(await settings.get('never-written')).toBe('x');
    });
  });

  describe('webhook deliveries', () => {
    test('one delivery per endpoint and event, and one digest per endpoint and day', async () => {
      const log = new EventLog(state.db);
      const now = at('2026-11-28T01:00:00Z');
      await log.record(pruned(7, 'webhook-contract-event'), now);
      const [event] = await log.list({ types: ['retention.pruned'], limit: 1000 }).then((all) => all.slice(-1));
      const eventId = event!.id;
      const deliveries = new WebhookDeliveries(state.db);

      const ops = await deliveries.insertForEvent('ops', eventId, now);
      expect(ops).toMatch(/^wh[a-z0-9]{10}$/);
      expect(await deliveries.insertForEvent('ops', eventId, later(now, 1))).toBeUndefined();
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => new WebhookDeliveries(state.db).insertForEvent('audit', eventId, now)),
      );
      expect(racing.filter((id) => id !== undefined)).toHaveLength(1);

      expect(await deliveries.find(ops!)).toEqual({
        id: ops,
        endpoint: 'ops',
        eventId,
        digestDay: null,
        status: 'pending',
        createdAt: now,
        deliveredAt: null,
        error: null,
      });
      const ofEvent = await deliveries.list({ eventId });
      expect(ofEvent.map((d) => d.endpoint).sort()).toEqual(['audit', 'ops']);
      expect(ofEvent.every((d) => d.eventId === eventId)).toBe(true);

      const digest = await deliveries.insertDigest('ops', '2026-11-27', later(now, 1));
      expect(digest).toBeDefined();
      expect(await deliveries.insertDigest('ops', '2026-11-27', later(now, 2))).toBeUndefined();
      expect(await deliveries.insertDigest('audit', '2026-11-27', later(now, 2))).toBeDefined();
      expect(await deliveries.insertDigest('ops', '2026-11-28', later(now, 3))).toBeDefined();
      expect(await deliveries.find(digest!)).toMatchObject({ eventId: null, digestDay: '2026-11-27' });
      // Oldest first.
      expect((await deliveries.list({ endpoint: 'ops' })).map((d) => d.digestDay)).toEqual([
        null,
        '2026-11-27',
        '2026-11-28',
      ]);
    });

    test('attempts are numbered 1, 2, 3 per delivery, and a delivered one stays delivered', async () => {
      const deliveries = new WebhookDeliveries(state.db);
      const t0 = at('2026-11-28T02:00:00Z');
      const id = (await deliveries.insertDigest('numbered', '2026-11-27', t0))!;
      const other = (await deliveries.insertDigest('numbered', '2026-11-26', t0))!;

      expect(
        await deliveries.recordAttempt({
          deliveryId: id,
          at: later(t0, 1),
          durationMs: 120.4,
          statusCode: 500,
          error: 'HTTP 500',
        }),
      ).toBe(1);
      await deliveries.notePending(id, 'HTTP 500');
      expect(await deliveries.find(id)).toMatchObject({ status: 'pending', error: 'HTTP 500' });
      expect(
        await deliveries.recordAttempt({
          deliveryId: id,
          at: later(t0, 31),
          durationMs: 10_000,
          statusCode: null,
          error: 'timed out',
        }),
      ).toBe(2);
      expect(
        await deliveries.recordAttempt({
          deliveryId: other,
          at: later(t0, 32),
          durationMs: 5,
          statusCode: 200,
          error: null,
        }),
      ).toBe(1);
      expect(
        await deliveries.recordAttempt({
          deliveryId: id,
          at: later(t0, 91),
          durationMs: 80,
          statusCode: 200,
          error: null,
        }),
      ).toBe(3);

      expect(await deliveries.attempts(id)).toEqual([
        { deliveryId: id, attempt: 1, at: later(t0, 1), durationMs: 120, statusCode: 500, error: 'HTTP 500' },
        { deliveryId: id, attempt: 2, at: later(t0, 31), durationMs: 10_000, statusCode: null, error: 'timed out' },
        { deliveryId: id, attempt: 3, at: later(t0, 91), durationMs: 80, statusCode: 200, error: null },
      ]);
      expect((await deliveries.attempts(id))[0]!.at).toBeInstanceOf(Date);

      await deliveries.markDelivered(id, later(t0, 92));
      expect(await deliveries.find(id)).toMatchObject({ status: 'delivered', deliveredAt: later(t0, 92), error: null });
      await deliveries.markFailed(id, 'gave up');
      await deliveries.notePending(id, 'HTTP 502');
      expect(await deliveries.find(id)).toMatchObject({ status: 'delivered', error: null });

      await deliveries.markFailed(other, 'gave up after 8 attempts');
      await deliveries.notePending(other, 'HTTP 502');
      expect(await deliveries.find(other)).toMatchObject({
        status: 'failed',
        error: 'gave up after 8 attempts',
        deliveredAt: null,
      });
    });

    test("a new cursor starts at the newest event and reads what comes after it, and a day's events", async () => {
      const log = new EventLog(state.db);
      const t0 = at('2026-11-29T23:59:59.999Z');
      await log.record(pruned(1), t0);
      const start = await state.db
        .transaction()
        .execute((trx) => new WebhookDeliveries(trx).lockCursor('contract-cursor'));
      const [newest] = (await log.list({ limit: 1000 })).slice(-1);
      expect(start).toBe(newest!.id);

      await log.record(pruned(2), later(t0, 0.001));
      await log.record(missed(), later(t0, 1));
      const deliveries = new WebhookDeliveries(state.db);
      const unread = await deliveries.eventsAfter(start, 10);
      expect(unread.map((e) => e.type)).toEqual(['retention.pruned', 'backup.missed']);
      expect(await deliveries.eventsAfter(start, 1)).toHaveLength(1);
      await deliveries.advanceCursor('contract-cursor', unread[1]!.id);
      expect(
        await state.db.transaction().execute((trx) => new WebhookDeliveries(trx).lockCursor('contract-cursor')),
      ).toBe(unread[1]!.id);
      expect(await deliveries.event(unread[0]!.id)).toEqual(unread[0]);

      // The day is UTC: the event a millisecond before midnight is the 29th's, the others the 30th's.
      const ofThe29th = await deliveries.eventsOfDay('2026-11-29', ['retention.pruned', 'backup.missed']);
      expect(ofThe29th.map((e) => e.id)).toEqual([newest!.id]);
      const ofThe30th = await deliveries.eventsOfDay('2026-11-30', ['retention.pruned', 'backup.missed']);
      expect(ofThe30th.map((e) => e.id)).toEqual(unread.map((e) => e.id));
      expect((await deliveries.eventsOfDay('2026-11-30', ['backup.missed'])).map((e) => e.id)).toEqual([unread[1]!.id]);
    });
  });

  describe('the download book', () => {
    test('a download is recorded, made ready with its files, and listed once its links expire', async () => {
      const book = new DownloadBook(state.db, () => newId());
      const clock = new ManualClock(at('2026-11-28T03:00:00Z'));
      const created = await book.insert(
        { backupId: 'bk0001', parts: 'db+media', requestedBy: 'slack:U1', email: 'ana@example.com' },
        clock.now(),
      );
      expect(created).toEqual({
        id: created.id,
        backupId: 'bk0001',
        parts: 'db+media',
        status: 'queued',
        requestedBy: 'slack:U1',
        email: 'ana@example.com',
        createdAt: clock.now(),
        readyAt: null,
        expiresAt: null,
        error: null,
        files: [],
      });

      await book.update(created.id, { status: 'running' });
      expect((await book.get(created.id)).status).toBe('running');
      clock.advance(60);
      const readyAt = clock.now();
      const expiresAt = later(readyAt, 3600);
      const files = [
        {
          kind: 'db' as const,
          key: `downloads/${created.id}/db.dump`,
          filename: 'db.dump',
          url: 'https://s3/x',
          sizeBytes: 5_000_000_000_000,
        },
      ];
      await book.update(created.id, { status: 'ready', readyAt, expiresAt, files });
      const ready = await book.get(created.id);
      expect(ready).toEqual({ ...created, status: 'ready', readyAt, expiresAt, files });
      expect(ready.expiresAt).toBeInstanceOf(Date);

      const failed = await book.insert(
        { backupId: 'bk0002', parts: 'db', requestedBy: null, email: null },
        clock.now(),
      );
      await book.update(failed.id, { status: 'failed', error: 'no such object', expiresAt: readyAt });
      expect(await book.get(failed.id)).toMatchObject({ status: 'failed', error: 'no such object' });
      await book.update(failed.id, { error: null });
      expect((await book.get(failed.id)).error).toBeNull();

      const expiredIds = async (now: Date) =>
        (await book.listExpired(now)).map((d) => d.id).filter((id) => [created.id, failed.id].includes(id));
      expect(await expiredIds(later(expiresAt, -1))).toEqual([]);
      expect(await expiredIds(expiresAt)).toEqual([created.id]);
      await book.update(created.id, { status: 'expired' });
      expect(await expiredIds(later(expiresAt, 60))).toEqual([]);

      expect(await book.find('zzzzzz')).toBeUndefined();
      await expect(book.get('zzzzzz')).rejects.toMatchObject({ code: 'download-not-found' });
    });
  });

  describe('web sessions and sign-in links', () => {
    const ana = { principal: 'web:ana@example.com', also: ['web:group:ops'], name: 'Ana', configHolder: false };

    test('a session is found by its secret until it expires', async () => {
      const clock = new ManualClock(at('2026-11-28T04:00:00Z'));
      const sessions = new WebSessions(state.db, clock.now);
      const { secret, session } = await sessions.open(ana, 3600);
      expect(session).toEqual({
        principal: { kind: 'web', id: 'web:ana@example.com', also: ['web:group:ops'] },
        name: 'Ana',
        csrf: session.csrf,
        expiresAt: later(clock.now(), 3600),
      });
      expect(session.csrf.length).toBeGreaterThanOrEqual(32);
      expect(await sessions.find(secret)).toEqual(session);
      // Found on another instance sharing the state.
      expect(await new WebSessions(state.db, clock.now).find(secret)).toEqual(session);
      expect(await sessions.find('not-a-secret')).toBeUndefined();
      expect(await sessions.find(`${secret}x`)).toBeUndefined();

      const holder = await sessions.open(
        { principal: 'web:config-holder', also: [], name: 'config holder', configHolder: true },
        60,
      );
      const found = await sessions.find(holder.secret);
      expect(found?.principal).toEqual({ kind: 'web', id: 'web:config-holder', also: [], configHolder: true });
      expect(found?.principal.configHolder).toBe(true);

      clock.advance(3599);
      expect(await sessions.find(secret)).toEqual(session);
      expect(await sessions.find(holder.secret)).toBeUndefined();
      clock.advance(1);
      expect(await sessions.find(secret)).toBeUndefined();
    });

    test('a session that ends is found no more; ending it again, or an unknown one, does nothing', async () => {
      const clock = new ManualClock(at('2026-11-28T05:00:00Z'));
      const sessions = new WebSessions(state.db, clock.now);
      const ending = await sessions.open(ana, 3600);
      const staying = await sessions.open(ana, 3600);
      expect(ending.secret).not.toBe(staying.secret);
      clock.advance(10);
      await sessions.end(ending.secret);
      expect(await sessions.find(ending.secret)).toBeUndefined();
      expect(await sessions.find(staying.secret)).toEqual(staying.session);
      await expect(sessions.end(ending.secret)).resolves.toBeUndefined();
      await expect(sessions.end('never-opened')).resolves.toBeUndefined();
      expect(await sessions.find(ending.secret)).toBeUndefined();
      expect(await sessions.find(staying.secret)).toEqual(staying.session);
    });

    test('a sign-in link is redeemed once, by one of any number of racing requests, and not after it expires', async () => {
      const clock = new ManualClock(at('2026-11-28T06:00:00Z'));
      const sessions = new WebSessions(state.db, clock.now);
      const link = await sessions.createSignInLink(600);
      expect(link.expiresAt).toEqual(later(clock.now(), 600));
      expect(link.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      clock.advance(599);
      expect(await sessions.redeemSignInLink(link.secret)).toBe(true);
      expect(await sessions.redeemSignInLink(link.secret)).toBe(false);

      const raced = await sessions.createSignInLink(600);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => new WebSessions(state.db, clock.now).redeemSignInLink(raced.secret)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);

      const late = await sessions.createSignInLink(600);
      clock.advance(600);
      expect(await sessions.redeemSignInLink(late.secret)).toBe(false);
      expect(await sessions.redeemSignInLink('never-made')).toBe(false);
    });
  });

  describe('OpenID sign-in attempts', () => {
    test('an attempt is taken once, by its state, and not after it expires', async () => {
      const clock = new ManualClock(at('2026-11-28T07:00:00Z'));
      const attempts = new SignInAttempts(state.db, clock.now);
      const attempt = { state: 'state-1', nonce: 'nonce-1', verifier: 'verifier-1', redirectUri: 'https://b/cb' };
      await attempts.start(attempt, 600);
      await attempts.start({ ...attempt, state: 'state-2', nonce: 'nonce-2' }, 600);
      expect(await attempts.take('state-unknown')).toBeUndefined();
      clock.advance(599);
      // Taken on another instance (the provider sent the person there).
      expect(await new SignInAttempts(state.db, clock.now).take('state-1')).toEqual(attempt);
      expect(await attempts.take('state-1')).toBeUndefined();

      const racing = await Promise.all(
        Array.from({ length: 10 }, () => new SignInAttempts(state.db, clock.now).take('state-2')),
      );
      expect(racing.filter((a) => a !== undefined)).toEqual([{ ...attempt, state: 'state-2', nonce: 'nonce-2' }]);

      await attempts.start({ ...attempt, state: 'state-3' }, 600);
      clock.advance(600);
      expect(await attempts.take('state-3')).toBeUndefined();
      // A new start sweeps the expired ones; the state of one can be started again.
      await attempts.start({ ...attempt, state: 'state-3', nonce: 'nonce-3' }, 600);
      expect(await attempts.take('state-3')).toEqual({ ...attempt, state: 'state-3', nonce: 'nonce-3' });
    });
  });
});
