import schedule from 'node-schedule';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Target } from '../../src/domain/target.ts';
import { createMetricsRegistry } from '../../src/http/metrics.ts';
import { describeSchedules } from '../../src/jobs/schedule-summary.ts';
import { defaultRetentionPolicy } from '../../src/retention/retention-policy.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

const at = (iso: string) => new Date(iso);
const now = at('2026-11-27T12:00:00Z');
const database = { database: 'postgres://127.0.0.1:1/never' };

const shopLive: Target = {
  ...target('shop', 'live', database),
  schedule: { cron: '0 2 * * *', timezone: 'Europe/Zurich', parts: 'db' },
  retention: { ...defaultRetentionPolicy, scheduled: { daily: 14, weekly: 4, monthly: 12 }, timezone: 'Europe/Zurich' },
};
const shopStaging = target('shop', 'staging', database); // schedule: off
const blogLive: Target = {
  ...target('blog', 'live', database),
  schedule: { cron: '*/15 * * * *', timezone: 'UTC', parts: 'db' },
};

let engine: TestEngine;
let cleanup: () => Promise<void>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  let store: Awaited<ReturnType<typeof makeStore>>['store'];
  ({ store, cleanup } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [shopLive, shopStaging, blogLive], clock: () => now });
  const catalog = engine.ctx.catalog;
  const shop = { app: 'shop', env: 'live', parts: 'db' };

  const completed = await catalog.insertScheduledBackup(shop, at('2026-11-25T01:00:00Z'), at('2026-11-25T01:00:00Z'));
  await catalog.completeBackup(completed!.id, [], at('2026-11-25T01:12:00Z'));
  ids['completed'] = completed!.id;
  const failed = await catalog.insertScheduledBackup(shop, at('2026-11-26T01:00:00Z'), at('2026-11-26T01:00:00Z'));
  await catalog.failBackup(failed!.id, 'pg_dump: connection refused', at('2026-11-26T01:00:30Z'));
  ids['failed'] = failed!.id;
  // Newer, but on demand: not the schedule's.
  const onDemand = await catalog.insertBackup(
    { app: 'shop', env: 'live', trigger: 'on-demand', parts: 'db', note: null, requestedBy: 'slack:U1' },
    at('2026-11-27T09:00:00Z'),
  );
  await catalog.completeBackup(onDemand.id, [], at('2026-11-27T09:05:00Z'));
});

afterAll(async () => {
  await engine.close();
  await cleanup();
});

test('one summary per configured target, in configuration order', async () => {
  const summaries = await describeSchedules(engine.ctx, {}, now);
  expect(summaries).toEqual([
    {
      app: 'shop',
      env: 'live',
      schedule: { cron: '0 2 * * *', timezone: 'Europe/Zurich', parts: 'db' },
      // 02:00 in Zurich, winter time.
      nextRunAt: at('2026-11-28T01:00:00Z'),
      lastBackup: {
        id: ids['failed'],
        status: 'failed',
        createdAt: at('2026-11-26T01:00:00Z'),
        completedAt: at('2026-11-26T01:00:30Z'),
        error: 'pg_dump: connection refused',
      },
      lastCompletedAt: at('2026-11-25T01:12:00Z'),
      retention: shopLive.retention,
      drill: { schedule: 'off', nextRunAt: null, lastProven: null, lastFailed: null },
    },
    {
      app: 'shop',
      env: 'staging',
      schedule: 'off',
      nextRunAt: null,
      lastBackup: null,
      lastCompletedAt: null,
      retention: defaultRetentionPolicy,
      drill: { schedule: 'off', nextRunAt: null, lastProven: null, lastFailed: null },
    },
    {
      app: 'blog',
      env: 'live',
      schedule: { cron: '*/15 * * * *', timezone: 'UTC', parts: 'db' },
      nextRunAt: at('2026-11-27T12:15:00Z'),
      lastBackup: null,
      lastCompletedAt: null,
      retention: defaultRetentionPolicy,
      drill: { schedule: 'off', nextRunAt: null, lastProven: null, lastFailed: null },
    },
  ]);
});

test('a target on a drill schedule says when it drills next and when a backup was last proven restorable', async () => {
  const drilled = { ...shopLive, drill: { checks: [], schedule: { cron: '0 5 * * 0', timezone: 'UTC' } } };
  await engine.ctx.catalog.recordProof(ids['completed']!, at('2026-11-25T05:00:00Z'), 42, null);
  try {
    const [summary] = await describeSchedules({ ...engine.ctx, targets: [drilled] }, {}, now);
    expect(summary?.drill).toEqual({
      schedule: { cron: '0 5 * * 0', timezone: 'UTC' },
      nextRunAt: at('2026-11-29T05:00:00Z'),
      lastProven: { backupId: ids['completed'], at: at('2026-11-25T05:00:00Z'), seconds: 42 },
      lastFailed: null,
    });
  } finally {
    await engine.state.db.updateTable('backups').set({ proven_at: null, proof_seconds: null }).execute();
  }
});

test("a media-only backup's proof does not stand for a target with a database: not in schedule, nor in /metrics", async () => {
  const drilled = { ...shopLive, media: { type: 'dir' as const, path: '/srv/media' } };
  const media = await engine.ctx.catalog.insertBackup(
    { app: 'shop', env: 'live', trigger: 'on-demand', parts: 'media', note: null, requestedBy: 'test' },
    at('2026-11-26T10:00:00Z'),
  );
  await engine.ctx.catalog.completeBackup(media.id, [], at('2026-11-26T10:01:00Z'));
  await engine.ctx.catalog.recordProof(ids['completed']!, at('2026-11-25T05:00:00Z'), 42, null);
  await engine.ctx.catalog.recordProof(media.id, at('2026-11-26T11:00:00Z'), 1, null);
  try {
    const [summary] = await describeSchedules({ ...engine.ctx, targets: [drilled] }, {}, now);
    expect(summary?.drill.lastProven).toEqual({
      backupId: ids['completed'],
      at: at('2026-11-25T05:00:00Z'),
      seconds: 42,
    });
    const gauge = 'backstop_last_proven_restorable_timestamp_seconds{app="shop",env="live"}';
    const metrics = await createMetricsRegistry(engine.state.db, [drilled]).metrics();
    expect(metrics).toContain(`${gauge} ${at('2026-11-25T05:00:00Z').getTime() / 1000}`);
    // A target without a database is proven by its media backups.
    const mediaOnly = { ...drilled, database: undefined } as unknown as Target;
    const [ofMedia] = await describeSchedules({ ...engine.ctx, targets: [mediaOnly] }, {}, now);
    expect(ofMedia?.drill.lastProven?.backupId).toBe(media.id);
  } finally {
    await engine.state.db.updateTable('backups').set({ proven_at: null, proof_seconds: null }).execute();
    await engine.ctx.catalog.deleteBackup(media.id);
  }
});

test("the target's proof is its newest backup proven, not the proof made last; an older backup's failure is not its", async () => {
  const catalog = engine.ctx.catalog;
  const newer = await catalog.insertBackup(
    { app: 'shop', env: 'live', trigger: 'on-demand', parts: 'db', note: null, requestedBy: 'test' },
    at('2026-11-27T10:00:00Z'),
  );
  await catalog.completeBackup(newer.id, [], at('2026-11-27T10:01:00Z'));
  await catalog.recordProof(newer.id, at('2026-11-27T11:00:00Z'), 5, null);
  await catalog.recordProof(ids['completed']!, at('2026-11-27T11:30:00Z'), 7, null); // the older one, drilled later
  const drill = async (backupId: string, finishedAt: Date) => {
    const inserted = await catalog.drills.insert(
      { backupId, app: 'shop', env: 'live', requestedBy: 'test' },
      finishedAt,
    );
    await catalog.drills.update(inserted!.id, { status: 'failed', finishedAt, error: 'boom' });
    return inserted!.id;
  };
  try {
    const summarize = async () => (await describeSchedules({ ...engine.ctx, targets: [shopLive] }, {}, now))[0]!.drill;
    expect((await summarize()).lastProven).toEqual({ backupId: newer.id, at: at('2026-11-27T11:00:00Z'), seconds: 5 });
    const metrics = await createMetricsRegistry(engine.state.db, [shopLive]).metrics();
    expect(metrics).toContain(
      `backstop_last_proven_restorable_timestamp_seconds{app="shop",env="live"} ${at('2026-11-27T11:00:00Z').getTime() / 1000}`,
    );
    await drill(ids['completed']!, at('2026-11-27T11:45:00Z'));
    expect((await summarize()).lastFailed).toBeNull();
    const failedId = await drill(newer.id, at('2026-11-27T11:50:00Z'));
    expect((await summarize()).lastFailed).toMatchObject({ drillId: failedId, backupId: newer.id });
  } finally {
    await engine.state.db.updateTable('backups').set({ proven_at: null, proof_seconds: null }).execute();
    await engine.state.db.deleteFrom('drills').execute();
    await catalog.deleteBackup(newer.id);
  }
});

test('a drill that failed after the last proof is said beside it; one before it is not', async () => {
  const drilled = { ...shopLive, drill: { checks: [], schedule: { cron: '0 5 * * 0', timezone: 'UTC' } } };
  const drills = engine.ctx.catalog.drills;
  const shop = { backupId: ids['completed']!, app: 'shop', env: 'live', requestedBy: 'schedule' };
  const older = await drills.insert(shop, at('2026-11-24T05:00:00Z'));
  await drills.update(older!.id, { status: 'failed', finishedAt: at('2026-11-24T05:01:00Z'), error: 'old' });
  await engine.ctx.catalog.recordProof(ids['completed']!, at('2026-11-25T05:00:00Z'), 42, null);
  try {
    const summarize = async () => (await describeSchedules({ ...engine.ctx, targets: [drilled] }, {}, now))[0]!;
    expect((await summarize()).drill.lastFailed).toBeNull();
    const newer = await drills.insert(shop, at('2026-11-26T05:00:00Z'));
    const error = 'table shop.orders: recorded 1201 rows, found 1200';
    await drills.update(newer!.id, { status: 'failed', finishedAt: at('2026-11-26T05:01:00Z'), error });
    expect((await summarize()).drill).toMatchObject({
      lastProven: { backupId: ids['completed'], at: at('2026-11-25T05:00:00Z') },
      lastFailed: { drillId: newer!.id, backupId: ids['completed'], at: at('2026-11-26T05:01:00Z'), error },
    });
  } finally {
    await engine.state.db.updateTable('backups').set({ proven_at: null, proof_seconds: null }).execute();
    await engine.state.db.deleteFrom('drills').execute();
  }
});

test('a filter picks an app, an environment, or both; one naming nothing gives nothing', async () => {
  const names = async (filter: { app?: string; env?: string }) =>
    (await describeSchedules(engine.ctx, filter, now)).map((s) => `${s.app}/${s.env}`);
  expect(await names({ app: 'shop' })).toEqual(['shop/live', 'shop/staging']);
  expect(await names({ env: 'live' })).toEqual(['shop/live', 'blog/live']);
  expect(await names({ app: 'shop', env: 'staging' })).toEqual(['shop/staging']);
  expect(await names({ app: 'nope' })).toEqual([]);
});

test('describing schedules only reads: no first sighting recorded, nothing scheduled', async () => {
  const jobs = Object.keys(schedule.scheduledJobs).length;
  await describeSchedules(engine.ctx, {}, now);
  expect(await engine.state.db.selectFrom('schedules').selectAll().execute()).toEqual([]);
  expect(Object.keys(schedule.scheduledJobs)).toHaveLength(jobs);
  expect(await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' })).toHaveLength(3);
});
