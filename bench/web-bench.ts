/**
 * The Backups view in Chromium: what a first load transfers, how soon a list of 1,000 backups is interactive, and
 * how soon a worker's progress shows on an open page.
 *
 *   node --import tsx bench/web-bench.ts [--runs R]
 *
 * Set-up: a fresh PostgreSQL state database holding 1,000 completed on-demand backups of shop/live (catalogue rows
 * only), `backstop serve` (the build, as its own process) with a directory store, signed in with a link from
 * `backstop web login`, Debian's Chromium driven by playwright-core.
 * - First load: the stylesheet and script as served, gzipped (level 6), summed.
 * - Interactive: `/backups` loaded R times (default 5); the navigation timing's domInteractive and
 *   domContentLoadedEventEnd (module scripts have run by then), medians.
 * - Progress: on an open `/backups`, a backup of a 200 MB media file is asked for through the API; the page notes the
 *   wall clock when its row first says "running", compared with the operation's `startedAt` as the worker recorded
 *   it (same machine, same clock), R times, median and worst.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { generateIdentity } from '../src/crypto/index.ts';
import { newId } from '../src/domain/new-id.ts';
import { Catalog } from '../src/state/catalog.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { chromiumFlags } from '../test/web/chromium.ts';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 5) || 5;
const adminUrl = process.env['BACKSTOP_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'backstop.js');
const dir = mkdtempSync(join(tmpdir(), 'backstop-web-bench-'));
const database = `backstop_web_bench_${Date.now()}`;
const stateUrl = adminUrl.replace(/\/[^/]*$/, `/${database}`);
const port = 18_000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(text);
  await client.end();
}

async function main(): Promise<void> {
  await admin(`create database ${database}`);
  let serve: ChildProcess | undefined;
  try {
    mkdirSync(join(dir, 'media'));
    writeFileSync(join(dir, 'media', 'big.bin'), Buffer.alloc(200 * 1024 * 1024, 1));
    const { identity, recipient } = generateIdentity();
    writeFileSync(join(dir, 'key.txt'), `${identity}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'backstop.yaml'),
      `${JSON.stringify({
        database: stateUrl,
        encryption: { recipients: [recipient], identities: ['./key.txt'] },
        storage: { dir: './backups' },
        http: { port },
        apps: { shop: { environments: { live: { media: './media', schedule: 'off' } } } },
      })}\n`,
    );
    const state = await openState({ databaseUrl: stateUrl, dataDir: dir });
    await migrateToLatest(state.db);
    const catalog = new Catalog(state.db, () => newId(), 'bench');
    const start = Date.now() - 1000 * 3600_000;
    for (let i = 0; i < 1000; i++) {
      const at = new Date(start + i * 3600_000);
      const backup = await catalog.insertBackup(
        {
          app: 'shop',
          env: 'live',
          trigger: 'on-demand',
          parts: 'media',
          note: `release ${i}`,
          requestedBy: 'cli:bench',
        },
        at,
      );
      const part = {
        kind: 'media' as const,
        key: `shop/live/${backup.id}/media.tar.age`,
        sizeBytes: 1_000_000 + i,
        sha256: 'a'.repeat(64),
        storedSizeBytes: 1_000_500 + i,
        storedSha256: 'b'.repeat(64),
      };
      await catalog.completeBackup(backup.id, [part], at);
    }
    await state.close();

    serve = spawn(process.execPath, [bin, 'serve'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let said = '';
      serve?.stderr?.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('Backstop is running')) resolve();
      });
      serve?.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${said}`)));
    });
    const login = spawnSync(process.execPath, [bin, 'web', 'login', '--json'], { cwd: dir, encoding: 'utf8' });
    const link = (JSON.parse(login.stdout) as { url: string }).url;

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: chromiumFlags,
    });
    const page = await browser.newPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Sign in as the holder of the config' }).click();
    await page.waitForURL(`${base}/backups`);

    const css = Buffer.from(await (await page.request.get(`${base}/assets/backstop.css`)).body());
    const js = Buffer.from(await (await page.request.get(`${base}/assets/live.js`)).body());
    const gzipped = gzipSync(css, { level: 6 }).length + gzipSync(js, { level: 6 }).length;

    const interactive: number[] = [];
    const contentLoaded: number[] = [];
    const firstByte: number[] = [];
    const lastByte: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      await page.goto(`${base}/backups`);
      await page.waitForFunction(() => document.documentElement.dataset['live'] === 'ready');
      const timing = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return {
          interactive: nav.domInteractive,
          loaded: nav.domContentLoadedEventEnd,
          firstByte: nav.responseStart,
          lastByte: nav.responseEnd,
          rows: document.querySelectorAll('tbody tr').length,
        };
      });
      interactive.push(timing.interactive);
      firstByte.push(timing.firstByte);
      lastByte.push(timing.lastByte);
      contentLoaded.push(timing.loaded);
      rows = timing.rows;
    }

    const latencies: number[] = [];
    for (let i = 0; i < runs; i++) {
      await page.goto(`${base}/backups`);
      await page.waitForFunction(() => document.documentElement.dataset['live'] === 'ready');
      await page.evaluate(() => {
        const seen = window as unknown as { runningAt?: Record<string, number> };
        seen.runningAt = {};
        new MutationObserver(() => {
          for (const row of document.querySelectorAll<HTMLElement>('[data-operation]')) {
            const id = row.dataset['operation'] as string;
            if (row.dataset['status'] === 'running' && seen.runningAt && !(id in seen.runningAt))
              seen.runningAt[id] = Date.now();
          }
        }).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      const created = await page.evaluate(async () => {
        const csrf = document.body.dataset['csrf'] as string;
        const answer = await fetch('/api/v1/backups', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ app: 'shop', env: 'live', note: 'bench' }),
        });
        return (await answer.json()) as { operationId: string };
      });
      await page.waitForFunction(
        (id) => (window as unknown as { runningAt: Record<string, number> }).runningAt[id] !== undefined,
        created.operationId,
        { timeout: 60_000 },
      );
      const shownAt = await page.evaluate(
        (id) => (window as unknown as { runningAt: Record<string, number> }).runningAt[id] as number,
        created.operationId,
      );
      let operation: { status: string; startedAt: string | null };
      do {
        operation = (await (
          await page.request.get(`${base}/api/v1/operations/${created.operationId}`)
        ).json()) as typeof operation;
        await new Promise((resolve) => setTimeout(resolve, 200));
      } while (operation.status === 'queued' || operation.status === 'running');
      latencies.push(shownAt - Date.parse(operation.startedAt as string));
    }
    await browser.close();

    console.log(`| figure | goal | measured |`);
    console.log(`| --- | --- | --- |`);
    console.log(
      `| /backups of a target with 1,000 backups (${rows} on the page): first / last byte of the page, median | | ${median(firstByte).toFixed(0)} ms / ${median(lastByte).toFixed(0)} ms |`,
    );
    console.log(
      `| first load, CSS + JS gzipped | < 150 KB | ${(gzipped / 1024).toFixed(1)} KB (CSS ${css.length} B, JS ${js.length} B before gzip) |`,
    );
    console.log(
      `| /backups of a target with 1,000 backups (${rows} on the page): domInteractive, median of ${runs} | 300 ms | ${median(interactive).toFixed(0)} ms |`,
    );
    console.log(
      `| /backups of a target with 1,000 backups (${rows} on the page): DOMContentLoaded end (script run), median of ${runs} | 300 ms | ${median(contentLoaded).toFixed(0)} ms |`,
    );
    console.log(
      `| progress shown after the worker's update (running), median / worst of ${runs} | < 1 s | ${median(latencies)} ms / ${Math.max(...latencies)} ms |`,
    );
  } finally {
    serve?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await admin(`drop database if exists ${database} with (force)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
