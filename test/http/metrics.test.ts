import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import type { Store } from '../../src/storage/store.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { listen } from './listen.ts';

const media = mkdtempSync(join(tmpdir(), 'backstop-metrics-'));
let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;

beforeAll(async () => {
  mkdirSync(join(media, 'uploads'), { recursive: true });
  writeFileSync(join(media, 'uploads', 'a.txt'), 'a'.repeat(5000));
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [target('shop', 'live', { mediaDir: media })] });
});

afterAll(async () => {
  await engine?.close();
  await cleanupStore?.();
  rmSync(media, { recursive: true, force: true });
});

/** The value of the sample `name{labels}` in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics is served only with an engine, in Prometheus text format, from the state database', async () => {
  const bare = await listen(createHttpApp({ state: engine.state.db, store }));
  try {
    expect((await fetch(`${bare.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${bare.url}/api/v1/backups`)).status).toBe(404);
  } finally {
    await bare.close();
  }

  const server = await listen(createHttpApp({ state: engine.state.db, store, engine: engine.ctx }));
  try {
    const before = await fetch(`${server.url}/metrics`);
    expect(before.status).toBe(200);
    expect(before.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const empty = await before.text();
    expect(sample(empty, 'backstop_state_up')).toBe(1);
    expect(sample(empty, 'backstop_queue_depth')).toBe(0);
    expect(sample(empty, 'backstop_operations{kind="backup",status="succeeded"}')).toBe(0);
    expect(empty).toContain('# TYPE backstop_backups_completed_total counter');
    expect(empty).toContain('# TYPE backstop_last_completed_backup_duration_seconds gauge');
    expect(empty).toContain('process_cpu_user_seconds_total');
    expect(empty).not.toContain('backstop_last_completed_backup_timestamp_seconds{');

    const queued = await enqueueBackup(engine.ctx, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'media',
      note: null,
      requestedBy: 'test',
    });
    const waiting = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(waiting, 'backstop_queue_depth')).toBe(1);
    expect(sample(waiting, 'backstop_operations{kind="backup",status="queued"}')).toBe(1);

    const worker = engineWorker(engine.ctx, {
      concurrency: 1,
      heartbeatMs: 200,
      pollMs: 50,
      log: (line) => engine.logs.push(line),
    });
    expect(await worker.runOnce({ id: queued.operation.id })).toBe(true);
    const backup = await engine.ctx.catalog.getBackup(queued.backup.id);
    expect(backup.status).toBe('completed');

    // Two scrapes at once read the same figures (each is a total read from the state, never counted twice).
    const scrapes = await Promise.all([1, 2].map(async () => (await fetch(`${server.url}/metrics`)).text()));
    for (const scrape of scrapes) {
      expect(sample(scrape, 'backstop_queue_depth')).toBe(0);
      expect(sample(scrape, 'backstop_operations{kind="backup",status="succeeded"}')).toBe(1);
      expect(sample(scrape, 'backstop_operations{kind="backup",status="queued"}')).toBe(0);
      expect(sample(scrape, 'backstop_backup_stored_bytes{app="shop",env="live"}')).toBe(
        backup.storedParts[0]!.storedSizeBytes,
      );
      expect(sample(scrape, 'backstop_backups_completed_total{app="shop",env="live",trigger="on-demand"}')).toBe(1);
      expect(
        sample(scrape, 'backstop_last_completed_backup_duration_seconds{app="shop",env="live",trigger="on-demand"}'),
      ).toBeCloseTo((backup.completedAt!.getTime() - backup.startedAt!.getTime()) / 1000, 3);
      expect(
        sample(scrape, 'backstop_last_completed_backup_stored_bytes{app="shop",env="live",trigger="on-demand"}'),
      ).toBe(backup.storedParts[0]!.storedSizeBytes);
      const last = sample(
        scrape,
        'backstop_last_completed_backup_timestamp_seconds{app="shop",env="live",trigger="on-demand"}',
      );
      expect(last).toBeCloseTo(backup.completedAt!.getTime() / 1000, 2);
    }
  } finally {
    await server.close();
  }
});

test('a scrape while the state database is down still answers, with backstop_state_up 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-metrics-down-'));
  const { openState } = await import('../../src/state/state.ts');
  const state = await openState({ databaseUrl: undefined, dataDir });
  const server = await listen(createHttpApp({ state: state.db, store, engine: engine.ctx }));
  try {
    await state.close();
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sample(text, 'backstop_state_up')).toBe(0);
    expect(sample(text, 'backstop_queue_depth')).toBeNaN();
    expect(text).not.toContain('backstop_operations{');
    expect(text).toContain('process_cpu_user_seconds_total');
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
