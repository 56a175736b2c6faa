import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { readTable } from '../support/text-table.ts';

/** The backup.json of backup `id` wherever the store keeps it below `root`. */
function backupJsonOf(root: string, id: string): Record<string, unknown> {
  const found = readdirSync(root, { recursive: true, encoding: 'utf8' }).find((path) =>
    path.endsWith(`${id}/backup.json`),
  );
  if (found === undefined) throw new Error(`no backup.json of ${id} below ${root}`);
  return JSON.parse(readFileSync(join(root, found), 'utf8')) as Record<string, unknown>;
}

describe('what a backup holds: rows left out and the code version', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-holds-'));
  const databases: string[] = [];
  let liveUrl: string;
  let stagingUrl: string;

  beforeAll(async () => {
    const live = await createDatabase('holds_live');
    const staging = await createDatabase('holds_staging');
    databases.push(live.name, staging.name);
    liveUrl = live.url;
    stagingUrl = staging.url;
    await sql(
      liveUrl,
      `create schema audit;
       create table orders (id int primary key, total numeric); insert into orders values (1, 9.5), (2, 12);
       create table django_session (session_key text primary key, data text);
       insert into django_session values ('k1', 'secret'), ('k2', 'secret');
       create table log_requests (id int); insert into log_requests select generate_series(1, 500);
       create table audit.entries (id int); insert into audit.entries values (1);`,
    );
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      `apps:
  shop:
    environments:
      live:
        database: "\${LIVE_URL}"
        excludeTableData: [django_session, "log_*", sesions]
        codeVersion: { command: "printf '%s\\\\n' 4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d" }
      staging:
        database: "\${STAGING_URL}"
        codeVersion: { env: APP_REVISION }
`,
    );
  });

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
    rmSync(cwd, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({ LIVE_URL: liveUrl, STAGING_URL: stagingUrl, ...extra });

  test('the rows of excluded tables are left out, said everywhere, and a restore leaves those tables empty', async () => {
    const create = await runBackstop(['create', 'db', 'shop/live', '--json'], { cwd, env: env() });
    expect(create.code).toBe(0);
    // A pattern that matches nothing is said even without --verbose: it is most likely a misspelt table.
    expect(create.stderr).toContain('the excludeTableData pattern "sesions" matched no table');
    const backup = create.json();
    expect(backup.codeVersion).toBe('4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d');
    expect(backup.parts[0].tablesWithoutRows).toEqual(['public.django_session', 'public.log_requests']);
    expect(backup.parts[0].tableRows).toEqual({
      'audit.entries': 1,
      'public.django_session': 0,
      'public.log_requests': 0,
      'public.orders': 2,
    });

    const written = backupJsonOf(cwd, backup.id);
    expect(written['codeVersion']).toBe('4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d');
    expect((written['objects'] as { tablesWithoutRows?: string[] }[])[0]!.tablesWithoutRows).toEqual([
      'public.django_session',
      'public.log_requests',
    ]);

    const show = await runBackstop(['show', backup.id], { cwd, env: env() });
    expect(show.stdout).toContain('code:      4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d');
    expect(show.stdout).toContain('without the rows of public.django_session, public.log_requests (excludeTableData)');
    expect(show.stdout).toContain('4 tables, 3 rows as of the dump');
    const list = await runBackstop(['list', 'shop/live'], { cwd, env: env() });
    expect(readTable(list.stdout, 'ID')).toEqual([
      expect.objectContaining({ ID: backup.id, PARTS: 'db (2 tables without rows)', CODE: '4f2c9e1d8a7b' }),
    ]);

    const restore = await runBackstop(['restore', backup.id, 'to', 'shop/staging', '--yes', '--json'], {
      cwd,
      env: env({ APP_REVISION: 'staging-before-restore' }),
    });
    expect(restore.code).toBe(0);
    expect(await sql(stagingUrl, 'select id, total::text from orders order by id')).toEqual([
      { id: 1, total: '9.5' },
      { id: 2, total: '12' },
    ]);
    expect(await sql(stagingUrl, 'select count(*)::int as n from django_session')).toEqual([{ n: 0 }]);
    expect(await sql(stagingUrl, 'select count(*)::int as n from log_requests')).toEqual([{ n: 0 }]);
    expect(await sql(stagingUrl, 'select count(*)::int as n from audit.entries')).toEqual([{ n: 1 }]);
    // The tables themselves are kept, with their keys: the application finds them as it expects.
    expect(
      await sql(stagingUrl, "select count(*)::int as n from pg_indexes where tablename = 'django_session'"),
    ).toEqual([{ n: 1 }]);

    // The safety backup of staging took staging's own version from the environment of the process taking it.
    const safety = await runBackstop(['show', restore.json().safetyBackupId, '--json'], { cwd, env: env() });
    expect(safety.json().codeVersion).toBe('staging-before-restore');
    expect(safety.json().parts[0].tablesWithoutRows).toEqual([]);
  });

  test('a version that cannot be read leaves the backup without one, and it is still taken', async () => {
    const create = await runBackstop(['create', 'db', 'shop/staging', '--json'], { cwd, env: env() });
    expect(create.code).toBe(0);
    expect(create.json()).toMatchObject({ status: 'completed', codeVersion: null });
    expect(create.stderr).toContain(
      "taken without the application's code version: APP_REVISION is not set in the environment of the process taking the backup",
    );
    const show = await runBackstop(['show', create.json().id], { cwd, env: env() });
    expect(show.stdout).not.toContain('code:');
  });
});
