import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterEach, describe, expect, test } from 'vitest';
import { migrations, sqliteMigrations } from '../../migrations/index.ts';
import type { NewEvent } from '../../src/domain/events.ts';
import { createMetricsRegistry } from '../../src/http/metrics.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { migrateToLatest } from '../../src/state/state.ts';
import { isEmbeddedState } from '../../src/state/state-dialect.ts';
import { bothStates, type OpenedState } from '../support/both-states.ts';

describe.each(bothStates('event-counts'))('event counts on %s', (_name, open) => {
  let opened: OpenedState | undefined;
  afterEach(async () => {
    await opened?.state.close();
    await opened?.cleanup();
  });

  const counts = (opened: OpenedState) =>
    opened.state.db
      .selectFrom('event_counts')
      .select(['type', 'app', 'env', 'trigger', 'count', 'duration_ms'])
      .orderBy(['type', 'app', 'trigger'])
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, count: Number(r.count), duration_ms: Number(r.duration_ms) })));

  test('each event recorded is counted once, by type, target and trigger, with its run time', async () => {
    opened = await open();
    await migrateToLatest(opened.state.db);
    const events = new EventLog(opened.state.db);
    const at = new Date('2026-12-01T00:00:00Z');
    const succeeded = (id: string, trigger: 'scheduled' | 'on-demand', durationMs: number): NewEvent => ({
      type: 'backup.succeeded',
      app: 'shop',
      env: 'live',
      subjectId: id,
      data: {
        backupId: id,
        app: 'shop',
        env: 'live',
        trigger,
        parts: 'db',
        note: null,
        requestedBy: null,
        slot: null,
        sizeBytes: 1,
        durationMs,
      },
    });
    await events.record(succeeded('a1', 'scheduled', 1500), at);
    await events.record(succeeded('a2', 'scheduled', 2500), at);
    await events.record(succeeded('a3', 'on-demand', 700), at);
    const missed = {
      type: 'backup.missed' as const,
      app: 'shop',
      env: 'live',
      subjectId: null,
      data: { lastCompletedAt: null },
      dedupeKey: 'missed:shop/live:1',
    };
    expect(await events.record(missed as never, at)).toBe(true);
    expect(await events.record(missed as never, at)).toBe(false); // the same alert again: not counted twice
    expect(await counts(opened)).toEqual([
      { type: 'backup.missed', app: 'shop', env: 'live', trigger: '', count: 1, duration_ms: 0 },
      { type: 'backup.succeeded', app: 'shop', env: 'live', trigger: 'on-demand', count: 1, duration_ms: 700 },
      { type: 'backup.succeeded', app: 'shop', env: 'live', trigger: 'scheduled', count: 2, duration_ms: 4000 },
    ]);
  });

  test('failed and missed drills are counted, and /metrics reads their counters from the counts', async () => {
    opened = await open();
    await migrateToLatest(opened.state.db);
    const events = new EventLog(opened.state.db);
    const at = new Date('2026-12-01T00:00:00Z');
    const failed = (id: string, trigger: 'scheduled' | 'on-demand'): NewEvent => ({
      type: 'drill.failed',
      app: 'shop',
      env: 'live',
      subjectId: id,
      data: {
        drillId: id,
        backupId: 'b1',
        app: 'shop',
        env: 'live',
        trigger,
        requestedBy: trigger === 'scheduled' ? 'schedule' : 'cli:ana',
        reason: 'table shop.orders: recorded 1201 rows, found 1200',
        hint: 'Take a new backup.',
      },
    });
    await events.record(failed('d1', 'scheduled'), at);
    await events.record(failed('d2', 'on-demand'), at);
    await events.record(failed('d3', 'on-demand'), at);
    const missed = { type: 'drill.missed', app: 'shop', env: 'live', subjectId: null, data: {}, dedupeKey: 'm1' };
    await events.record(missed as never, at);
    expect(await counts(opened)).toEqual([
      { type: 'drill.failed', app: 'shop', env: 'live', trigger: 'on-demand', count: 2, duration_ms: 0 },
      { type: 'drill.failed', app: 'shop', env: 'live', trigger: 'scheduled', count: 1, duration_ms: 0 },
      { type: 'drill.missed', app: 'shop', env: 'live', trigger: '', count: 1, duration_ms: 0 },
    ]);
    // An event written past the log (as no code of Backstop does) is not counted: the scrape never reads the log.
    await sql`insert into events (type, app, env, subject_id, data, created_at)
      values ('drill.missed', 'shop', 'live', null, '{}', ${at})`.execute(opened.state.db);
    const metrics = await createMetricsRegistry(opened.state.db).metrics();
    expect(metrics).toContain('backstop_drills_failed_total{app="shop",env="live"} 3');
    expect(metrics).toContain('backstop_drills_missed_total{app="shop",env="live"} 1');
  });

  test('the migration counts the events recorded before it', async () => {
    opened = await open();
    const db = opened.state.db;
    const all = isEmbeddedState(db) ? sqliteMigrations : migrations;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => all } });
    const before = await migrator.migrateTo('0012-runnable-operations');
    expect(before.error).toBeUndefined();
    const insert = (type: string, app: string | null, data: object) =>
      sql`insert into events (type, app, env, subject_id, data, created_at)
          values (${type}, ${app}, ${app === null ? null : 'live'}, null, ${JSON.stringify(data)}, ${new Date()})`.execute(
        db,
      );
    await insert('backup.succeeded', 'shop', { trigger: 'scheduled', durationMs: 1200.4 });
    await insert('backup.succeeded', 'shop', { trigger: 'scheduled', durationMs: 800 });
    await insert('backup.failed', 'shop', { trigger: 'on-demand' });
    await insert('retention.pruned', null, {});
    expect(await migrateToLatest(db)).toContain('0013-what-a-backup-holds');
    expect(await counts(opened)).toEqual([
      { type: 'backup.failed', app: 'shop', env: 'live', trigger: 'on-demand', count: 1, duration_ms: 0 },
      { type: 'backup.succeeded', app: 'shop', env: 'live', trigger: 'scheduled', count: 2, duration_ms: 2000 },
    ]);
  });
});
