import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newId } from '../../src/domain/new-id.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { revokeToken } from '../../src/state/api-tokens.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { DeliveredChatRequests } from '../../src/state/delivered-chat-requests.ts';
import { DownloadBook } from '../../src/state/download-book.ts';
import { IdempotencyKeys } from '../../src/state/idempotency-keys.ts';
import { RestoreRequests } from '../../src/state/restore-requests.ts';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { WebhookDeliveries } from '../../src/state/webhook-deliveries.ts';
import { bothStates } from '../support/both-states.ts';
import { ManualClock } from '../support/manual-clock.ts';

const newBackup = (id: string) => ({
  id,
  app: 'shop',
  env: 'live',
  trigger: 'on-demand' as const,
  status: 'queued' as const,
  parts: 'db',
  note: null,
  requested_by: null,
  created_at: new Date('2026-11-27T10:00:00Z'),
  started_at: null,
  completed_at: null,
  error: null,
  tool_version: 'test',
  verified_at: null,
  verify_error: null,
});

const dialects = bothStates('state');

describe.each(dialects)('state on %s', (_name, open) => {
  let state: State;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ state, cleanup } = await open());
  });
  afterAll(async () => {
    await state.close();
    await cleanup();
  });

  test('migrations apply once and then report nothing new', async () => {
    const applied = await migrateToLatest(state.db);
    if (_name === 'embedded SQLite')
      expect(applied).toEqual([
        '0010-embedded-schema',
        '0011-lease-generation',
        '0012-runnable-operations',
        '0013-what-a-backup-holds',
        '0014-restore-drills',
      ]);
    else
      expect(applied).toEqual([
        '0001-backups-and-restores',
        '0002-operations-schedules-events',
        '0003-downloads-deliveries-tokens',
        '0004-audit-and-approvals',
        '0005-cancelled-status',
        '0006-fleet-settings',
        '0007-delivered-chat-requests',
        '0008-idempotency-keys',
        '0009-restore-request-cards',
        '0010-web-sessions',
        '0011-lease-generation',
        '0012-runnable-operations',
        '0013-what-a-backup-holds',
        '0014-restore-drills',
      ]);
    expect(await migrateToLatest(state.db)).toEqual([]);
  });

  test('rows round-trip with timestamps and defaults', async () => {
    await state.db.insertInto('backups').values(newBackup('aaaaaa')).execute();
    const row = await state.db.selectFrom('backups').selectAll().where('id', '=', 'aaaaaa').executeTakeFirstOrThrow();
    expect(row.created_at.toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(row.pinned).toBe(false);
  });

  test('updates report the rows they changed', async () => {
    const result = await state.db
      .updateTable('backups')
      .set({ status: 'running' })
      .where('id', '=', 'aaaaaa')
      .executeTakeFirst();
    expect(Number(result.numUpdatedRows)).toBe(1);
  });

  test('a rolled-back transaction does not undo or absorb a concurrent committed one', async () => {
    const failing = state.db.transaction().execute(async (trx) => {
      await trx.insertInto('backups').values(newBackup('rolled')).execute();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('roll back');
    });
    const succeeding = state.db.transaction().execute(async (trx) => {
      await trx.insertInto('backups').values(newBackup('commit')).execute();
    });
    await expect(failing).rejects.toThrow('roll back');
    await succeeding;
    const ids = await state.db.selectFrom('backups').select('id').where('id', 'in', ['rolled', 'commit']).execute();
    expect(ids.map((r) => r.id)).toEqual(['commit']);
  });

  test('a delivered chat request is recorded once: the first recording of any of its keys wins', async () => {
    await migrateToLatest(state.db);
    let now = new Date('2026-11-27T10:00:00Z');
    const record = new DeliveredChatRequests(state.db, () => now);
    const expiresAt = new Date('2026-11-27T10:10:00Z');
    expect(await record.recordDelivery(['slack-signature:v0=aa', 'slack-trigger:t1'], expiresAt)).toBe('first');
    // The same request again, or Slack's retry of it (a new signature, the same trigger): replays.
    expect(await record.recordDelivery(['slack-signature:v0=aa', 'slack-trigger:t1'], expiresAt)).toBe('replay');
    expect(await record.recordDelivery(['slack-trigger:t1', 'slack-signature:v0=bb'], expiresAt)).toBe('replay');
    expect(await record.recordDelivery(['slack-signature:v0=cc', 'slack-trigger:t2'], expiresAt)).toBe('first');

    // The sweep, at most once a minute, deletes what expired.
    const keys = async () =>
      (await state.db.selectFrom('delivered_chat_requests').select('key').orderBy('key').execute()).map((r) => r.key);
    now = new Date('2026-11-27T10:10:00Z');
    expect(await record.recordDelivery(['slack-signature:v0=aa'], new Date('2026-11-27T10:20:00Z'))).toBe('first');
    expect(await keys()).toEqual(['slack-signature:v0=aa']);
    // An expired record that the sweep has not deleted yet is no reason to refuse: it is taken over.
    expect(await record.recordDelivery(['discord-interaction:7'], new Date('2026-11-27T10:10:20Z'))).toBe('first');
    now = new Date('2026-11-27T10:10:30Z');
    expect(await record.recordDelivery(['discord-interaction:7'], new Date('2026-11-27T10:20:30Z'))).toBe('first');
    expect(await keys()).toEqual(['discord-interaction:7', 'slack-signature:v0=aa']);
    expect(await record.recordDelivery(['discord-interaction:7'], new Date('2026-11-27T10:20:30Z'))).toBe('replay');
  });

  test('of instances recording the same request at once, exactly one gets first', async () => {
    await migrateToLatest(state.db);
    // Separate books, as on separate instances; on PostgreSQL each statement runs on its own pooled connection.
    const books = Array.from({ length: 20 }, () => new DeliveredChatRequests(state.db));
    const expiresAt = new Date(Date.now() + 600_000);
    const answers = await Promise.all(
      books.map((book, i) => book.recordDelivery([`discord-signature:${i % 2}`, 'discord-interaction:42'], expiresAt)),
    );
    expect(answers.filter((answer) => answer === 'first')).toEqual(['first']);
  });

  test('an idempotency key is claimed once, answers its retries for a day and is freed by a release', async () => {
    await migrateToLatest(state.db);
    const clock = new ManualClock(new Date('2026-12-05T10:00:00Z'));
    const keys = new IdempotencyKeys(state.db, clock.now);
    const answer = { status: 202, location: '/api/v1/operations/op1', body: '{"id":"b1"}' };
    expect(await keys.claim('api:ci', 'k1', 'print-a')).toEqual({ kind: 'first' });
    expect(await keys.claim('api:ci', 'k1', 'print-a')).toEqual({ kind: 'in-progress' });
    expect(await keys.claim('api:ci', 'k1', 'print-b')).toEqual({ kind: 'other-request' });
    // Keys belong to their principal: another may use the same one.
    expect(await keys.claim('api:other', 'k1', 'print-b')).toEqual({ kind: 'first' });
    await keys.answer('api:ci', 'k1', 'print-a', answer);
    expect(await keys.claim('api:ci', 'k1', 'print-a')).toEqual({ kind: 'answered', ...answer });
    expect(await keys.claim('api:ci', 'k1', 'print-b')).toEqual({ kind: 'other-request' });
    // A claim whose request never answered (its process died) frees the key after a minute.
    clock.advance(61);
    expect(await keys.claim('api:other', 'k1', 'print-c')).toEqual({ kind: 'first' });
    // A released key is free at once, for the same request or another.
    await keys.release('api:other', 'k1', 'print-c');
    expect(await keys.claim('api:other', 'k1', 'print-d')).toEqual({ kind: 'first' });
    // Answers are kept a day.
    clock.advance(24 * 3600 - 120);
    expect(await keys.claim('api:ci', 'k1', 'print-a')).toMatchObject({ kind: 'answered' });
    clock.advance(120);
    expect(await keys.claim('api:ci', 'k1', 'print-b')).toEqual({ kind: 'first' });
  });

  test('of instances claiming the same idempotency key at once, exactly one gets first', async () => {
    await migrateToLatest(state.db);
    const instances = Array.from({ length: 20 }, () => new IdempotencyKeys(state.db));
    const claims = await Promise.all(instances.map((keys) => keys.claim('api:ci', 'same-key', 'print')));
    expect(claims.filter((claim) => claim.kind === 'first')).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === 'in-progress')).toHaveLength(19);
  });

  test("a restore request's cards are posted by one instance and each change of state shown once", async () => {
    await migrateToLatest(state.db);
    const requests = new RestoreRequests(state.db, () => newId());
    await state.db.insertInto('backups').values(newBackup('cardbk')).execute();
    const now = new Date();
    const open = (postCards: boolean) =>
      requests.insert(
        {
          backupId: 'cardbk',
          parts: 'db',
          destApp: 'shop',
          destEnv: 'live',
          safetyBackup: true,
          requestedBy: 'api:ci',
          expiresAt: new Date(now.getTime() + 600_000),
          postCards,
        },
        now,
      );
    const fromApi = await open(true);
    const fromChat = await open(false);
    const claims = await Promise.all([requests.claimCardPosting(), requests.claimCardPosting()]);
    expect(claims.flat().map((r) => r.id)).toEqual([fromApi.id]);
    await requests.addCard(fromApi.id, 'C1:1.1');
    await requests.addCard(fromChat.id, 'C1:1.2');
    expect(await requests.withCardsBehind()).toEqual([]);

    await requests.decide(fromApi.id, { status: 'withdrawn', by: 'api:ci' }, now);
    const behind = await requests.withCardsBehind();
    expect(behind.map((r) => [r.id, r.status, r.cardsShown])).toEqual([[fromApi.id, 'withdrawn', 'pending']]);
    const shown = await Promise.all([
      requests.claimCardsShown(fromApi.id, 'pending', 'withdrawn'),
      requests.claimCardsShown(fromApi.id, 'pending', 'withdrawn'),
    ]);
    expect(shown.sort()).toEqual([false, true]);
    expect(await requests.withCardsBehind()).toEqual([]);
  });

  test('lookups by text that cannot be an id find nothing, without the database failing on it', async () => {
    await migrateToLatest(state.db);
    const catalog = new Catalog(state.db, () => newId(), 'test');
    const operations = new OperationQueue(state.db, () => newId());
    const downloads = new DownloadBook(state.db, () => newId());
    const requests = new RestoreRequests(state.db, () => newId());
    const deliveries = new WebhookDeliveries(state.db);
    const now = new Date();
    // A NUL byte is what PostgreSQL text cannot hold; the others are merely not ids (Backstop makes none like them).
    for (const id of ['\u0000', '7k3qx2\u0000', 'ABCDEF', 'z'.repeat(10_000), '\uD800']) {
      expect(await catalog.findBackup(id)).toBeUndefined();
      expect(await operations.find(id)).toBeUndefined();
      expect(await operations.findBySubject('backup', id)).toBeUndefined();
      expect(await downloads.find(id)).toBeUndefined();
      expect(await deliveries.find(id)).toBeUndefined();
      expect(await requests.decide(id, { status: 'denied', by: 'slack:U1' }, now)).toBeUndefined();
      for (const [lookup, code] of [
        [() => catalog.getBackup(id), 'backup-not-found'],
        [() => catalog.getRestore(id), 'restore-not-found'],
        [() => operations.get(id), 'operation-not-found'],
        [() => operations.requestCancel(id, 'cli:ana', now), 'operation-not-found'],
        [() => downloads.get(id), 'download-not-found'],
        [() => requests.get(id), 'request-not-found'],
        [() => revokeToken(state.db, id, now), 'token-not-found'],
      ] as const) {
        await expect(lookup()).rejects.toMatchObject({
          code,
          userMessage: expect.stringContaining('Backstop ids are'),
        });
        // The message quotes the text escaped and cut short (printable ASCII here): no NUL byte or megabyte reaches
        // a log or a channel.
        await expect(lookup()).rejects.toMatchObject({ userMessage: expect.stringMatching(/^[ -~]{1,300}$/) });
      }
    }
  });
});

test('a second opening of the same embedded state is refused with the holder named', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-state-'));
  const first = await openState({ databaseUrl: undefined, dataDir });
  await expect(openState({ databaseUrl: undefined, dataDir })).rejects.toMatchObject({
    code: 'state-locked',
    message: expect.stringContaining(`process ${process.pid}`),
  });
  await first.close();
  const again = await openState({ databaseUrl: undefined, dataDir });
  await again.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('an embedded state of an earlier Backstop (PGlite) is refused with the way back, and left as it was', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-state-'));
  await mkdir(join(dataDir, 'state'));
  await writeFile(join(dataDir, 'state', 'PG_VERSION'), '17\n');
  await expect(openState({ databaseUrl: undefined, dataDir })).rejects.toMatchObject({
    code: 'state-format',
    userMessage: expect.stringMatching(/earlier Backstop \(PGlite\).*mv .*state\.pglite.*backstop catalog rebuild/s),
  });
  expect((await readdir(dataDir)).sort()).toEqual(['state']);
  await rm(dataDir, { recursive: true, force: true });
});

test('the embedded state is one SQLite file, committed durably through a write-ahead log', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-state-'));
  const state = await openState({ databaseUrl: undefined, dataDir });
  await migrateToLatest(state.db);
  const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(state.db);
  const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(state.db);
  const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(state.db);
  expect([journal.rows[0]?.journal_mode, synchronous.rows[0]?.synchronous, foreignKeys.rows[0]?.foreign_keys]).toEqual([
    'wal',
    2, // FULL: the log is synced at every commit
    1,
  ]);
  await state.close();
  expect((await readdir(dataDir)).filter((name) => !name.endsWith('-wal') && !name.endsWith('-shm'))).toEqual([
    'state.sqlite',
  ]);
  await rm(dataDir, { recursive: true, force: true });
});

test('a command that only reads leaves nothing behind where no state is', async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'backstop-state-')), 'data');
  const state = await openState({ databaseUrl: undefined, dataDir, whenAbsent: 'empty' });
  await migrateToLatest(state.db);
  expect(state.inMemory).toBe(true);
  expect(await new Catalog(state.db, () => newId(), 'test').listBackups({ app: 'shop', env: 'live' })).toEqual([]);
  await state.close();
  await expect(readdir(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
});

describe('a PostgreSQL state that cannot be migrated says why', () => {
  const migrating = async (databaseUrl: string) => {
    const state = await openState({ databaseUrl, dataDir: '/nonexistent' });
    try {
      return await migrateToLatest(state.db);
    } finally {
      await state.close();
    }
  };

  test('a database not created yet: named, with what to do', async () => {
    await expect(migrating('postgres://postgres@127.0.0.1:5432/backstop_never_created')).rejects.toMatchObject({
      code: 'migration-failed',
      userMessage: expect.stringMatching(
        /state database does not exist \(database "backstop_never_created" does not exist\): create it, or correct the database: setting/,
      ),
    });
  });

  test('nothing listening there: the address, and what to check', async () => {
    await expect(migrating('postgres://postgres@127.0.0.1:1/backstop')).rejects.toMatchObject({
      code: 'migration-failed',
      userMessage: expect.stringMatching(
        /could not reach its state database \(.*ECONNREFUSED 127\.0\.0\.1:1.*\): check/,
      ),
    });
  });
});
