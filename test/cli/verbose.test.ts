import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { exited, mediaServeDir, startServe } from '../support/serve-process.ts';
import { backstopBin } from '../support/terminal.ts';

describe('--verbose logs each step on stderr; stdout stays the answer', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-verbose-'));
  const databases: string[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const live = await createDatabase('verbose_live');
    const staging = await createDatabase('verbose_staging');
    databases.push(live.name, staging.name);
    env = { LIVE_URL: live.url, STAGING_URL: staging.url };
    await sql(live.url, "create table notes (id int primary key, body text); insert into notes values (1, 'hello');");
    mkdirSync(join(cwd, 'media'));
    writeFileSync(join(cwd, 'media', 'logo.png'), Buffer.alloc(3000, 1));
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      `apps:
  shop:
    environments:
      live: { database: "\${LIVE_URL}", media: ./media }
      staging: { database: "\${STAGING_URL}", media: ./staging-media }
`,
    );
  });

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
    rmSync(cwd, { recursive: true, force: true });
  });

  test('create, restore, verify and download say what they do, step by step', async () => {
    const quiet = await runBackstop(['create', 'shop/live', '--json'], { cwd, env });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('reading the');

    const create = await runBackstop(['create', 'shop/live', 'loud', '--json', '--verbose'], { cwd, env });
    expect(create.code).toBe(0);
    const backup = create.json(); // stdout is the one document, nothing else
    expect(create.stderr).toContain(`config: ${join(cwd, 'backstop.yaml')}; state: the embedded state in`);
    // The parts are taken side by side, so their lines interleave; the metadata comes last.
    const created = steps(create.stderr, backup.id);
    expect(created.slice(0, 5).sort()).toEqual([
      `backup ${backup.id}: 1 table, 1 row in the dump's snapshot`,
      expect.stringMatching(new RegExp(`^backup ${backup.id}: db part written \\(\\d+ bytes, \\d+ stored\\)$`)),
      expect.stringMatching(new RegExp(`^backup ${backup.id}: media part written`)),
      expect.stringMatching(new RegExp(`^backup ${backup.id}: reading the db part into shop/live/${backup.id}/db`)),
      expect.stringMatching(new RegExp(`^backup ${backup.id}: reading the media part into`)),
    ]);
    expect(created.slice(5)).toEqual([
      `backup ${backup.id}: writing shop/live/${backup.id}/backup.json, which marks the folder complete`,
      `backup ${backup.id} of shop/live completed`,
    ]);

    const restore = await runBackstop(['restore', backup.id, 'to', 'shop/staging', '--yes', '--verbose'], { cwd, env });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/^Restored db\+media of backup \w+ into shop\/staging/);
    const restoreId = /^restore (\w+): /m.exec(restore.stderr)![1]!;
    expect(steps(restore.stderr, restoreId)).toEqual([
      `restore ${restoreId}: db+media of backup ${backup.id} into shop/staging, after a safety backup of what is there`,
      // The destination holds a database but no media folder yet: the safety backup keeps what there is.
      expect.stringMatching(new RegExp(`^restore ${restoreId}: taking safety backup \\w+ of shop/staging \\(db\\)$`)),
      expect.stringMatching(/: reading the (db|media) part from shop\/live\//),
      expect.stringMatching(/: reading the (db|media) part from shop\/live\//),
      expect.stringMatching(/: the (db|media) part decrypted, authenticated and matched its sha256/),
      expect.stringMatching(/: the (db|media) part decrypted, authenticated and matched its sha256/),
      `restore ${restoreId} of backup ${backup.id} into shop/staging succeeded`,
    ]);

    const verify = await runBackstop(['verify', backup.id, '--verbose'], { cwd, env });
    expect(verify.code).toBe(0);
    expect(steps(verify.stderr, backup.id).filter((line) => line.startsWith('verify'))).toEqual([
      expect.stringMatching(/: reading the db part /),
      expect.stringMatching(/: the db part is ok/),
      expect.stringMatching(/: reading the media part /),
      expect.stringMatching(/: the media part is ok/),
      `verify ${backup.id}: reading backup.json back and checking its signature`,
    ]);

    const download = await runBackstop(['download', backup.id, 'db', '--verbose'], { cwd, env });
    expect(download.code).toBe(0);
    expect(download.stderr).toMatch(/^download \w+ of backup \w+: decrypting the db part into downloads\//m);
    expect(download.stdout).not.toContain('decrypting');
  });
});

/** The lines of `stderr` that speak of `id` (a backup's or restore's own steps). */
function steps(stderr: string, id: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes(`${id}:`) || line.startsWith(`backup ${id} `) || line.startsWith(`restore ${id} `));
}

describe('--verbose of a command handed to a running server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('shows the server’s steps of the work it follows on the terminal that asked', async () => {
    const dir = await mediaServeDir('backstop-verbose-served-', cleanups);
    const serve = await startServe(dir, cleanups);
    const child = spawn(
      process.execPath,
      [backstopBin, 'create', 'media', 'shop/live', '--wait', '--verbose', '--json'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exited(child)).toBe(0);
    const backup = JSON.parse(stdout);
    expect(stderr).toContain(`backup ${backup.id}: reading the media part into shop/live/${backup.id}/media.tar.age`);
    expect(stderr).toContain(`backup ${backup.id} of shop/live completed`);
    // The server logs it too, as it logs all its work.
    expect(serve.stderr()).toContain(`backup ${backup.id} of shop/live completed`);
    serve.child.kill('SIGTERM');
    expect(await serve.done).toBe(0);
  });
});
