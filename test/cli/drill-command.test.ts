import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { adminUrl, createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { freePort, startServe } from '../support/serve-process.ts';
import { readTable } from '../support/text-table.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');

/**
 * The drills' scratch databases on the test server of the given operations (other test files drill on the same server
 * at the same time: only this file's own are looked at).
 */
async function scratchDatabases(operationIds: readonly string[]): Promise<string[]> {
  const rows = await sql<{ name: string }>(
    adminUrl,
    "select datname as name from pg_database where starts_with(datname, 'backstop_drill_')",
  );
  return rows.map((r) => r.name).filter((name) => operationIds.some((id) => name.startsWith(`backstop_drill_${id}`)));
}

/** The operations whose scratch directories are in `drills` now (a directory is named like its database). */
function operationsIn(drills: string): string[] {
  return existsSync(drills)
    ? readdirSync(drills).map((name) => name.replace(/^backstop_drill_/, '').replace(/_g\d+$/, ''))
    : [];
}

/** Resolves once `condition` holds, checking every few milliseconds while the child runs. */
async function until(child: ChildProcess, condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (child.exitCode !== null) throw new Error(`the command ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('backstop drill', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-drill-cli-'));
  let database: { name: string; url: string };
  const drills = join(cwd, '.backstop', 'drills');

  beforeAll(async () => {
    database = await createDatabase('cli_drilled');
    await sql(
      database.url,
      `create table orders (id int primary key); insert into orders select generate_series(1, 300);
       create table auth_user (id int); insert into auth_user values (1);`,
    );
    mkdirSync(join(cwd, 'media'));
    writeFileSync(join(cwd, 'media', 'small.txt'), 'hello');
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      `apps:
  shop:
    environments:
      live:
        database: "\${LIVE_URL}"
        media: ./media
        drill: { checks: ["select count(*) > 0 from auth_user"] }
workers: { leaseSeconds: 2 }
`,
    );
  });

  afterAll(async () => {
    await dropDatabase(database.name);
    rmSync(cwd, { recursive: true, force: true });
  });

  const env = () => ({ LIVE_URL: database.url });

  test('drills the newest backup of a target; show, list and --json say it was proven restorable', async () => {
    const created = await runBackstop(['create', 'shop/live', '--json'], { cwd, env: env() });
    expect(created.code, created.stderr).toBe(0);
    const id = created.json().id as string;
    const drilled = await runBackstop(['drill', 'shop/live', '--json'], { cwd, env: env() });
    expect(drilled.code, drilled.stderr).toBe(0);
    expect(drilled.json()).toMatchObject({ backupId: id, status: 'succeeded', error: null });
    const drill = await runBackstop(['show', drilled.json().id], { cwd, env: env() });
    expect(drill.stdout).toMatch(
      new RegExp(`^Drill ${drilled.json().id} of backup ${id} of shop/live: proven restorable \\(in [\\d.]+ s\\)`),
    );
    // The terminal writes when in the reader's zone, relative within a day; the drill's duration comes first.
    const shown = await runBackstop(['show', id], { cwd, env: env() });
    expect(shown.stdout).toMatch(
      /^ {2}drill: +proven restorable in [\d.]+ s, at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \((just now|\d+ min ago)\)$/m,
    );
    const listed = await runBackstop(['list', 'shop/live'], { cwd, env: env() });
    expect(readTable(listed.stdout, 'ID')).toEqual([
      expect.objectContaining({
        ID: id,
        DRILL: expect.stringMatching(/^proven restorable in [\d.]+ s, (just now|\d+ min ago)$/),
      }),
    ]);
    const schedule = await runBackstop(['schedule', 'shop/live'], { cwd, env: env() });
    expect(readTable(schedule.stdout, 'TARGET')).toEqual([
      expect.objectContaining({
        TARGET: 'shop/live',
        DRILLS: 'off',
        'NEXT DRILL': '',
        'LAST PROVEN RESTORABLE': expect.stringMatching(new RegExp(`^${id} in [\\d.]+ s, (just now|\\d+ min ago)$`)),
      }),
    ]);
    const json = (await runBackstop(['show', id, '--json'], { cwd, env: env() })).json();
    expect(json.provenAt).toEqual(expect.any(String));
    expect(json.proofError).toBeNull();
    expect(await scratchDatabases([drilled.json().operationId])).toEqual([]);
    expect(readdirSync(drills)).toEqual([]);
  }, 120_000);

  test('a mistyped target or a missing argument is answered with the usage line', async () => {
    const wrong = await runBackstop(['drill', 'shop/lvie'], { cwd, env: env() });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Unknown target shop\/lvie\. Did you mean shop\/live\?/);
    const bare = await runBackstop(['drill'], { cwd, env: env() });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('drill needs a backup id (see list) or a target app/env (configured: shop/live).');
    // An app where a backup id or a target goes: its targets are what was meant.
    const app = await runBackstop(['drill', 'shop'], { cwd, env: env() });
    expect(app.code).toBe(2);
    expect(app.stderr).toContain("'shop' is an app, not a backup id: drill one of its targets, e.g. drill shop/live");
  });

  test('SIGKILL mid-drill: the next drill removes what the killed one left, and no scratch space stays', async () => {
    // Media large enough (sparse: no disk) that the drill is still restoring when it is killed.
    writeFileSync(join(cwd, 'media', 'big.bin'), '');
    truncateSync(join(cwd, 'media', 'big.bin'), 512 * 1024 ** 2);
    try {
      const created = await runBackstop(['create', 'shop/live', '--json'], { cwd, env: env() });
      expect(created.code, created.stderr).toBe(0);
      const id = created.json().id as string;
      const child = spawn(process.execPath, [bin, 'drill', id], {
        cwd,
        env: { ...process.env, ...env() },
        stdio: 'pipe',
      });
      child.stderr.resume();
      child.stdout.resume();
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      await until(
        child,
        async () => operationsIn(drills).length > 0 && (await scratchDatabases(operationsIn(drills))).length > 0,
        'scratch database and directory',
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const killedOperations = operationsIn(drills);
      expect(killedOperations).toHaveLength(1);
      expect(await scratchDatabases(killedOperations)).toHaveLength(1);

      // The next drill first finishes the killed one (its lease ran out; another attempt runs it), then its own.
      // It says what it waits for rather than waiting in silence.
      const again = await runBackstop(['drill', id], { cwd, env: env() });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/proven restorable/);
      expect(again.stderr).toMatch(
        /Waiting for operation (\w+) \(drill, running since .+\) ahead of this one in drill:127\.0\.0\.1:5432; if the process running it was killed, it is taken over when its lease runs out \((now|in \d+ s)\)/,
      );
      // ...and when that one is out of the way.
      const killed = /Waiting for operation (\w+)/.exec(again.stderr)![1];
      expect(again.stderr).toMatch(
        new RegExp(`Operation ${killed} \\(drill\\) has succeeded, taken over on attempt \\d; this one goes on\\.`),
      );
      expect(readdirSync(drills)).toEqual([]);
      const status = await runBackstop(['status', '--all', '--json'], { cwd, env: env() });
      const drillOps = status.json().filter((o: { kind: string }) => o.kind === 'drill');
      expect(drillOps.map((o: { status: string }) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(await scratchDatabases(drillOps.map((o: { id: string }) => o.id))).toEqual([]);
    } finally {
      rmSync(join(cwd, 'media', 'big.bin'), { force: true });
    }
  }, 180_000);
});

describe('backstop serve at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-drill-serve-'));
  const cleanups: Array<() => Promise<void> | void> = [];
  let database: { name: string; url: string };

  beforeAll(async () => {
    database = await createDatabase('serve_drilled');
    await sql(database.url, 'create table orders (id int); insert into orders values (1), (2);');
    writeFileSync(
      join(dir, 'backstop.yaml'),
      `apps: { shop: { environments: { live: { database: "${database.url}" } } } }\nhttp: { port: ${await freePort()} }\n`,
    );
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await dropDatabase(database.name);
    rmSync(dir, { recursive: true, force: true });
  });

  test('removes the scratch database and directory of a drill whose operation has ended, before it runs', async () => {
    const created = await runBackstop(['create', 'shop/live', '--json'], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const drilled = await runBackstop(['drill', created.json().id, '--json'], { cwd: dir });
    expect(drilled.json()).toMatchObject({ status: 'succeeded' });
    // What a drill killed past its cleanup would have left: its operation ended (here, long done).
    const left = `backstop_drill_${drilled.json().operationId}`;
    await sql(adminUrl, `create database "${left}"`);
    cleanups.push(() => sql(adminUrl, `drop database if exists "${left}"`).then(() => undefined));
    mkdirSync(join(dir, '.backstop', 'drills', left, 'media'), { recursive: true });

    const { child, done, stderr } = await startServe(dir, cleanups);
    expect(await scratchDatabases([drilled.json().operationId])).not.toContain(left);
    expect(readdirSync(join(dir, '.backstop', 'drills'))).toEqual([]);
    expect(stderr()).toContain(`removed the scratch database ${left} on 127.0.0.1:5432`);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
  }, 120_000);
});
