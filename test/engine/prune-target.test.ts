import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { planBackupsRetention } from '../../src/engine/plan-target-retention.ts';
import { pruneTarget } from '../../src/engine/prune-target.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import type { Store } from '../../src/storage/store.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

const day = 24 * 60 * 60 * 1000;
const now = new Date('2026-11-27T12:00:00Z');
let clock = now;
let engine: TestEngine;
let store: Store;
let cleanup: () => Promise<void>;
const media = mkdtempSync(join(tmpdir(), 'backstop-prune-'));
const shopLive = target('shop', 'live', { mediaDir: media });
const ids: Record<number, string> = {};

async function keys(): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list('shop/live/')) found.push(object.key);
  return found;
}

beforeAll(async () => {
  mkdirSync(join(media, 'a'), { recursive: true });
  writeFileSync(join(media, 'a', 'photo.jpg'), 'pixels');
  ({ store, cleanup } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [shopLive], clock: () => clock });
  for (const age of [60, 50, 40, 35, 10]) {
    clock = new Date(now.getTime() - age * day);
    const queued = await queueBackup(engine.ctx, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'media',
      note: `${age} days old`,
      requestedBy: null,
    });
    ids[age] = (await runBackup(engine.ctx, queued.id)).id;
  }
  clock = now;
  await engine.ctx.catalog.setPinned(ids[60]!, true);
});

afterAll(async () => {
  await engine.close();
  await cleanup();
  rmSync(media, { recursive: true, force: true });
});

test('each backup carries its retention decision and reason', async () => {
  const decisions = await planBackupsRetention(engine.ctx, [{ app: 'shop', env: 'live' }], now);
  expect(Object.fromEntries(Object.entries(ids).map(([age, id]) => [age, decisions.get(id)]))).toEqual({
    60: { id: ids[60], keep: true, reason: 'pinned', tier: 'pinned' },
    50: { id: ids[50], keep: false, reason: expect.stringContaining('older than 30 days and not among the 3 newest') },
    40: { id: ids[40], keep: true, reason: expect.stringContaining('3 newest'), tier: 'keep-last' },
    35: { id: ids[35], keep: true, reason: expect.stringContaining('3 newest'), tier: 'keep-last' },
    10: { id: ids[10], keep: true, reason: expect.stringContaining('3 newest'), tier: 'keep-last' },
  });
});

test('a dry run says what would go and deletes nothing', async () => {
  const before = await keys();
  const report = await pruneTarget(engine.ctx, shopLive, { dryRun: true });
  expect(report).toMatchObject({ dryRun: true, kept: 4, failed: [], deleted: [{ id: ids[50] }] });
  expect(await keys()).toEqual(before);
  expect(await engine.ctx.catalog.findBackup(ids[50]!)).toBeDefined();
});

test('pruning deletes the objects and then the row of what the policy does not keep, and nothing else', async () => {
  const report = await pruneTarget(engine.ctx, shopLive, { dryRun: false });
  expect(report.deleted.map((d) => d.id)).toEqual([ids[50]]);
  const left = await keys();
  expect(left.some((key) => key.includes(`/${ids[50]}/`))).toBe(false);
  for (const age of [60, 40, 35, 10]) {
    expect(left).toContain(`shop/live/${ids[age]}/media.tar.age`);
    expect(left).toContain(`shop/live/${ids[age]}/backup.json`);
  }
  expect(await engine.ctx.catalog.findBackup(ids[50]!)).toBeUndefined();
  expect((await pruneTarget(engine.ctx, shopLive, { dryRun: false })).deleted).toEqual([]);
});
