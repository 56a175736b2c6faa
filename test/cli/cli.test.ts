import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { readTable } from '../support/text-table.ts';

describe('the backstop command without configuration', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-cli-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test('with no words it prints the usage and exits 2; help and --help succeed', async () => {
    const run = await runBackstop([], { cwd });
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toContain('backstop: a command is needed.');
    expect(run.stderr).toContain('backstop restore <id> [db|media|db+media] [to <app/env>] [--no-safety-backup]');
    expect(run.stderr).toContain('backstop keygen');
    const json = await runBackstop(['--json'], { cwd });
    expect([json.code, json.json()]).toEqual([2, { error: { code: 'usage', message: expect.any(String) } }]);
    for (const asked of [['help'], ['--help']]) {
      const help = await runBackstop(asked, { cwd });
      expect([asked, help.code, help.stderr]).toEqual([asked, 0, '']);
      expect(help.stdout).toContain('backstop restore <id> [db|media|db+media] [to <app/env>] [--no-safety-backup]');
    }
  });

  test('every refusal prints the error shape on stdout under --json and exits 2', async () => {
    writeFileSync(join(cwd, 'not-age.bin'), 'not an age file');
    const cases: [string[], string][] = [
      [['restor', '7k3qx2'], 'usage'],
      [['show'], 'usage'],
      [['create', 'shop/live', '--jsn'], 'usage'],
      [['help', 'nosuch'], 'usage'],
      [['--config'], 'usage'],
      [['--config', 'nope.yaml', 'list'], 'config-missing'],
      [['catalog', 'rebild'], 'usage'],
      [['keygen', '--force'], 'usage'],
      [['decrypt'], 'usage'],
      [['decrypt', 'missing.age', '-i', 'some.key'], 'file-not-found'],
      [['decrypt', 'not-age.bin', '-i', 'missing.key', '-o', 'out'], 'bad-identity'],
      [['decrypt', 'not-age.bin', '-i', 'some.key', '-o', 'no-such-folder/out'], 'file-not-found'],
      [['retention', 'simulate'], 'usage'],
      [['token'], 'usage'],
      [['audit', '--bogus'], 'usage'],
      [['keys'], 'usage'],
      [['keys', 'retire', 'age1xyz'], 'usage'],
      [['discord', 'register'], 'discord-config'],
      [['serve', '--jsno'], 'usage'],
    ];
    for (const [args, code] of cases) {
      const run = await runBackstop(['--json', ...args], { cwd });
      expect([args, run.code, run.json()]).toEqual([args, 2, { error: { code, message: expect.any(String) } }]);
      expect(run.stderr).toContain(run.json().error.message);
      expect(run.stderr).not.toContain('unexpected error');
    }
    // Admin commands suggest the flag meant too.
    const mistyped: [string[], string][] = [
      [['serve', '--wiat'], "unexpected '--wiat': did you mean '--wait'?"],
      [['token', 'create', '--nmae', 'ci'], "unexpected '--nmae': did you mean '--name'?"],
      [['retention', 'simulate', '--day', '7'], "unexpected '--day': did you mean '--days'?"],
      [['audit', '--limt', '5'], "unexpected '--limt': did you mean '--limit'?"],
      [['keygen', '--ouptut', 'x.key'], "unexpected '--ouptut': did you mean '--output'?"],
    ];
    for (const [args, message] of mistyped) {
      const run = await runBackstop(args, { cwd });
      expect([args, run.code, run.stderr]).toEqual([args, 2, expect.stringContaining(`backstop: ${message}\n`)]);
    }
    // None of these opened a state here.
    expect(existsSync(join(cwd, '.backstop'))).toBe(false);
  });

  test('a missing file or key is a usage error that names it', async () => {
    const input = await runBackstop(['decrypt', 'missing.age', '-i', 'some.key', '-o', 'out'], { cwd });
    expect([input.code, input.stderr]).toEqual([
      2,
      `backstop: ${join(cwd, 'missing.age')} does not exist (or is not a file): nothing to decrypt\n`,
    ]);
    const key = await runBackstop(['decrypt', 'not-age.bin', '-i', 'missing.key', '-o', 'out'], { cwd });
    expect([key.code, key.stderr]).toEqual([
      2,
      `backstop: the identity file ${join(cwd, 'missing.key')} does not exist: check the path (backstop keygen makes one)\n`,
    ]);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  test('a configuration that serve refuses at start exits 2, with the error shape under --json', async () => {
    writeFileSync(
      join(cwd, 'chat.yaml'),
      'dataDir: ./chat-data\nhttp: { port: 0 }\nchat: { slack: { signingSecret: " ", botToken: xoxb-1 } }\n',
    );
    const run = await runBackstop(['--config', 'chat.yaml', 'serve', '--json'], { cwd });
    expect([run.code, run.json()]).toEqual([
      2,
      {
        error: { code: 'slack-config-invalid', message: expect.stringContaining('chat.slack.signingSecret is empty') },
      },
    ]);
    rmSync(join(cwd, 'chat-data'), { recursive: true, force: true });
  });

  test('a mistyped command gets a suggestion and exit status 2', async () => {
    const run = await runBackstop(['restor', '7k3qx2'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'restor': did you mean 'restore'?");
  });

  test('a usage error shows the command usage line', async () => {
    const run = await runBackstop(['show'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: backstop show <id>');
  });

  test('--help on a command shows its usage and runs nothing', async () => {
    const run = await runBackstop(['restore', '--help'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: backstop restore <id>/);
    expect(existsSync(join(cwd, '.backstop'))).toBe(false);
  });

  test('a configuration error exits 2 and names the file and line', async () => {
    writeFileSync(join(cwd, 'bad.yaml'), 'apps:\n  shop:\n    environmnets: {}\n');
    const run = await runBackstop(['--config', 'bad.yaml', 'list'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${join(cwd, 'bad.yaml')}:3: apps.shop: unknown key 'environmnets' (did you mean 'environments'?)`,
    );
  });

  test('a source the config sets up wrong is refused at start; one that is merely unreachable is not', async () => {
    mkdirSync(join(cwd, 'files'), { recursive: true });
    writeFileSync(
      join(cwd, 'sources.yaml'),
      'apps:\n  shop:\n    environments:\n' +
        '      live: { database: "postgres://ana:s3cret@db.example:99999/shop" }\n' +
        '      test: { media: ./files }\n',
    );
    const wrong = await runBackstop(['--config', 'sources.yaml', 'list'], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('apps.shop.environments.live.database: The database URL is not valid');
    expect(wrong.stderr).not.toContain('s3cret');

    writeFileSync(
      join(cwd, 'sources.yaml'),
      'apps:\n  shop:\n    environments:\n' +
        '      live: { database: "postgres://ana@127.0.0.1:1/shop" }\n' +
        '      test: { media: ./files }\n',
    );
    const unreachable = await runBackstop(['--config', 'sources.yaml', 'list', '--json'], { cwd });
    expect([unreachable.code, unreachable.json()]).toEqual([0, []]);
  });

  test('restore of an id that names nothing exits 2 whichever way it is run', async () => {
    writeFileSync(
      join(cwd, 'none.yaml'),
      'dataDir: ./none-data\napps: { shop: { environments: { live: { media: ./m } } } }\n',
    );
    for (const flags of [[], ['--json'], ['--yes']]) {
      const run = await runBackstop(['--config', 'none.yaml', 'restore', 'nosuch', ...flags], { cwd });
      expect([flags, run.code]).toEqual([flags, 2]);
      expect(run.stderr).toContain('There is no backup nosuch');
    }
  });

  test('an unknown target is refused with the configured ones listed', async () => {
    writeFileSync(
      join(cwd, 'one.yaml'),
      'dataDir: ./one-data\napps: { shop: { environments: { live: { media: ./m } } } }\n',
    );
    const run = await runBackstop(['--config', 'one.yaml', 'create', 'media', 'shop/lvie'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown target shop/lvie. Did you mean shop/live?');
  });

  test('keygen writes an identity the age CLI decrypts with, and decrypt reads what age encrypted', async () => {
    const keygen = await runBackstop(['keygen', '-o', 'keys/me.key', '--json'], { cwd });
    expect(keygen.code).toBe(0);
    const { recipient, identityFile } = keygen.json();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(readFileSync(identityFile, 'utf8')).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
    expect((await runBackstop(['keygen', '-o', 'keys/me.key'], { cwd })).code).toBe(2);

    const secret = Buffer.from('plaintext for the age CLI\n'.repeat(5000));
    const encrypted = execFileSync('age', ['-r', recipient], { input: secret });
    writeFileSync(join(cwd, 'object.age'), encrypted);
    const decrypt = await runBackstop(['decrypt', 'object.age', '-i', 'keys/me.key', '-o', 'plain.out'], { cwd });
    expect(decrypt.code).toBe(0);
    expect(readFileSync(join(cwd, 'plain.out'))).toEqual(secret);
    expect(execFileSync('age', ['-d', '-i', identityFile], { input: encrypted })).toEqual(secret);

    const damaged = Buffer.from(encrypted);
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 0xff;
    writeFileSync(join(cwd, 'damaged.age'), damaged);
    const refused = await runBackstop(['decrypt', 'damaged.age', '-i', 'keys/me.key', '-o', 'damaged.out'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/altered|damaged/);
    expect(existsSync(join(cwd, 'damaged.out'))).toBe(false);
  });
});

describe('the backstop command in a fresh directory', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-cli-fresh-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  const notice = `No config file: ${join(cwd, 'backstop.yaml')} does not exist, so the built-in defaults are used`;

  test('reading commands answer that there is nothing yet, say once that defaults are used, and create nothing', async () => {
    const answers: [string[], number, string][] = [
      [['list'], 0, 'No backups yet.'],
      [['status'], 0, 'Nothing is queued or running.'],
      [['status', '--all'], 0, 'Nothing has finished yet.'],
      [['schedule'], 0, 'No targets are configured.'],
      [['audit'], 0, 'Nothing in the audit log yet.'],
      [['show', '7k3qx2'], 2, 'There is no backup 7k3qx2'],
    ];
    for (const [args, code, text] of answers) {
      const run = await runBackstop(args, { cwd });
      expect([args, run.code, `${run.stdout}${run.stderr}`]).toEqual([args, code, expect.stringContaining(text)]);
      expect(run.stderr.split(notice)).toHaveLength(2);
    }
    expect((await runBackstop(['list', '--json'], { cwd })).json()).toEqual([]);
    expect((await runBackstop(['status', '--all', '--json'], { cwd })).json()).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('help, version and keygen need no config and say nothing of it', async () => {
    for (const args of [['help'], ['version'], ['keygen', '-o', 'k/me.key']]) {
      const run = await runBackstop(args, { cwd });
      expect([args, run.code, run.stderr]).toEqual([args, 0, '']);
    }
    rmSync(join(cwd, 'k'), { recursive: true });
  });
});

describe('the backstop command on a configured app', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-cli-app-'));
  const databases: string[] = [];
  let liveUrl: string;
  let stagingUrl: string;

  beforeAll(async () => {
    const live = await createDatabase('cli_live');
    const staging = await createDatabase('cli_staging');
    databases.push(live.name, staging.name);
    liveUrl = live.url;
    stagingUrl = staging.url;
    await sql(
      liveUrl,
      "create table notes (id int primary key, body text); insert into notes values (1, 'hello'), (2, 'Grüße');",
    );
    await sql(stagingUrl, 'create table stale (x int);');
    mkdirSync(join(cwd, 'media', 'live'), { recursive: true });
    writeFileSync(join(cwd, 'media', 'live', 'logo.png'), Buffer.alloc(5000, 3));
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      `apps:
  shop:
    environments:
      live: { database: "\${LIVE_URL}", media: ./media/live }
      staging: { database: "\${STAGING_URL}", media: ./media/staging }
      broken: { database: "\${LIVE_URL}_missing" }
`,
    );
  });

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
    rmSync(cwd, { recursive: true, force: true });
  });

  const env = () => ({ LIVE_URL: liveUrl, STAGING_URL: stagingUrl });

  test('create, list, show, restore and verify speak the --json contract', async () => {
    const create = await runBackstop(['create', 'db+media', 'shop/live', 'before deploy', '--json'], {
      cwd,
      env: env(),
    });
    expect(create.code).toBe(0);
    const backup = create.json();
    expect(backup).toMatchObject({
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      status: 'completed',
      note: 'before deploy',
      requestedBy: expect.stringMatching(/^cli:/),
      pinned: false,
      parts: [
        {
          kind: 'db',
          key: `shop/live/${backup.id}/db.dump.age`,
          sizeBytes: expect.any(Number),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
        {
          kind: 'media',
          key: `shop/live/${backup.id}/media.tar.age`,
          sizeBytes: expect.any(Number),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ],
    });
    expect(create.stderr).toContain('Generated a new encryption key');

    const list = await runBackstop(['list', '--json'], { cwd, env: env() });
    expect(list.json().map((b: { id: string }) => b.id)).toEqual([backup.id]);
    expect(list.json()[0].retention).toEqual({ keep: true, reason: expect.stringContaining('3 newest') });
    const listText = await runBackstop(['list', 'shop/live'], { cwd, env: env() });
    expect(readTable(listText.stdout, 'ID')).toEqual([
      {
        ID: backup.id,
        TARGET: 'shop/live',
        CREATED: expect.stringMatching(/^(just now|\d+ min ago)$/),
        TRIGGER: 'on-demand',
        PARTS: 'db+media',
        SIZE: expect.stringMatching(/^\d+(\.\d)? KB$/),
        STATUS: 'completed',
        RETENTION: 'one of 3 newest',
        NOTE: 'before deploy',
      },
    ]);

    const show = await runBackstop(['show', backup.id, '--json'], { cwd, env: env() });
    expect(show.json()).toEqual(backup);

    const refused = await runBackstop(['restore', backup.id, 'to', 'shop/staging'], { cwd, env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Without a terminal to confirm on, add --yes');
    expect(await sql(stagingUrl, "select count(*)::int as n from pg_tables where tablename = 'stale'")).toEqual([
      { n: 1 },
    ]);

    const wrongName = await runBackstop(['restore', backup.id, 'to', 'shop/staging'], {
      cwd,
      env: env(),
      tty: true,
      answers: ['shop/live'],
    });
    expect(wrongName.code).toBe(2);
    // The backup's time as people read it, not ISO.
    expect(wrongName.stderr).toMatch(
      new RegExp(
        `This restore OVERWRITES shop/staging with backup ${backup.id} of shop/live from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`,
      ),
    );
    expect(wrongName.prompts).toEqual(['Type shop/staging to go on: ']);
    expect(wrongName.stderr).toContain('Nothing was restored');

    const restore = await runBackstop(['restore', backup.id, 'to', 'shop/staging', '--json'], {
      cwd,
      env: env(),
      tty: true,
      answers: ['shop/staging'],
    });
    expect(restore.code).toBe(0);
    expect(restore.json()).toMatchObject({
      backupId: backup.id,
      parts: 'db+media',
      destination: { app: 'shop', env: 'staging' },
      status: 'succeeded',
      safetyBackupId: expect.any(String),
    });
    expect(await sql(stagingUrl, 'select body from notes order by id')).toEqual([{ body: 'hello' }, { body: 'Grüße' }]);
    expect(await sql(stagingUrl, "select count(*)::int as n from pg_tables where tablename = 'stale'")).toEqual([
      { n: 0 },
    ]);
    expect(readFileSync(join(cwd, 'media', 'staging', 'logo.png'))).toEqual(Buffer.alloc(5000, 3));

    const verify = await runBackstop(['verify', backup.id], { cwd, env: env() });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`Backup ${backup.id} of shop/live verified`);

    const yes = await runBackstop(
      ['restore', backup.id, 'db', 'to', 'shop/staging', '--yes', '--no-safety-backup', '--json'],
      {
        cwd,
        env: env(),
      },
    );
    expect(yes.json()).toMatchObject({ parts: 'db', status: 'succeeded', safetyBackupId: null });
  });

  test('a failed backup exits 1 with the reason, and a missing backup exits 2', async () => {
    const failed = await runBackstop(['create', 'db', 'shop/broken'], { cwd, env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Backup \w+ of shop\/broken failed: .*does not exist/);
    const missing = await runBackstop(['show', 'zzzzzz'], { cwd, env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('There is no backup zzzzzz');
  });

  test('create refuses an unknown flag and a misplaced part, and takes anything after -- as the note', async () => {
    const listed = async () => (await runBackstop(['list', '--json'], { cwd, env: env() })).json().length;
    const before = await listed();
    const flag = await runBackstop(['create', 'db+media', 'shop/live', '--jsn'], { cwd, env: env() });
    expect([flag.code, flag.stderr]).toEqual([
      2,
      "backstop: unexpected '--jsn': did you mean '--json'?\n" +
        'Usage: backstop create [db|media|db+media] [<app/env>] [note...]\n',
    ]);
    const misplaced = await runBackstop(['create', 'shop/live', 'db'], { cwd, env: env() });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("'db' names parts, which come right after create: write: create db shop/live");
    expect(await listed()).toBe(before);

    const noted = await runBackstop(['create', 'db', 'shop/live', '--json', '--', '--not-a-flag'], {
      cwd,
      env: env(),
    });
    expect([noted.code, noted.json()]).toEqual([
      0,
      expect.objectContaining({ note: '--not-a-flag', requestedParts: 'db', status: 'completed' }),
    ]);
  });

  test('pin, unpin and prune --dry-run speak of retention', async () => {
    const [newest] = (await runBackstop(['list', 'shop/live', '--json'], { cwd, env: env() })).json();
    const pin = await runBackstop(['pin', newest.id, '--json'], { cwd, env: env() });
    expect(pin.json()).toMatchObject({ id: newest.id, pinned: true });
    const shown = await runBackstop(['show', newest.id], { cwd, env: env() });
    expect(shown.stdout).toContain('retention: kept: pinned');
    expect((await runBackstop(['unpin', newest.id, '--json'], { cwd, env: env() })).json()).toMatchObject({
      pinned: false,
    });
    const prune = await runBackstop(['prune', 'shop/live', '--dry-run', '--json'], { cwd, env: env() });
    expect(prune.code).toBe(0);
    expect(prune.json()).toEqual([
      { app: 'shop', env: 'live', dryRun: true, deleted: [], kept: expect.any(Number), failed: [], heldByDrill: [] },
    ]);
  });

  test('catalog rebuild restores the catalogue from storage after the state is lost', async () => {
    const before = (await runBackstop(['list', '--json'], { cwd, env: env() }))
      .json()
      .filter((b: { status: string }) => b.status === 'completed');
    for (const file of ['state.sqlite', 'state.sqlite-wal', 'state.sqlite-shm']) {
      rmSync(join(cwd, '.backstop', file), { force: true });
    }
    expect((await runBackstop(['list', '--json'], { cwd, env: env() })).json()).toEqual([]);
    const rebuild = await runBackstop(['catalog', 'rebuild', '--json'], { cwd, env: env() });
    expect(rebuild.code).toBe(0);
    expect(rebuild.json().added.sort()).toEqual(before.map((b: { id: string }) => b.id).sort());
    const after = (await runBackstop(['list', '--json'], { cwd, env: env() })).json();
    expect(after.map((b: { id: string; parts: unknown }) => [b.id, b.parts])).toEqual(
      before.map((b: { id: string; parts: unknown }) => [b.id, b.parts]),
    );
  });
});
