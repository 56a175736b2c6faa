import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { mediaServeDir, startServe } from '../support/serve-process.ts';
import { backstopBin, runPiped } from '../support/terminal.ts';

// biome-ignore lint/suspicious/noExplicitAny: one JSON line of any shape, checked by the assertions that read it.
type Line = any;

/** `backstop <args>` as its own process, its stdout read line by line as it comes, each line parsed as JSON. */
function follow(args: string[], options: { cwd: string; env: Record<string, string> }) {
  const child: ChildProcess = spawn(process.execPath, [backstopBin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const waiting: { test: (line: Line) => boolean; resolve: (line: Line) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text); // every line is a whole JSON object, or the test fails here
    lines.push(line);
    for (const waiter of waiting.filter((w) => w.test(line))) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    lines,
    exited,
    stderr: () => stderr,
    hasExited: () => child.exitCode !== null,
    /** The first line (so far or to come) that passes `test`. */
    lineWhere(test: (line: Line) => boolean): Promise<Line> {
      const seen = lines.find(test);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ test, resolve }));
    },
  };
}

describe('--progress json', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-progress-'));
  const databases: string[] = [];
  let env: Record<string, string>;
  let backupId: string;

  beforeAll(async () => {
    const live = await createDatabase('progress_live');
    const staging = await createDatabase('progress_staging');
    databases.push(live.name, staging.name);
    env = { LIVE_URL: live.url, STAGING_URL: staging.url };
    // Every row written into notes passes gate(), which waits while a test holds advisory lock 4242 in that
    // database: a restore can be held after it has read its whole object, while it writes the rows.
    await sql(
      live.url,
      'create function gate() returns boolean language sql as $$ select true from (select pg_advisory_xact_lock(4242)) held $$;' +
        "create table notes (id int primary key, body text check (gate())); insert into notes values (1, 'hello');",
    );
    await sql(staging.url, 'create table stale (x int);');
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      `apps:
  shop:
    environments:
      live: { database: "\${LIVE_URL}" }
      staging: { database: "\${STAGING_URL}" }
`,
    );
  });

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Runs `statement` (taking a lock) on a connection to `url` of its own, and gives the lock back when told. */
  async function hold(url: string, statement: string, release: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(statement);
    let released: Promise<void> | undefined;
    const unlock = () => {
      released ??= client.query(release).then(() => client.end());
      return released;
    };
    holds.push(unlock);
    return unlock;
  }
  const holds: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const unlock of holds.splice(0)) await unlock();
  });

  test('a backup streams its progress as JSON lines while it runs, and ends with the result', async () => {
    // pg_dump waits for the lock, so the backup is seen running before it can end.
    const unlock = await hold(env['LIVE_URL']!, 'begin; lock table notes in access exclusive mode', 'commit');
    const run = follow(['create', 'db', 'shop/live', 'streamed', '--progress', 'json'], { cwd, env });
    const running = await run.lineWhere((line) => line.type === 'progress' && line.status === 'running');
    expect(running).toEqual({
      type: 'progress',
      operationId: expect.any(String),
      kind: 'backup',
      subjectId: expect.any(String),
      target: 'shop/live',
      status: 'running',
      attempt: 1,
      maxAttempts: expect.any(Number),
      phase: null,
      bytesDone: 0,
      bytesExpected: null,
    });
    expect(run.hasExited()).toBe(false);
    expect(run.lines.some((line) => line.type === 'result')).toBe(false);
    await unlock();
    expect(await run.exited).toBe(0);

    const result = run.lines.at(-1);
    expect(result).toEqual({
      type: 'result',
      exitStatus: 0,
      data: expect.objectContaining({ id: running.subjectId, status: 'completed', note: 'streamed' }),
    });
    backupId = result.data.id;
    // Every line before the result is a progress line of the same operation.
    expect(
      run.lines.slice(0, -1).every((line) => line.type === 'progress' && line.operationId === running.operationId),
    ).toBe(true);
    expect(run.lines.filter((line) => line.type === 'result')).toHaveLength(1);
  });

  test('a restore reports its phase and bytes on the way', async () => {
    // The restore reads the whole (small) object, then waits while writing the rows (see gate()).
    const unlock = await hold(env['STAGING_URL']!, 'select pg_advisory_lock(4242)', 'select pg_advisory_unlock(4242)');
    const run = follow(['restore', backupId, 'to', 'shop/staging', '--yes', '--no-safety-backup', '--progress=json'], {
      cwd,
      env,
    });
    const reading = await run.lineWhere((line) => line.type === 'progress' && line.bytesDone > 0);
    expect(reading).toMatchObject({ kind: 'restore', status: 'running', phase: expect.any(String) });
    expect(run.hasExited()).toBe(false);
    await unlock();
    expect(await run.exited).toBe(0);
    expect(run.lines.at(-1)).toEqual({
      type: 'result',
      exitStatus: 0,
      data: expect.objectContaining({ backupId, status: 'succeeded', destination: { app: 'shop', env: 'staging' } }),
    });
    expect(await sql(env['STAGING_URL']!, 'select body from notes')).toEqual([{ body: 'hello' }]);
  });

  test('a failure and a usage error end with a result line holding the error shape', async () => {
    const failed = follow(['create', 'db', 'shop/staging', '--progress', 'json'], {
      cwd,
      env: { ...env, STAGING_URL: `${env['STAGING_URL']}_missing` },
    });
    expect(await failed.exited).toBe(1);
    expect(failed.lines.at(-1)).toEqual({
      type: 'result',
      exitStatus: 1,
      data: expect.objectContaining({ status: 'failed', error: expect.stringContaining('does not exist') }),
    });
    const usage = await runPiped(['show', '--progress', 'json'], { cwd, env });
    expect(usage.code).toBe(2);
    expect(
      usage.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([{ type: 'result', exitStatus: 2, data: { error: { code: 'usage', message: expect.any(String) } } }]);
  });

  test('--json --wait still prints one document at the end, and no progress', async () => {
    const run = await runPiped(['create', 'db', 'shop/live', '--json', '--wait'], { cwd, env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', parts: [{ kind: 'db' }] });
    expect(run.stdout).not.toContain('"type"');
  });
});

describe('--progress json of a command handed to a running server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('the server writes the progress lines and the result line to the terminal that asked', async () => {
    const dir = await mediaServeDir('backstop-progress-served-', cleanups);
    const serve = await startServe(dir, cleanups);
    const run = follow(['create', 'media', 'shop/live', '--progress', 'json'], { cwd: dir, env: {} });
    expect(await run.exited).toBe(0);
    const result = run.lines.at(-1);
    expect(result).toEqual({
      type: 'result',
      exitStatus: 0,
      data: expect.objectContaining({ status: 'completed', parts: [expect.objectContaining({ kind: 'media' })] }),
    });
    const progress = run.lines.slice(0, -1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual(
      progress.map(() =>
        expect.objectContaining({ type: 'progress', kind: 'backup', subjectId: result.data.id, target: 'shop/live' }),
      ),
    );
    expect(progress.at(-1).status).toBe('succeeded');
    serve.child.kill('SIGTERM');
    expect(await serve.done).toBe(0);
  });
});
