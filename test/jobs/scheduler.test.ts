import schedule from 'node-schedule';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { newId } from '../../src/domain/new-id.ts';
import type { Target } from '../../src/domain/target.ts';
import { nextSlot } from '../../src/jobs/cron-slots.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { Scheduler } from '../../src/jobs/scheduler.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { migrateToLatest, openState } from '../../src/state/state.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { ManualCronTimers } from '../support/manual-cron-timers.ts';
import { adminUrl, createDatabase, dropDatabase, sql } from '../support/postgres.ts';

const second = 1000;
const day = 24 * 60 * 60 * second;
const at = (iso: string) => new Date(iso);
const later = (from: Date, ms: number) => new Date(from.getTime() + ms);

/** A target backed up on `cron` in UTC, daily at 02:00 by default (never dumped here: no worker runs). */
function scheduled(app: string, env: string, cron = '0 2 * * *'): Target {
  return {
    ...target(app, env, { database: 'postgres://127.0.0.1:1/never' }),
    schedule: { cron, timezone: 'UTC', parts: 'db' },
  };
}

const liveTarget = scheduled('shop', 'live');
const stagingTarget = target('shop', 'staging', { database: 'postgres://127.0.0.1:1/never' }); // schedule: off

let engine: TestEngine;
let closeStore: () => Promise<void>;
const closers: Array<() => Promise<void>> = [];
const schedulers: Scheduler[] = [];

// One embedded state for the file (opening one is slow); each test starts from empty tables and its own targets.
beforeAll(async () => {
  const { store, cleanup } = await makeStore('directory');
  closeStore = cleanup;
  engine = await makeEngine({ store, targets: [] });
});

afterAll(async () => {
  await engine.close();
  await closeStore();
});

beforeEach(async () => {
  const db = engine.state.db;
  for (const table of ['events', 'operations', 'backup_parts', 'backups', 'schedules'] as const) {
    await db.deleteFrom(table).execute();
  }
  engine.logs.length = 0;
});

afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
  for (const close of closers.splice(0).reverse()) await close();
});

/** The engine with these targets, on `clock` (else the real one). */
function contextWith(targets: Target[], clock?: ManualClock): UseCaseContext {
  return { ...engine.ctx, targets, clock: clock?.now ?? (() => new Date()) };
}

/** A scheduler that the test's cleanup stops, whatever happens in the test. */
function schedulerOf(...args: ConstructorParameters<typeof Scheduler>): Scheduler {
  const scheduler = new Scheduler(...args);
  schedulers.push(scheduler);
  return scheduler;
}

function scheduledBackups(which: Target) {
  return engine.ctx.catalog.listBackups({ app: which.app, env: which.env, trigger: 'scheduled' });
}

async function operationSubjects(): Promise<string[]> {
  const rows = await engine.state.db.selectFrom('operations').select('subject_id').execute();
  return rows.map((row) => row.subject_id).sort();
}

const jobCount = () => Object.keys(schedule.scheduledJobs).length;

describe('firing a slot', () => {
  test('two instances firing the same slot queue one backup and one operation', async () => {
    const clock = new ManualClock(at('2026-11-27T02:00:00.050Z'));
    const ctx = contextWith([liveTarget], clock);
    const [one, two] = [new Scheduler(ctx), new Scheduler(ctx)];

    const pair = await Promise.all([
      one.fire(liveTarget, at('2026-11-27T02:00:00Z')),
      two.fire(liveTarget, at('2026-11-27T02:00:00Z')),
    ]);
    expect(pair.filter((created) => created)).toHaveLength(1);

    // Five at once, named by a firing date with milliseconds: still the one slot of 02:00:00.
    const five = await Promise.all(
      [one, two, one, two, one].map((instance) => instance.fire(liveTarget, at('2026-11-28T02:00:00.400Z'))),
    );
    expect(five.filter((created) => created)).toHaveLength(1);

    const backups = await scheduledBackups(liveTarget);
    expect(backups.map((b) => b.slot?.toISOString()).sort()).toEqual([
      '2026-11-27T02:00:00.000Z',
      '2026-11-28T02:00:00.000Z',
    ]);
    for (const backup of backups) {
      expect(backup).toMatchObject({ status: 'queued', trigger: 'scheduled', parts: 'db', requestedBy: 'schedule' });
    }
    expect(await operationSubjects()).toEqual(backups.map((b) => b.id).sort());
    const byId = new Map(backups.map((b) => [b.slot?.toISOString(), b.id]));
    expect(engine.logs.filter((line) => line.startsWith('scheduled backup '))).toEqual([
      `scheduled backup ${byId.get('2026-11-27T02:00:00.000Z')} of shop/live for 2026-11-27T02:00:00.000Z queued`,
      `scheduled backup ${byId.get('2026-11-28T02:00:00.000Z')} of shop/live for 2026-11-28T02:00:00.000Z queued`,
    ]);
  });

  test('a target whose schedule is off cannot be fired', async () => {
    const ctx = contextWith([stagingTarget]);
    await expect(new Scheduler(ctx).fire(stagingTarget, at('2026-11-27T02:00:00Z'))).rejects.toMatchObject({
      code: 'schedule-off',
    });
    expect(await scheduledBackups(stagingTarget)).toEqual([]);
  });

  test('instances with their own connections to one PostgreSQL agree on slots, first sightings and missed events', async () => {
    const ctx = contextWith([liveTarget]);
    const database = await createDatabase('scheduler');
    const states = [
      await openState({ databaseUrl: database.url, dataDir: '/nonexistent' }),
      await openState({ databaseUrl: database.url, dataDir: '/nonexistent' }),
    ];
    closers.push(async () => {
      for (const state of states) await state.close();
      // A closed pool's connections end a moment later; a forced drop before that hands them an unhandled error.
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
    });
    await migrateToLatest(states[0]!.db);
    const instances = states.map(
      (state) =>
        new Scheduler({
          ...ctx,
          catalog: new Catalog(state.db, () => newId(), 'test'),
          operations: new OperationQueue(state.db, () => newId()),
          events: new EventLog(state.db),
        }),
    );

    const fired = await Promise.all(
      instances.flatMap((instance) => [1, 2, 3, 4, 5].map(() => instance.fire(liveTarget, at('2026-11-27T02:00:00Z')))),
    );
    expect(fired.filter((created) => created)).toHaveLength(1);
    const db = states[0]!.db;
    expect(await db.selectFrom('backups').select('slot').execute()).toEqual([{ slot: at('2026-11-27T02:00:00Z') }]);
    expect(await db.selectFrom('operations').select('kind').execute()).toEqual([{ kind: 'backup' }]);

    // Each instance saw the schedule first at a different moment; the first one to record it wins for both.
    await Promise.all([
      instances[0]!.checkMissed(at('2026-11-27T10:00:00Z')),
      instances[1]!.checkMissed(at('2026-11-27T10:00:01Z')),
    ]);
    const sightings = await db.selectFrom('schedules').selectAll().execute();
    expect(sightings).toHaveLength(1);
    const missed = await Promise.all(instances.map((instance) => instance.checkMissed(at('2026-11-30T10:00:00Z'))));
    expect(missed.reduce((a, b) => a + b)).toBe(1);
    expect(await db.selectFrom('events').select(['type', 'dedupe_key']).execute()).toEqual([
      {
        type: 'backup.missed',
        dedupe_key: `backup.missed:shop/live:${sightings[0]!.first_seen_at.toISOString()}`,
      },
    ]);
  });
});

describe('catching up', () => {
  test('the slot missed while no instance ran is queued once; earlier slots and slots before the first sighting are not', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const ctx = contextWith([liveTarget, stagingTarget], clock);

    // A new install: today's 02:00 passed before anyone saw the schedule.
    expect(await new Scheduler(ctx).catchUp(clock.now())).toEqual([]);
    expect(await engine.state.db.selectFrom('schedules').selectAll().execute()).toEqual([
      { app: 'shop', env: 'live', first_seen_at: at('2026-11-27T10:00:00Z') },
    ]);

    // Every instance was down through the next two 02:00s: only the latest is taken.
    clock.set(at('2026-11-29T05:00:00Z'));
    const created = await new Scheduler(ctx).catchUp(clock.now());
    expect(created).toHaveLength(1);
    const backups = await scheduledBackups(liveTarget);
    expect(backups.map((b) => [b.id, b.slot])).toEqual([[created[0], at('2026-11-29T02:00:00Z')]]);

    expect(await new Scheduler(ctx).catchUp(clock.now())).toEqual([]);
    expect(await scheduledBackups(liveTarget)).toHaveLength(1);
    expect(await scheduledBackups(stagingTarget)).toEqual([]);
  });

  test('start() catches up, and a second start does not again', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const ctx = contextWith([liveTarget], clock);
    const first = schedulerOf(ctx);
    await first.start();
    await first.stop();
    expect(await scheduledBackups(liveTarget)).toEqual([]);

    clock.set(at('2026-11-28T06:00:00Z'));
    const second = schedulerOf(ctx);
    await second.start();
    await second.stop();
    const third = schedulerOf(ctx);
    await third.start();
    await third.stop();
    const backups = await scheduledBackups(liveTarget);
    expect(backups.map((b) => b.slot)).toEqual([at('2026-11-28T02:00:00Z')]);
    expect(await operationSubjects()).toEqual([backups[0]!.id]);
  });
  test('a slot that comes while the scheduler starts is queued once: its timer is set before the catch-up runs', async () => {
    // Seen yesterday, so today's 02:00 is due; the catch-up of many targets takes a while, and the minute comes
    // during it (here: during its first transaction).
    await engine.state.db
      .insertInto('schedules')
      .values({ app: 'shop', env: 'live', first_seen_at: at('2026-11-26T10:00:00Z') })
      .execute();
    const clock = new ManualClock(at('2026-11-27T01:59:59Z'));
    const ctx = contextWith([liveTarget], clock);
    const catalog = Object.create(ctx.catalog) as Catalog;
    catalog.transaction = async (fn) => {
      const result = await ctx.catalog.transaction(fn);
      clock.set(at('2026-11-27T02:00:01Z'));
      return result;
    };
    const timers = new ManualCronTimers(clock.now);
    await schedulerOf({ ...ctx, catalog }, { timers }).start();

    // node-schedule fires the slot: its timer was set before it.
    await timers.fire('0 2 * * *', at('2026-11-27T02:00:00Z'));
    const backups = await scheduledBackups(liveTarget);
    expect(backups.map((b) => b.slot)).toEqual([at('2026-11-27T02:00:00Z')]);
    expect(await operationSubjects()).toEqual([backups[0]!.id]);
  });
});

describe('start and stop', () => {
  test('jobs are made for scheduled targets and the daily prune only, and stop() removes them', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const ctx = contextWith([liveTarget, stagingTarget], clock);
    const before = new Set(Object.keys(schedule.scheduledJobs));
    const scheduler = schedulerOf(ctx);
    await scheduler.start();

    const added = Object.entries(schedule.scheduledJobs).filter(([name]) => !before.has(name));
    const now = new Date();
    expect(added.map(([, job]) => job.nextInvocation()?.getTime()).sort()).toEqual(
      [
        nextSlot({ cron: '0 2 * * *', timezone: 'UTC' }, now).getTime(),
        nextSlot({ cron: '30 3 * * *', timezone: 'UTC' }, now).getTime(),
      ].sort(),
    );
    expect(await engine.state.db.selectFrom('schedules').select(['app', 'env']).execute()).toEqual([
      { app: 'shop', env: 'live' },
    ]);

    await scheduler.stop();
    expect(jobCount()).toBe(before.size);
  });

  test('targets sharing a cron and zone share one timer, whose firing queues the slot of each of them once', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const sharing = ['a', 'b', 'c'].map((env) => scheduled('shop', env));
    const other = scheduled('shop', 'd', '0 3 * * *');
    const timers = new ManualCronTimers(clock.now);
    const scheduler = schedulerOf(contextWith([...sharing, other, stagingTarget], clock), { timers });
    await scheduler.start();
    expect(timers.scheduled).toEqual([
      { cron: '0 2 * * *', timezone: 'UTC' },
      { cron: '0 3 * * *', timezone: 'UTC' },
      { cron: '30 3 * * *', timezone: 'UTC' },
    ]);

    const slot = at('2026-11-28T02:00:00Z');
    clock.set(later(slot, 5));
    await timers.fire('0 2 * * *', slot);
    await timers.fire('0 2 * * *', slot); // another instance's firing of the same slot
    for (const each of sharing) expect((await scheduledBackups(each)).map((b) => b.slot)).toEqual([slot]);
    expect(await scheduledBackups(other)).toEqual([]);
    expect(await operationSubjects()).toHaveLength(sharing.length);
  });

  test('an every-second cron queues one backup per firing with consecutive slots until stopped', async () => {
    const everySecond = scheduled('shop', 'live', '* * * * * *');
    const clock = new ManualClock(at('2026-11-27T10:00:00.300Z'));
    const timers = new ManualCronTimers();
    const scheduler = schedulerOf(contextWith([everySecond], clock), { timers });
    const startedAt = clock.now().getTime();
    await scheduler.start();
    expect(timers.scheduled).toContainEqual({ cron: '* * * * * *', timezone: 'UTC' });

    // Three firings in a row, each a moment after its slot, as node-schedule fires them.
    const fired: number[] = [];
    for (let slot = at('2026-11-27T10:00:01Z'); fired.length < 3; slot = later(slot, second)) {
      clock.set(later(slot, 5));
      await timers.fire('* * * * * *', slot);
      fired.push(slot.getTime());
    }
    await scheduler.stop();
    const stoppedAt = clock.now().getTime();

    const backups = await scheduledBackups(everySecond);
    const slots = backups.map((b) => b.slot!.getTime()).sort((a, b) => a - b);
    expect(slots).toEqual(fired);
    for (const [index, slot] of slots.entries()) {
      expect(slot % second).toBe(0);
      expect(slot).toBeGreaterThan(startedAt);
      expect(slot).toBeLessThanOrEqual(stoppedAt);
      if (index > 0) expect(slot - slots[index - 1]!).toBe(second);
    }
    expect(await operationSubjects()).toEqual(backups.map((b) => b.id).sort());
    expect(engine.logs.filter((line) => line.includes('failed'))).toEqual([]);

    // Nothing fires after stop(): its timers are cancelled.
    expect(timers.scheduled).toEqual([]);
    expect(await scheduledBackups(everySecond)).toHaveLength(backups.length);
  });

  test('failing firings, catch-ups and checks are logged and the scheduler goes on', async () => {
    const everySecond = scheduled('shop', 'live', '* * * * * *');
    const ctx = contextWith([everySecond]);
    const catalog = Object.create(ctx.catalog) as Catalog;
    catalog.transaction = async () => {
      throw new Error('the state database is unreachable');
    };
    const timers = new ManualCronTimers();
    const scheduler = schedulerOf({ ...ctx, catalog }, { missedCheckMs: 100, timers });
    const failures = () => engine.logs.filter((line) => line.endsWith('failed: the state database is unreachable'));
    await scheduler.start();
    expect(failures()).toContain('scheduler: catching up shop/live failed: the state database is unreachable');

    // Each firing fails and is logged; the timer stays set for the next.
    await timers.fire('* * * * * *', at('2026-11-27T10:00:01Z'));
    await timers.fire('* * * * * *', at('2026-11-27T10:00:02Z'));
    expect(failures().filter((line) => line.startsWith('scheduler: firing the schedule of shop/live failed'))).toEqual([
      'scheduler: firing the schedule of shop/live failed: the state database is unreachable',
      'scheduler: firing the schedule of shop/live failed: the state database is unreachable',
    ]);
    expect(timers.scheduled).toContainEqual({ cron: '* * * * * *', timezone: 'UTC' });

    await vi.waitFor(
      () =>
        expect(failures()).toContain(
          'scheduler: checking for missed backups of shop/live failed: the state database is unreachable',
        ),
      { timeout: 5000, interval: 50 },
    );
    await scheduler.stop();
  });

  test('stop() does not wait for a pass over every target: the missed-backup check ends at the target it is at', async () => {
    const ctx = contextWith(['a', 'b', 'c'].map((env) => scheduled('shop', env)));
    const catalog = Object.create(ctx.catalog) as Catalog;
    const scheduler = schedulerOf({ ...ctx, catalog }, { missedCheckMs: 20, timers: new ManualCronTimers() });
    await scheduler.start();

    // From now on the check's first transaction (shop/a's first sighting) is held until the scheduler is stopping.
    let transactions = 0;
    let atFirst!: () => void;
    const reachedFirst = new Promise<void>((resolve) => {
      atFirst = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    catalog.transaction = async (fn) => {
      if (++transactions === 1) {
        atFirst();
        await released;
      }
      return ctx.catalog.transaction(fn);
    };
    await reachedFirst;
    const stopped = scheduler.stop();
    release();
    await stopped;
    expect(transactions).toBe(1);
  });

  test('the missed-backup check runs every missedCheckMs', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const ctx = contextWith([liveTarget], clock);
    const scheduler = schedulerOf(ctx, { missedCheckMs: 50 });
    await scheduler.start();
    clock.set(at('2026-11-30T10:00:00Z'));
    await vi.waitFor(async () => expect(await ctx.events.list({ types: ['backup.missed'] })).toHaveLength(1), {
      timeout: 5000,
      interval: 50,
    });
    await scheduler.stop();
  });
});

describe('missed backups', () => {
  test('one event after two periods without a completed scheduled backup, none before, none again, a new one for a new stretch', async () => {
    const clock = new ManualClock(at('2026-11-27T10:00:00Z'));
    const ctx = contextWith([liveTarget, stagingTarget], clock);
    const [one, two] = [new Scheduler(ctx), new Scheduler(ctx)];
    const firstSeen = at('2026-11-27T10:00:00Z');

    expect(await one.checkMissed(firstSeen)).toBe(0);
    expect(await one.checkMissed(later(firstSeen, day))).toBe(0);
    expect(await one.checkMissed(later(firstSeen, 2 * day))).toBe(0);
    expect(await one.checkMissed(later(firstSeen, 2 * day + second))).toBe(1);
    expect(await one.checkMissed(later(firstSeen, 3 * day))).toBe(0);
    expect(await two.checkMissed(later(firstSeen, 3 * day))).toBe(0);

    const [first] = await ctx.events.list({ types: ['backup.missed'] });
    expect(first).toMatchObject({
      app: 'shop',
      env: 'live',
      subjectId: null,
      data: {
        app: 'shop',
        env: 'live',
        lastCompletedBackupId: null,
        lastCompletedAt: null,
        expectedEveryMs: day,
        schedule: { cron: '0 2 * * *', timezone: 'UTC' },
        hint: expect.stringContaining('backstop list shop/live'),
      },
    });

    // The 30th's backup completes; the 1st's fails, which does not count.
    clock.set(at('2026-11-30T02:00:01Z'));
    await one.fire(liveTarget, at('2026-11-30T02:00:00Z'));
    const [completed] = await scheduledBackups(liveTarget);
    await ctx.catalog.completeBackup(completed!.id, [], at('2026-11-30T02:20:00Z'));
    clock.set(at('2026-12-01T02:00:01Z'));
    await one.fire(liveTarget, at('2026-12-01T02:00:00Z'));
    const failed = (await scheduledBackups(liveTarget)).find((b) => b.id !== completed!.id)!;
    await ctx.catalog.failBackup(failed.id, 'pg_dump failed', at('2026-12-01T02:05:00Z'));

    expect(await one.checkMissed(at('2026-11-30T03:00:00Z'))).toBe(0);
    expect(await one.checkMissed(at('2026-12-02T02:00:00Z'))).toBe(0);
    expect(await two.checkMissed(at('2026-12-02T02:00:01Z'))).toBe(1);
    expect(await one.checkMissed(at('2026-12-02T02:00:02Z'))).toBe(0);

    const events = await ctx.events.list({ types: ['backup.missed'] });
    expect(events).toHaveLength(2);
    expect(events[1]!.data).toMatchObject({
      lastCompletedBackupId: completed!.id,
      lastCompletedAt: '2026-11-30T02:20:00.000Z',
    });
    expect(await engine.state.db.selectFrom('events').select('dedupe_key').orderBy('id').execute()).toEqual([
      { dedupe_key: 'backup.missed:shop/live:2026-11-27T10:00:00.000Z' },
      { dedupe_key: 'backup.missed:shop/live:2026-11-30T02:00:00.000Z' },
    ]);
    expect(events.every((event) => event.env === 'live')).toBe(true);
  });

  test('a schedule turned off and on again is counted from when it came back, not from its old backups', async () => {
    const clock = new ManualClock(at('2026-01-10T10:00:00Z'));
    const scheduler = new Scheduler(contextWith([liveTarget], clock));
    await scheduler.fire(liveTarget, at('2026-01-10T02:00:00Z'));
    const [old] = await scheduledBackups(liveTarget);
    await engine.ctx.catalog.completeBackup(old!.id, [], at('2026-01-10T02:10:00Z'));
    expect(await scheduler.checkMissed(at('2026-01-10T10:00:00Z'))).toBe(0);

    // Months with the schedule off: an instance starting then forgets its first sighting.
    const liveOff = { ...liveTarget, schedule: 'off' as const };
    clock.set(at('2026-06-01T10:00:00Z'));
    const whileOff = schedulerOf(contextWith([liveOff], clock), { missedCheckMs: 3_600_000 });
    await whileOff.start();
    await whileOff.stop();

    // Back on: nothing is missed, and nothing from the months off is caught up.
    clock.set(at('2026-06-20T10:00:00Z'));
    const back = schedulerOf(contextWith([liveTarget], clock), { missedCheckMs: 3_600_000 });
    await back.start();
    expect(await back.checkMissed(at('2026-06-20T10:00:00Z'))).toBe(0);
    expect(await back.checkMissed(at('2026-06-22T09:59:59Z'))).toBe(0);
    expect(await back.checkMissed(at('2026-06-22T10:00:01Z'))).toBe(1);
    expect((await scheduledBackups(liveTarget)).map((b) => b.id)).toEqual([old!.id]);
  });

  test('a weekday schedule is not missed over the weekend', async () => {
    const weekdays = scheduled('shop', 'live', '0 2 * * 1-5');
    const clock = new ManualClock(at('2026-11-20T10:00:00Z'));
    const ctx = contextWith([weekdays], clock);
    const scheduler = new Scheduler(ctx);
    expect(await scheduler.checkMissed(clock.now())).toBe(0);
    clock.set(at('2026-11-27T02:00:01Z')); // Friday
    await scheduler.fire(weekdays, at('2026-11-27T02:00:00Z'));
    const [friday] = await scheduledBackups(weekdays);
    await ctx.catalog.completeBackup(friday!.id, [], at('2026-11-27T02:10:00Z'));

    expect(await scheduler.checkMissed(at('2026-11-29T02:00:01Z'))).toBe(0); // Sunday: two days, no firing missed
    expect(await scheduler.checkMissed(at('2026-12-01T02:00:00Z'))).toBe(0); // Tuesday's firing
    expect(await scheduler.checkMissed(at('2026-12-01T02:00:01Z'))).toBe(1);
  });
});

describe('pruning', () => {
  test('every target is pruned, one event per pruned target, and a failing target does not stop the others', async () => {
    const now = at('2026-11-27T12:00:00Z');
    const clock = new ManualClock(now);
    const broken = target('broken', 'live', { database: 'postgres://127.0.0.1:1/never' });
    const ctx = contextWith([broken, stagingTarget, liveTarget], clock);
    const ids: Record<number, string> = {};
    for (const age of [60, 50, 40, 35, 10]) {
      const when = later(now, -age * day);
      const backup = await ctx.catalog.insertBackup(
        { app: 'shop', env: 'staging', trigger: 'on-demand', parts: 'db', note: null, requestedBy: null },
        when,
      );
      await ctx.catalog.completeBackup(backup.id, [], when);
      ids[age] = backup.id;
    }
    const catalog = Object.create(ctx.catalog) as Catalog;
    catalog.listBackups = async (filter = {}) => {
      if (filter.app === 'broken') throw new Error('the catalogue is unreachable');
      return engine.ctx.catalog.listBackups(filter);
    };
    const scheduler = new Scheduler({ ...ctx, catalog });

    await scheduler.pruneAll();
    const left = await engine.ctx.catalog.listBackups({ app: 'shop', env: 'staging' });
    expect(left.map((b) => b.id).sort()).toEqual([ids[40], ids[35], ids[10]].sort());
    expect(engine.logs).toContain('scheduler: pruning broken/live failed: the catalogue is unreachable');
    const pruned = await ctx.events.list({ types: ['retention.pruned'] });
    expect(pruned).toHaveLength(1);
    expect(pruned[0]).toMatchObject({ app: 'shop', env: 'staging', data: { kept: 3 } });
    const event = pruned[0]!;
    if (event.type !== 'retention.pruned') throw new Error('expected a retention.pruned event');
    const deleted = event.data.deleted.map((d) => d.id).sort();
    expect(deleted).toEqual([ids[60], ids[50]].sort());

    await scheduler.pruneAll();
    expect(await ctx.events.list({ types: ['retention.pruned'] })).toHaveLength(1);
  });
});
