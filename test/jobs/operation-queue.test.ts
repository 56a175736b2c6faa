import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { newId } from '../../src/domain/new-id.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { migrateToLatest, type State } from '../../src/state/state.ts';
import { isUniqueViolation } from '../../src/state/state-dialect.ts';
import type { StateTables } from '../../src/state/tables.ts';
import { bothStates } from '../support/both-states.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';

const LEASE = 30_000;

const dialects = bothStates('queue');

describe.each(dialects)('OperationQueue on %s', (_name, open) => {
  let state: State;
  let cleanup: () => Promise<void>;
  let queue: OperationQueue;
  const clock = new ManualClock(new Date('2026-11-27T10:00:00Z'));

  beforeAll(async () => {
    ({ state, cleanup } = await open());
    await migrateToLatest(state.db);
    queue = new OperationQueue(state.db, () => newId());
  });
  afterAll(async () => {
    await state.close();
    await cleanup();
  });
  beforeEach(async () => {
    await state.db.deleteFrom('operations').execute();
  });

  const enqueue = (subjectId: string, target: string | null = 'shop/live', maxAttempts?: number) =>
    queue.enqueue(
      {
        kind: 'backup',
        subjectId,
        target,
        requestedBy: 'cli:ana',
        ...(maxAttempts !== undefined && { maxAttempts }),
      },
      clock.now(),
    );

  test('operations of one target run one at a time, in the order queued; other targets run beside them', async () => {
    const first = await enqueue('b1', 'shop/live');
    const second = await enqueue('b2', 'shop/live');
    const other = await enqueue('b3', 'shop/staging');

    const a = await queue.claim('w1', LEASE, clock.now());
    expect(a?.operation.id).toBe(first.id);
    expect(a?.operation).toMatchObject({ status: 'running', attempts: 1, leaseOwner: 'w1' });
    const b = await queue.claim('w2', LEASE, clock.now());
    expect(b?.operation.id).toBe(other.id);
    expect(await queue.claim('w3', LEASE, clock.now())).toBeUndefined();

    expect(await queue.finish(first.id, 'w1', { status: 'succeeded' }, clock.now())).toBe(true);
    const c = await queue.claim('w3', LEASE, clock.now());
    expect(c?.operation.id).toBe(second.id);
  });

  test('work without a target is not held back by anything', async () => {
    await enqueue('b1', 'shop/live');
    await queue.claim('w1', LEASE, clock.now());
    const free1 = await enqueue('d1', null);
    const free2 = await enqueue('d2', null);
    expect((await queue.claim('w2', LEASE, clock.now()))?.operation.id).toBe(free1.id);
    expect((await queue.claim('w3', LEASE, clock.now()))?.operation.id).toBe(free2.id);
  });

  test('many concurrent claims never hand one operation to two workers', async () => {
    const ids = [];
    for (let i = 0; i < 30; i++) ids.push((await enqueue(`b${i}`, null)).id);
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => queue.claim(`w${i}`, LEASE, clock.now())));
    const claimed = claims.filter((c) => c !== undefined).map((c) => c.operation.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBeLessThanOrEqual(30);
    // Whatever was skipped while locked is claimed by later calls; all 30 run exactly once.
    for (;;) {
      const next = await queue.claim('late', LEASE, clock.now());
      if (!next) break;
      claimed.push(next.operation.id);
    }
    expect(claimed.sort()).toEqual([...ids].sort());
  });

  test('a heartbeat renews the lease; an expired lease is claimed again, counting the attempt', async () => {
    const op = await enqueue('b1');
    await queue.claim('w1', LEASE, clock.now());
    clock.advance(20);
    expect(await queue.heartbeat(op.id, 'w1', LEASE, clock.now())).toEqual({ held: true, cancelRequestedBy: null });
    clock.advance(20); // 40 s after the claim, 20 s after the heartbeat: still held
    expect(await queue.claim('w2', LEASE, clock.now())).toBeUndefined();
    clock.advance(11);
    const taken = await queue.claim('w2', LEASE, clock.now());
    expect(taken?.operation).toMatchObject({ id: op.id, attempts: 2, leaseOwner: 'w2' });
    expect(taken?.exhausted).toBe(false);
    // The first worker has lost it: its heartbeat and its outcome change nothing.
    expect((await queue.heartbeat(op.id, 'w1', LEASE, clock.now())).held).toBe(false);
    expect(await queue.finish(op.id, 'w1', { status: 'failed', error: 'late' }, clock.now())).toBe(false);
    expect((await queue.get(op.id)).status).toBe('running');
  });

  test('an operation abandoned on every attempt is failed with the reason', async () => {
    const op = await enqueue('b1', 'shop/live', 2);
    await queue.claim('w1', LEASE, clock.now());
    clock.advance(31);
    await queue.claim('w2', LEASE, clock.now());
    clock.advance(31);
    const last = await queue.claim('w3', LEASE, clock.now());
    expect(last?.exhausted).toBe(true);
    expect(last?.operation).toMatchObject({ id: op.id, status: 'failed', attempts: 2 });
    expect(last?.operation.error).toMatch(/stopped responding during each of 2 attempts/);
    expect(await queue.claim('w4', LEASE, clock.now())).toBeUndefined();
  });

  test('progress goes on the row with the heartbeat', async () => {
    const op = await enqueue('b1');
    await queue.claim('w1', LEASE, clock.now());
    await queue.heartbeat(op.id, 'w1', LEASE, clock.now(), {
      phase: 'db, media',
      bytesDone: 1234,
      bytesExpected: 5000,
    });
    expect(await queue.get(op.id)).toMatchObject({ phase: 'db, media', bytesDone: 1234, bytesExpected: 5000 });
  });

  test('cancel: a queued operation ends at once, a running one is flagged for its worker, a finished one is refused', async () => {
    const running = await enqueue('b1');
    const queued = await enqueue('b2');
    await queue.claim('w1', LEASE, clock.now());

    expect(await queue.requestCancel(queued.id, 'cli:ana', clock.now())).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by cli:ana',
    });
    expect(await queue.requestCancel(running.id, 'cli:bob', clock.now())).toMatchObject({
      status: 'running',
      cancelRequestedBy: 'cli:bob',
    });
    expect(await queue.heartbeat(running.id, 'w1', LEASE, clock.now())).toEqual({
      held: true,
      cancelRequestedBy: 'cli:bob',
    });
    await queue.finish(running.id, 'w1', { status: 'cancelled', error: 'cancelled by cli:bob' }, clock.now());
    await expect(queue.requestCancel(running.id, 'cli:ana', clock.now())).rejects.toMatchObject({
      code: 'operation-finished',
    });
    await expect(queue.requestCancel('nosuch', 'cli:ana', clock.now())).rejects.toMatchObject({
      code: 'operation-not-found',
    });
  });

  test('release gives an operation back without counting the attempt', async () => {
    const op = await enqueue('b1');
    await queue.claim('w1', LEASE, clock.now());
    expect(await queue.release(op.id, 'w1')).toBe(true);
    expect(await queue.get(op.id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
    expect((await queue.claim('w2', LEASE, clock.now()))?.operation.attempts).toBe(1);
  });

  test('a claim can be limited to one operation and to the kinds a worker knows', async () => {
    const a = await enqueue('b1', null);
    const b = await enqueue('b2', null);
    expect((await queue.claim('w1', LEASE, clock.now(), { onlyId: b.id }))?.operation.id).toBe(b.id);
    expect(await queue.claim('w1', LEASE, clock.now(), { kinds: ['restore'] })).toBeUndefined();
    expect((await queue.claim('w1', LEASE, clock.now(), { kinds: ['backup'] }))?.operation.id).toBe(a.id);
  });

  test('finished operations older than a date are dropped; queued and running ones never', async () => {
    const done = await enqueue('b1', null);
    const running = await enqueue('b2', null);
    const queued = await enqueue('b3', null);
    await queue.claim('w1', LEASE, clock.now(), { onlyId: done.id });
    await queue.finish(done.id, 'w1', { status: 'succeeded' }, clock.now());
    await queue.claim('w1', LEASE, clock.now(), { onlyId: running.id });
    clock.advance(3600);
    expect(await queue.deleteFinishedBefore(clock.now())).toBe(1);
    expect(await queue.find(done.id)).toBeUndefined();
    expect((await queue.get(running.id)).status).toBe('running');
    expect((await queue.get(queued.id)).status).toBe('queued');
  });

  test('an operation to retry later is not claimed before its time, and keeps its attempt and error', async () => {
    const op = await enqueue('d1', null);
    await queue.claim('w1', LEASE, clock.now());
    const at = new Date(clock.now().getTime() + 60_000);
    expect(await queue.retryLater(op.id, 'w1', at, 'endpoint answered 503')).toBe(true);
    expect(await queue.get(op.id)).toMatchObject({ status: 'queued', attempts: 1, error: 'endpoint answered 503' });
    clock.advance(59);
    expect(await queue.claim('w2', LEASE, clock.now())).toBeUndefined();
    clock.advance(1);
    expect((await queue.claim('w2', LEASE, clock.now()))?.operation).toMatchObject({ id: op.id, attempts: 2 });
    expect(await queue.retryLater(op.id, 'w1', at, 'late')).toBe(false);
  });

  test('one operation per subject', async () => {
    await enqueue('b1');
    const second = await enqueue('b1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isUniqueViolation(second)).toBe(true);
  });
});

describe('the claim on PostgreSQL', () => {
  test('reads the runnable operations only, not the finished ones the queue keeps ahead of them', async () => {
    // The queue keeps finished operations for 30 days: a month of 10,000 daily targets leaves 300,000 ahead of the
    // night's backups, and a claim that walked them took about 90 ms, under the lock that serialises claims.
    const database = await createDatabase('claim_plan');
    const statements: CompiledQuery[] = [];
    const db = new Kysely<StateTables>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
      log: (event) => {
        if (event.level === 'query') statements.push(event.query);
      },
    });
    try {
      await migrateToLatest(db);
      // 2,000 finished, then a night's backups of 500 targets.
      await sql(
        database.url,
        `insert into operations (id, kind, subject_id, target, status, attempts, max_attempts, created_at, finished_at)
         select 'f' || g, 'backup', 'f' || g, 'shop/t' || (g % 500), 'succeeded', 1, 3, now(), now()
         from generate_series(1, 2000) g;
         insert into operations (id, kind, subject_id, target, status, max_attempts, created_at)
         select 'q' || g, 'backup', 'q' || g, 'shop/t' || g, 'queued', 3, now() from generate_series(1, 500) g;
         analyze operations`,
      );
      const queue = new OperationQueue(db, () => newId());
      const now = new Date();
      statements.length = 0;
      expect((await queue.claim('w1', LEASE, now, { kinds: ['backup'] }))?.operation.id).toBe('q1');

      // The same statement, explained: how many rows its scans read and threw away.
      const select = statements.find((statement) => /skip locked/i.test(statement.sql))!;
      await queue.release('q1', 'w1');
      const [explained] = await sql<{ 'QUERY PLAN': unknown }>(
        database.url,
        `explain (analyze, format json) ${select.sql}`,
        [...select.parameters],
      );
      const removed = (node: Record<string, unknown>): number =>
        Number(node['Rows Removed by Filter'] ?? 0) +
        ((node['Plans'] as Record<string, unknown>[] | undefined) ?? []).reduce(
          (sum, child) => sum + removed(child),
          0,
        );
      const plan = (explained!['QUERY PLAN'] as [{ Plan: Record<string, unknown> }])[0].Plan;
      expect(removed(plan)).toBeLessThan(10);
    } finally {
      await db.destroy();
      await dropDatabase(database.name);
    }
  });
});
