import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { newId } from '../../src/domain/new-id.ts';
import type { Target } from '../../src/domain/target.ts';
import { DrillScheduler } from '../../src/jobs/drill-scheduler.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { ManualCronTimers } from '../support/manual-cron-timers.ts';
import { adminUrl, createDatabase, dropDatabase, sql } from '../support/postgres.ts';

const at = (iso: string) => new Date(iso);

/** Drilled every Sunday at 05:00 UTC (never run here: no worker runs). */
const live: Target = {
  ...target('shop', 'live', { database: 'postgres://postgres@127.0.0.1:5432/never' }),
  drill: { checks: [], schedule: { cron: '0 5 * * 0', timezone: 'UTC' } },
};
const idle: Target = {
  ...target('shop', 'idle', { database: 'postgres://postgres@127.0.0.1:5432/never' }),
  drill: { checks: [], schedule: { cron: '0 5 * * 0', timezone: 'UTC' } },
};

/** A completed backup of `which`, as if taken at `when` (its parts are never read here). */
async function completedBackup(catalog: Catalog, which: Target, when: Date): Promise<string> {
  const backup = await catalog.insertBackup(
    { app: which.app, env: which.env, trigger: 'on-demand', parts: 'db', note: null, requestedBy: 'test' },
    when,
  );
  const part = {
    kind: 'db' as const,
    key: `k/${backup.id}`,
    sizeBytes: 1,
    sha256: 'a',
    storedSizeBytes: 1,
    storedSha256: 'b',
  };
  await catalog.completeBackup(backup.id, [part], when);
  return backup.id;
}

describe('scheduled drills', () => {
  let engine: TestEngine;
  let closeStore: () => Promise<void>;
  let database: { name: string; url: string };
  let states: State[];

  beforeAll(async () => {
    const { store, cleanup } = await makeStore('directory');
    closeStore = cleanup;
    engine = await makeEngine({ store, targets: [live, idle] });
    database = await createDatabase('drill_schedule');
    states = [
      await openState({ databaseUrl: database.url, dataDir: '/nonexistent' }),
      await openState({ databaseUrl: database.url, dataDir: '/nonexistent' }),
    ];
    await migrateToLatest(states[0]!.db);
  });

  afterAll(async () => {
    for (const state of states) await state.close();
    await vi.waitFor(
      async () => {
        const [row] = await sql(adminUrl, 'select count(*)::int as n from pg_stat_activity where datname = $1', [
          database.name,
        ]);
        expect(row).toEqual({ n: 0 });
      },
      { timeout: 10_000, interval: 50 },
    );
    await dropDatabase(database.name);
    await engine.close();
    await closeStore();
  });

  /** One instance: its own connections to the shared state, its own timers, the given clock. */
  function instance(state: State, clock: ManualClock): { ctx: UseCaseContext; timers: ManualCronTimers } {
    const ctx: UseCaseContext = {
      ...engine.ctx,
      catalog: new Catalog(state.db, () => newId(), 'test'),
      operations: new OperationQueue(state.db, () => newId()),
      events: new EventLog(state.db),
      clock: clock.now,
    };
    return { ctx, timers: new ManualCronTimers(clock.now) };
  }

  test('two instances firing the drill schedule queue one drill of the newest backup, once', async () => {
    const clock = new ManualClock(at('2026-11-28T12:00:00Z'));
    const [one, two] = states.map((state) => instance(state, clock)) as [
      ReturnType<typeof instance>,
      ReturnType<typeof instance>,
    ];
    await completedBackup(one.ctx.catalog, live, at('2026-11-27T02:00:00Z'));
    const newest = await completedBackup(one.ctx.catalog, live, at('2026-11-28T02:00:00Z'));
    const schedulers = [
      new DrillScheduler(one.ctx, { timers: one.timers }),
      new DrillScheduler(two.ctx, { timers: two.timers }),
    ];
    for (const scheduler of schedulers) scheduler.start();
    try {
      expect(one.timers.scheduled).toEqual([{ cron: '0 5 * * 0', timezone: 'UTC' }]);
      clock.set(at('2026-11-29T05:00:00.020Z'));
      await Promise.all([
        one.timers.fire('0 5 * * 0', at('2026-11-29T05:00:00Z')),
        two.timers.fire('0 5 * * 0', at('2026-11-29T05:00:00Z')),
      ]);
      const db = states[0]!.db;
      const drills = await db
        .selectFrom('drills')
        .select(['backup_id', 'app', 'env', 'slot', 'requested_by'])
        .execute();
      expect(drills).toEqual([
        { backup_id: newest, app: 'shop', env: 'live', slot: at('2026-11-29T05:00:00Z'), requested_by: 'schedule' },
      ]);
      const operations = await db.selectFrom('operations').select(['kind', 'target']).execute();
      expect(operations).toEqual([{ kind: 'drill', target: 'drill:127.0.0.1:5432' }]);
    } finally {
      for (const scheduler of schedulers) await scheduler.stop();
    }
  });

  test('a target with no completed backup is not drilled', async () => {
    const clock = new ManualClock(at('2026-11-29T05:00:00Z'));
    const one = instance(states[0]!, clock);
    expect(await new DrillScheduler(one.ctx).fire(idle, at('2026-11-29T05:00:00Z'))).toBe(false);
  });

  test('drill.missed once a proof is older than the drill period plus a day, once per stretch', async () => {
    const clock = new ManualClock(at('2026-12-06T12:00:00Z'));
    const [one, two] = states.map((state) => instance(state, clock)) as [
      ReturnType<typeof instance>,
      ReturnType<typeof instance>,
    ];
    const proven = await completedBackup(one.ctx.catalog, live, at('2026-12-06T02:00:00Z'));
    await one.ctx.catalog.recordProof(proven, at('2026-12-06T05:01:00Z'), 12.5, null);
    const schedulers = [new DrillScheduler(one.ctx), new DrillScheduler(two.ctx)];
    // A week and a day after the proof: not yet.
    expect(await schedulers[0]!.checkMissed(at('2026-12-14T05:00:00Z'))).toBe(0);
    const later = at('2026-12-14T05:02:00Z');
    const missed = await Promise.all(schedulers.map((scheduler) => scheduler.checkMissed(later)));
    expect(missed.reduce((a, b) => a + b)).toBe(1);
    expect(await schedulers[1]!.checkMissed(at('2026-12-15T00:00:00Z'))).toBe(0);
    const events = await one.ctx.events.list({ types: ['drill.missed'] });
    expect(events.map((e) => [e.app, e.env, e.data])).toEqual([
      [
        'shop',
        'live',
        expect.objectContaining({
          lastProvenBackupId: proven,
          lastProvenAt: '2026-12-06T05:01:00.000Z',
          expectedEveryMs: 7 * 86_400_000,
          schedule: { cron: '0 5 * * 0', timezone: 'UTC' },
        }),
      ],
    ]);
  });
  test('on start, the latest slot missed while no instance ran is drilled once, if the schedule had fired before', async () => {
    // The first test's drill (slot 2026-11-29 05:00) is the schedule's first firing; then no instance ran on Sunday
    // 2026-12-06, and one starts on the Monday.
    const clock = new ManualClock(at('2026-12-07T10:00:00Z'));
    const [one, two] = states.map((state) => instance(state, clock)) as [
      ReturnType<typeof instance>,
      ReturnType<typeof instance>,
    ];
    await completedBackup(one.ctx.catalog, idle, at('2026-12-01T02:00:00Z'));
    const slots = async (env: string) =>
      (await states[0]!.db.selectFrom('drills').select('slot').where('env', '=', env).orderBy('slot').execute()).map(
        (row) => row.slot,
      );
    expect(await slots('live')).toEqual([at('2026-11-29T05:00:00Z')]);
    const [queued, again] = await Promise.all([
      new DrillScheduler(one.ctx).catchUp(clock.now()),
      new DrillScheduler(two.ctx).catchUp(clock.now()),
    ]);
    expect(queued + again).toBe(1);
    expect(await slots('live')).toEqual([at('2026-11-29T05:00:00Z'), at('2026-12-06T05:00:00Z')]);
    // shop/idle's schedule never fired (it had no backup): not drilled at once on start.
    expect(await slots('idle')).toEqual([]);
    // Through start(), too: nothing more to catch up.
    const scheduler = new DrillScheduler(one.ctx, { timers: one.timers });
    scheduler.start();
    await scheduler.stop();
    expect(await slots('live')).toHaveLength(2);
  });
});
