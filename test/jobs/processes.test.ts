import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { composeEngine } from '../../cli/compose-engine.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import { migrateToLatest, openState } from '../../src/state/state.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { sharedKeyYaml } from '../support/shared-key.ts';

/**
 * Several real Backstop processes (`backstop serve`, `backstop worker`) sharing one PostgreSQL state: a schedule is
 * taken exactly once per slot, queued operations run exactly once, and a worker killed mid-backup is taken over after
 * its lease expires without leaving objects of the abandoned attempt behind (DESIGN.md "Jobs and scale").
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repoRoot, 'bin', 'backstop.js');

interface BackstopProcess {
  readonly name: string;
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** How the process ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every process a test started (killed after each test), and what to undo after it, in reverse order. */
let processes: BackstopProcess[] = [];
let cleanups: Array<() => Promise<void>> = [];

beforeEach((context) => {
  // Runs after afterEach, which starts a new list: keep this test's.
  const started = processes;
  context.onTestFailed(() => {
    for (const p of started) {
      process.stderr.write(
        `\n----- ${p.name} (pid ${p.child.pid}, exit ${p.child.exitCode ?? p.child.signalCode}) stderr -----\n` +
          `${p.stderr()}\n----- ${p.name} stdout -----\n${p.stdout()}\n`,
      );
    }
  });
});

afterEach(async () => {
  const running = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exit));
  processes = [];
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** Runs bin/backstop.js from the TypeScript sources, as its own process, on the shared state `databaseUrl`. */
function startBackstop(name: string, args: string[], databaseUrl: string): BackstopProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BACKSTOP_FROM_SOURCE: '1',
    DATABASE_URL: databaseUrl,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  delete env['BACKSTOP_CONFIG'];
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      err.push(`spawn failed: ${String(error)}\n`);
      resolve({ code: null, signal: null });
    });
  });
  const started: BackstopProcess = {
    name,
    child,
    stderr: () => err.join(''),
    stdout: () => out.join(''),
    exit,
  };
  processes.push(started);
  return started;
}

function assertAlive(...list: BackstopProcess[]): void {
  for (const p of list) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} ended early (${p.child.exitCode ?? p.child.signalCode}):\n${p.stderr()}`);
    }
  }
}

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

async function waitUntilRunning(p: BackstopProcess, line: RegExp): Promise<void> {
  await waitFor(
    `${p.name} to say it is running`,
    () => {
      if (line.test(p.stderr())) return true;
      assertAlive(p);
      return undefined;
    },
    60_000,
  );
}

/** SIGTERM, then the exit code (a graceful stop must not take long). */
async function stopGracefully(p: BackstopProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  const ended = await Promise.race([p.exit, delay(30_000).then(() => undefined)]);
  if (!ended) throw new Error(`${p.name} did not stop within 30 s of SIGTERM`);
  return ended.code;
}

/** A fresh state database, a temp directory with a config file, both removed after the test. */
async function setUp(label: string, configYaml: (dir: string) => string) {
  const database = await createDatabase(label);
  cleanups.push(() => dropDatabase(database.name));
  const dir = mkdtempSync(join(tmpdir(), `backstop-${label}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'backstop.yaml');
  writeFileSync(configPath, `${configYaml(dir)}\n${sharedKeyYaml(dir)}`);
  return { url: database.url, dir, configPath, store: join(dir, 'store') };
}

/** The engine the processes would build from the same config and state, for the test to enqueue work with. */
async function openEngine(configPath: string, url: string, dir: string): Promise<UseCaseContext> {
  const config = loadConfig({ explicitPath: configPath, env: { DATABASE_URL: url }, cwd: dir });
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  cleanups.push(() => state.close());
  await migrateToLatest(state.db);
  return composeEngine(config, state, { log: () => {}, notice: () => {} });
}

function writeMedia(dir: string, files: number, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `file-${i}.bin`), randomBytes(bytes));
}

/** Every file under `root`, hidden ones included, as paths relative to it, sorted. */
async function filesUnder(root: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await filesUnder(root, path)));
    else found.push(path);
  }
  return found.sort();
}

/** The ids of the backups a process's log says it completed (`backup <id> of <app/env> completed`), in order. */
function completedIn(log: string): string[] {
  return [...log.matchAll(/ backup (\S+) of \S+ completed$/gm)].map((match) => match[1]!);
}

describe('several Backstop processes on one PostgreSQL state', () => {
  test('two serve processes take every slot of one schedule exactly once', async () => {
    const { url, dir, configPath } = await setUp('sched', (d) =>
      [
        `dataDir: ${d}/data`,
        'logs: { format: text }', // read line by line below
        `storage: { dir: ${d}/store }`,
        'http: { port: 0 }',
        'apps:',
        '  shop:',
        '    environments:',
        '      live:',
        `        media: ${d}/media`,
        "        schedule: { cron: '*/3 * * * * *', timezone: UTC }",
        '',
      ].join('\n'),
    );
    writeMedia(join(dir, 'media'), 3, 4096);
    // Retention keeps one scheduled backup per day and deletes the rest after each backup (by design: daily: 7), so
    // the backups table alone cannot show every slot afterwards: a trigger records its whole history.
    const engine = await openEngine(configPath, url, dir);
    // Make the generated key and the link secret here first: two processes creating them at the same moment race
    // (the loser gets EEXIST from cli/local-secrets.ts), which is not what this test is about.
    expect(await engine.recipients()).toHaveLength(1);
    await sql(
      url,
      `create table backups_history (
         seq bigserial primary key, op text not null, id text not null, trigger text not null, status text not null,
         slot timestamptz, at timestamptz not null default clock_timestamp());
       create function record_backup() returns trigger language plpgsql as $$
       begin
         if tg_op = 'DELETE' then
           insert into backups_history (op, id, trigger, status, slot) values (tg_op, old.id, old.trigger, old.status, old.slot);
           return old;
         end if;
         insert into backups_history (op, id, trigger, status, slot) values (tg_op, new.id, new.trigger, new.status, new.slot);
         return new;
       end $$;
       create trigger backups_history after insert or update or delete on backups
         for each row execute function record_backup();`,
    );

    const a = startBackstop('serve A', ['serve', '--config', configPath], url);
    const b = startBackstop('serve B', ['serve', '--config', configPath], url);
    await Promise.all([a, b].map((p) => waitUntilRunning(p, /^Backstop is running on PostgreSQL/m)));
    const bothRunningAt = Date.now();
    await delay(13_000);
    assertAlive(a, b);
    const stoppedAt = Date.now();
    const [codeA, codeB] = await Promise.all([stopGracefully(a), stopGracefully(b)]);
    expect(codeA).toBe(0);
    expect(codeB).toBe(0);
    for (const p of [a, b]) {
      expect(p.stderr()).toMatch(/^Backstop is running on PostgreSQL \(DATABASE_URL\).*1 target configured/m);
      expect(p.stderr()).toMatch(/^Backstop stopped\.$/m);
    }

    const created = await sql<{ id: string; slot: Date | null }>(
      url,
      `select id, slot from backups_history where op = 'INSERT' order by slot, seq`,
    );
    // Every backup was scheduled (nothing else asked for one), each for a distinct slot: no slot was taken twice,
    // not even after retention deleted its first backup.
    expect(created.every((row) => row.slot !== null)).toBe(true);
    const slots = created.map((row) => row.slot!.getTime());
    expect(new Set(slots).size).toBe(slots.length);
    expect(new Set(created.map((row) => row.id)).size).toBe(created.length);
    expect(slots.length).toBeGreaterThanOrEqual(3);
    for (const slot of slots) expect(slot % 3000).toBe(0);
    // Consecutive: no slot missing in the middle ...
    expect(slots.slice(1).map((slot, i) => slot - slots[i]!)).toEqual(slots.slice(1).map(() => 3000));
    // ... and none missing at either end while both ran (two slots of leeway at the stop, for timers at the edge on a loaded machine).
    expect(slots[0]!).toBeLessThanOrEqual(bothRunningAt + 3000);
    expect(slots.at(-1)!).toBeGreaterThanOrEqual(Math.floor(stoppedAt / 3000) * 3000 - 6000);

    // Every backup whose slot is well before the stop completed, once, by one attempt (later ones may have been
    // given back to the queue by the stop, which is right too).
    const settled = created.filter((row) => row.slot!.getTime() <= stoppedAt - 7000).map((row) => row.id);
    expect(settled.length).toBeGreaterThanOrEqual(1);
    const completions = await sql<{ id: string; n: string }>(
      url,
      `select id, count(*) as n from backups_history where op = 'UPDATE' and status = 'completed' group by id`,
    );
    const completedOnce = new Map(completions.map((row) => [row.id, Number(row.n)]));
    for (const id of settled) expect(completedOnce.get(id), `backup ${id} completed once`).toBe(1);
    const operations = await sql<{ subject_id: string; status: string; attempts: number; requested_by: string }>(
      url,
      `select subject_id, status, attempts, requested_by from operations where kind = 'backup'`,
    );
    expect(operations.map((o) => o.subject_id).sort()).toEqual(created.map((row) => row.id).sort());
    for (const id of settled) {
      expect(operations.find((o) => o.subject_id === id)).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        requested_by: 'schedule',
      });
    }
    // What is left in the backups table: distinct slots, each backup completed unless it was still under way.
    const remaining = await sql<{ id: string; slot: Date; status: string }>(
      url,
      `select id, slot, status from backups where trigger = 'scheduled'`,
    );
    expect(remaining.length).toBeGreaterThanOrEqual(1);
    expect(new Set(remaining.map((row) => row.slot.getTime())).size).toBe(remaining.length);
    for (const row of remaining) if (settled.includes(row.id)) expect(row.status).toBe('completed');

    // Each completed backup was run by one process only, once; between them, the two processes ran them all.
    const byA = completedIn(a.stderr());
    const byB = completedIn(b.stderr());
    expect([...byA, ...byB].sort()).toEqual([...completedOnce.keys()].sort());
    for (const id of settled) expect([...byA, ...byB].filter((done) => done === id)).toHaveLength(1);
  }, 120_000);

  test('two worker processes run 50 queued operations, each exactly once', async () => {
    const envs = ['e1', 'e2', 'e3', 'e4', 'e5'];
    const { url, dir, configPath, store } = await setUp('queue', (d) =>
      [
        `dataDir: ${d}/data`,
        'logs: { format: text }', // read line by line below
        `storage: { dir: ${d}/store }`,
        'workers: { concurrency: 2 }',
        'apps:',
        '  shop:',
        '    environments:',
        ...envs.flatMap((env) => [`      ${env}:`, `        media: ${d}/media-${env}`, '        schedule: off']),
        '',
      ].join('\n'),
    );
    for (const env of envs) writeMedia(join(dir, `media-${env}`), 2, 2048);
    const engine = await openEngine(configPath, url, dir);
    // Make the generated key and the link secret here first: two processes creating them at the same moment race
    // (the loser gets EEXIST from cli/local-secrets.ts), which is not what this test is about.
    expect(await engine.recipients()).toHaveLength(1);
    const queued: Array<{ id: string; env: string }> = [];
    for (let i = 0; i < 50; i++) {
      const env = envs[i % envs.length]!;
      const { backup } = await enqueueBackup(engine, {
        app: 'shop',
        env,
        trigger: 'on-demand',
        parts: 'media',
        note: `number ${i}`,
        requestedBy: 'test',
      });
      queued.push({ id: backup.id, env });
    }

    const a = startBackstop('worker A', ['worker', '--config', configPath], url);
    const b = startBackstop('worker B', ['worker', '--config', configPath], url);
    await waitFor(
      'all 50 operations to succeed',
      async () => {
        const rows = await sql<{ status: string; n: string }>(
          url,
          'select status, count(*) as n from operations group by status',
        );
        const counts = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
        if ((counts['failed'] ?? 0) > 0 || (counts['cancelled'] ?? 0) > 0) {
          throw new Error(`operations ended badly: ${JSON.stringify(counts)}`);
        }
        if (counts['succeeded'] === 50) return true;
        assertAlive(a, b);
        return undefined;
      },
      90_000,
      200,
    );
    const [codeA, codeB] = await Promise.all([stopGracefully(a), stopGracefully(b)]);
    expect(codeA).toBe(0);
    expect(codeB).toBe(0);
    for (const p of [a, b]) expect(p.stderr()).toMatch(/^Backstop worker \S+ is running 2 operations at a time/m);

    const operations = await sql<{ subject_id: string; status: string; attempts: number; lease_owner: string | null }>(
      url,
      `select subject_id, status, attempts, lease_owner from operations`,
    );
    expect(operations).toHaveLength(50);
    for (const operation of operations) {
      expect(operation).toMatchObject({ status: 'succeeded', attempts: 1, lease_owner: null });
    }
    expect(operations.map((o) => o.subject_id).sort()).toEqual(queued.map((q) => q.id).sort());

    const backups = await sql<{ id: string; env: string; status: string }>(url, 'select id, env, status from backups');
    expect(backups).toHaveLength(50);
    for (const backup of backups) expect(backup.status).toBe('completed');
    const parts = await sql<{ backup_id: string; key: string }>(url, 'select backup_id, key from backup_parts');
    expect(parts.map((p) => p.key).sort()).toEqual(queued.map((q) => `shop/${q.env}/${q.id}/media.tar.age`).sort());
    // The store holds each backup's two objects, once, and nothing else (no temporary files, no stray attempts).
    const expected = queued.flatMap((q) => [
      `shop/${q.env}/${q.id}/backup.json`,
      `shop/${q.env}/${q.id}/media.tar.age`,
    ]);
    expect(await filesUnder(store)).toEqual(expected.sort());

    // Each backup was run by exactly one of the two processes, once, and both took part.
    const byA = completedIn(a.stderr());
    const byB = completedIn(b.stderr());
    expect([...byA, ...byB].sort()).toEqual(queued.map((q) => q.id).sort());
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  }, 150_000);

  test('a worker killed mid-backup: another takes it over after the lease and leaves no object of the first attempt', async () => {
    const { url, dir, configPath, store } = await setUp('kill', (d) =>
      [
        `dataDir: ${d}/data`,
        'logs: { format: text }', // read line by line below
        `storage: { dir: ${d}/store }`,
        'workers: { concurrency: 1, leaseSeconds: 2 }',
        'apps:',
        '  shop:',
        '    environments:',
        '      live:',
        `        media: ${d}/media`,
        '        schedule: off',
        '',
      ].join('\n'),
    );
    // 600 MB (media is not compressed, so one random block repeated is as slow to back up as all-random bytes): a
    // backup of a few seconds here, long enough to be caught in the middle.
    const media = join(dir, 'media');
    mkdirSync(media);
    const block = randomBytes(50_000_000);
    for (let i = 0; i < 12; i++) writeFileSync(join(media, `video-${i}.bin`), block);

    const engine = await openEngine(configPath, url, dir);
    const first = startBackstop('worker A (killed)', ['worker', '--config', configPath], url);
    await waitUntilRunning(first, /^Backstop worker \S+ is running/m);
    const { backup, operation } = await enqueueBackup(engine, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'media',
      note: null,
      requestedBy: 'test',
    });
    const folder = join(store, 'shop', 'live', backup.id);

    await waitFor(
      'the backup to be under way with progress recorded',
      async () => {
        const [row] = await sql<{ status: string; bytes_done: string }>(
          url,
          'select status, bytes_done from operations where id = $1',
          [operation.id],
        );
        if (row?.status === 'running' && Number(row.bytes_done) > 0) return true;
        if (row?.status !== 'queued' && row?.status !== 'running') throw new Error(`operation ${row?.status}`);
        assertAlive(first);
        return undefined;
      },
      60_000,
      25,
    );
    first.child.kill('SIGKILL');
    expect(await first.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(completedIn(first.stderr())).toEqual([]);
    // The abandoned attempt left a partial object behind, which the next attempt must remove.
    const leftBehind = await filesUnder(folder);
    expect(leftBehind.length).toBeGreaterThan(0);

    const second = startBackstop('worker B', ['worker', '--config', configPath], url);
    await waitFor(
      'the operation to succeed on the second worker',
      async () => {
        const [row] = await sql<{ status: string }>(url, 'select status from operations where id = $1', [operation.id]);
        if (row?.status === 'succeeded') return true;
        if (row?.status !== 'queued' && row?.status !== 'running') throw new Error(`operation ${row?.status}`);
        assertAlive(second);
        return undefined;
      },
      60_000,
      200,
    );
    expect(await stopGracefully(second)).toBe(0);
    expect(completedIn(second.stderr())).toEqual([backup.id]);

    const [finished] = await sql<{ status: string; attempts: number; lease_owner: string | null }>(
      url,
      'select status, attempts, lease_owner from operations where id = $1',
      [operation.id],
    );
    expect(finished).toEqual({ status: 'succeeded', attempts: 2, lease_owner: null });
    const [row] = await sql<{ status: string }>(url, 'select status from backups where id = $1', [backup.id]);
    expect(row?.status).toBe('completed');
    // Only the second attempt's objects: no temporary file of the killed attempt (hidden files listed too). Soft, so
    // that a leftover is reported together with the verification below.
    expect
      .soft(await filesUnder(folder), `left behind by the killed attempt: ${leftBehind.join(', ')}`)
      .toEqual(['backup.json', 'media.g2.tar.age']);
    expect
      .soft(await filesUnder(store))
      .toEqual([`shop/live/${backup.id}/backup.json`, `shop/live/${backup.id}/media.g2.tar.age`]);

    const verify = startBackstop('verify', ['verify', backup.id, '--json', '--config', configPath], url);
    const verified = await Promise.race([verify.exit, delay(60_000).then(() => undefined)]);
    expect(verified?.code).toBe(0);
    const report = JSON.parse(verify.stdout());
    expect(report).toMatchObject({
      id: backup.id,
      status: 'completed',
      verification: { ok: true, parts: [{ kind: 'media', ok: true }] },
    });
    expect(report.parts[0].sizeBytes).toBeGreaterThan(600_000_000);
  }, 150_000);
});
