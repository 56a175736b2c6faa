import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { handOffSocketPath } from '../../cli/hand-off-socket-path.ts';
import { serveCommand } from '../../cli/serve-command.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { Receiver } from '../notify/receiver.ts';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';
import { sharedKeyYaml } from '../support/shared-key.ts';
import { readTable } from '../support/text-table.ts';

function project(prefix: string, extra = ''): string {
  const cwd = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(cwd, 'media', 'live'), { recursive: true });
  for (let i = 0; i < 5; i++) writeFileSync(join(cwd, 'media', 'live', `photo-${i}.jpg`), Buffer.alloc(20_000, i));
  writeFileSync(
    join(cwd, 'backstop.yaml'),
    `apps:
  shop:
    environments:
      live:
        media: ./media/live
        schedule: { cron: "30 3 * * *", timezone: Europe/Zurich }
      staging: { media: ./media/staging, schedule: off }
${extra}`,
  );
  return cwd;
}

describe('queued work on a shared PostgreSQL state', () => {
  const cwd = project('backstop-queue-cli-');
  writeFileSync(join(cwd, 'backstop.yaml'), sharedKeyYaml(cwd), { flag: 'a' });
  let database: { name: string; url: string };
  const env = () => ({ DATABASE_URL: database.url, USER: 'ana' });

  beforeAll(async () => {
    database = await createDatabase('queue_cli');
  });
  afterAll(async () => {
    await dropDatabase(database.name);
    rmSync(cwd, { recursive: true, force: true });
  });

  test('create queues and returns at once; status lists it; cancel by backup id ends it before it runs', async () => {
    const create = await runBackstop(['create', 'media', 'shop/live', 'queued only', '--json'], { cwd, env: env() });
    expect(create.code).toBe(0);
    const queued = create.json();
    expect(queued).toMatchObject({ status: 'queued', note: 'queued only', operationId: expect.any(String) });

    const status = await runBackstop(['status', '--json'], { cwd, env: env() });
    expect(status.json()).toEqual([
      expect.objectContaining({
        id: queued.operationId,
        kind: 'backup',
        subjectId: queued.id,
        target: 'shop/live',
        status: 'queued',
        requestedBy: 'cli:ana',
      }),
    ]);
    const statusText = await runBackstop(['status'], { cwd, env: env() });
    expect(readTable(statusText.stdout, 'OP')).toEqual([
      {
        OP: queued.operationId,
        WHAT: `backup ${queued.id}`,
        TARGET: 'shop/live',
        STATUS: 'queued',
        WHEN: expect.stringMatching(/^(just now|\d+ min ago)$/),
        DETAIL: '',
        BY: 'cli:ana',
      },
    ]);

    const cancel = await runBackstop(['cancel', queued.id], { cwd, env: env() });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`Cancelled the backup ${queued.id} of shop/live`);
    const show = await runBackstop(['show', queued.id, '--json'], { cwd, env: env() });
    expect(show.json()).toMatchObject({ status: 'cancelled', error: 'cancelled by cli:ana' });
    expect((await runBackstop(['status'], { cwd, env: env() })).stdout).toContain('Nothing is queued or running.');

    const again = await runBackstop(['cancel', queued.operationId], { cwd, env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('there is nothing to cancel');
    const unknown = await runBackstop(['cancel', 'zzzzzz'], { cwd, env: env() });
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('There is no operation zzzzzz')]);
  });

  test('--wait follows the backup to its end, running it in this process when no worker does', async () => {
    const create = await runBackstop(['create', 'media', 'shop/live', '--wait', '--json'], { cwd, env: env() });
    expect(create.code).toBe(0);
    expect(create.json()).toMatchObject({ status: 'completed', parts: [{ kind: 'media' }] });
    const ops = await runBackstop(['status', '--json'], { cwd, env: env() });
    expect(ops.json()).toEqual([]);
  });

  test('a failing backup followed with --wait exits 1 with the reason', async () => {
    rmSync(join(cwd, 'media', 'staging'), { recursive: true, force: true });
    const create = await runBackstop(['create', 'media', 'shop/staging', '--wait'], { cwd, env: env() });
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(/Backup \w+ of shop\/staging failed: /);
  });

  test('status --all keeps finished work visible; show and status find a restore by its id', async () => {
    const all = await runBackstop(['status', '--all', '--json'], { cwd, env: env() });
    expect(all.json()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'backup', status: 'cancelled', requestedBy: 'cli:ana' }),
      ]),
    );
    const allText = await runBackstop(['status', '--all'], { cwd, env: env() });
    const finished = readTable(allText.stdout.split('Finished last, newest first:\n')[1]!, 'OP');
    expect(finished).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ WHAT: expect.stringMatching(/^backup /), TARGET: 'shop/staging', STATUS: 'failed' }),
        expect.objectContaining({ TARGET: 'shop/live', STATUS: 'cancelled', DETAIL: 'cancelled by cli:ana' }),
      ]),
    );

    const [backup] = (await runBackstop(['list', 'shop/live', '--json'], { cwd, env: env() }))
      .json()
      .filter((b: { status: string }) => b.status === 'completed');
    const restore = await runBackstop(
      ['restore', backup.id, 'to', 'shop/staging', '--yes', '--no-safety-backup', '--wait', '--json'],
      { cwd, env: env() },
    );
    expect(restore.code).toBe(0);
    const { id, operationId } = restore.json();
    const shown = await runBackstop(['show', id, '--json'], { cwd, env: env() });
    expect(shown.json()).toMatchObject({
      id,
      backupId: backup.id,
      destination: { app: 'shop', env: 'staging' },
      status: 'succeeded',
      operationId,
    });
    const text = await runBackstop(['show', operationId], { cwd, env: env() });
    expect(text.stdout).toContain(`Restore ${id} of backup ${backup.id} into shop/staging: succeeded`);
    const status = await runBackstop(['status', id, '--json'], { cwd, env: env() });
    expect(status.json()).toMatchObject({ id: operationId, kind: 'restore', subjectId: id, status: 'succeeded' });
    const none = await runBackstop(['status', 'zzzzzz'], { cwd, env: env() });
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('There is no operation zzzzzz')]);
  });

  test('schedule shows each schedule with its next run, last result and retention policy', async () => {
    const text = await runBackstop(['schedule'], { cwd, env: env() });
    expect(text.code).toBe(0);
    // A table on the terminal; chat's *bold* markup stays in chat.
    expect(text.stdout).not.toContain('*shop/');
    expect(readTable(text.stdout, 'TARGET')).toEqual([
      expect.objectContaining({
        TARGET: 'shop/live',
        PARTS: 'media',
        CRON: '30 3 * * *',
        'TIME ZONE': 'Europe/Zurich',
        'NEXT RUN': expect.stringMatching(/^in \d+ (min|h)$|^\d{4}-\d\d-\d\d \d\d:\d\d$/),
      }),
      expect.objectContaining({ TARGET: 'shop/staging', CRON: 'off', 'NEXT RUN': '' }),
    ]);
    expect(text.stdout).toContain(
      'Retention of shop/live, shop/staging: scheduled 7 daily / 4 weekly / 12 monthly, on-demand 3 newest + 30 days',
    );
    const json = await runBackstop(['schedule', 'shop/live', '--json'], { cwd, env: env() });
    const [live] = json.json();
    expect(live).toMatchObject({
      app: 'shop',
      env: 'live',
      schedule: { cron: '30 3 * * *', timezone: 'Europe/Zurich', parts: 'media' },
      lastBackup: null,
    });
    // 03:30 in Zurich is 02:30 UTC in winter.
    expect(live.nextRunAt).toMatch(/T02:30:00\.000Z$/);
  });
});

describe('a command while `backstop serve` holds the embedded state', () => {
  const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
  let cwd: string;
  let receiver: Receiver;
  const lines: string[] = [];
  let stop!: () => void;
  let serving: Promise<number>;

  beforeAll(async () => {
    receiver = await Receiver.start();
    cwd = project(
      'backstop-handoff-cli-',
      `http: { port: 0 }\nwebhooks: [{ name: audit, url: "${receiver.url()}", format: generic, secret: "${secret}" }]\n`,
    );
    let running!: () => void;
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const stderr = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        if (lines.join('').includes('Backstop is running on the embedded state')) running();
        callback();
      },
    });
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const config = loadConfig({ env: {}, cwd });
    serving = serveCommand(
      config,
      { stdout: stderr, stderr, stdin: process.stdin, env: {}, cwd, prompt: async () => '' },
      { stop: stopped },
    );
    // Serve says so once it runs; if it ends first, it failed to start.
    await Promise.race([
      started,
      serving.then((code) => {
        throw new Error(`serve ended with ${code} before it ran:\n${lines.join('')}`);
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    stop();
    expect(await serving).toBe(0);
    expect(existsSync(handOffSocketPath(join(cwd, '.backstop')))).toBe(false);
    await receiver.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('is handed to the server: create --wait is run by its workers, list and show read its state', async () => {
    const create = await runBackstop(['create', 'media', 'shop/live', 'via the server', '--wait', '--json'], {
      cwd,
      env: { USER: 'bob' },
    });
    expect(create.code).toBe(0);
    const backup = create.json();
    expect(backup).toMatchObject({ status: 'completed', note: 'via the server', requestedBy: 'cli:bob' });
    expect(lines.join('')).toContain(`backup ${backup.id} of shop/live completed`);

    const list = await runBackstop(['list', '--json'], { cwd });
    expect(list.json().map((b: { id: string }) => b.id)).toContain(backup.id);

    // The server's notifier delivers the outcome to the configured webhook, signed.
    await expect
      .poll(() => receiver.to('/hook').map((r) => JSON.parse(r.body).data?.backupId), { timeout: 20_000 })
      .toContain(backup.id);
    const delivered = receiver.to('/hook').find((r) => JSON.parse(r.body).data?.backupId === backup.id)!;
    expect(JSON.parse(delivered.body).type).toBe('backup.succeeded');
    expect(() => new Webhook(secret).verify(delivered.body, delivered.headers)).not.toThrow();
  });

  test('create without --wait answers at once and the server finishes the backup', async () => {
    const create = await runBackstop(['create', 'media', 'shop/live', '--json'], { cwd });
    expect(create.code).toBe(0);
    const queued = create.json();
    expect(queued.status).toMatch(/queued|running/);
    await expect
      .poll(async () => (await runBackstop(['show', queued.id, '--json'], { cwd })).json().status, {
        timeout: 30_000,
      })
      .toBe('completed');
  });

  test('a download the server prepared is shown again, links and all, by its id; status finds it too', async () => {
    const [backup] = (await runBackstop(['list', 'shop/live', '--json'], { cwd })).json();
    const download = await runBackstop(['download', backup.id, '--wait', '--json'], { cwd });
    expect(download.code).toBe(0);
    const ready = download.json();
    expect(ready).toMatchObject({ status: 'ready', links: [{ kind: 'media', url: expect.stringContaining('http') }] });

    const shown = await runBackstop(['show', ready.id, '--json'], { cwd });
    expect(shown.json()).toEqual(ready);
    const text = await runBackstop(['show', ready.id], { cwd });
    expect(text.stdout).toContain(`Download ${ready.id} of backup ${backup.id} is ready`);
    expect(text.stdout).toContain(ready.links[0].url);
    const status = await runBackstop(['status', ready.id, '--json'], { cwd });
    expect(status.json()).toMatchObject({ id: ready.operationId, kind: 'download', status: 'succeeded' });
    const all = await runBackstop(['status', '--all', '--json'], { cwd });
    expect(all.json().map((o: { id: string }) => o.id)).toContain(ready.operationId);
  });

  test('a usage error and migrate are answered by the server too; a second serve is refused', async () => {
    const typo = await runBackstop(['crate', 'media'], { cwd });
    expect([typo.code, typo.stderr]).toEqual([2, expect.stringContaining("did you mean 'create'")]);
    const migrate = await runBackstop(['migrate'], { cwd });
    expect([migrate.code, migrate.stdout]).toEqual([0, expect.stringContaining('up to date')]);
    const second = await runBackstop(['serve'], { cwd });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`is in use by process ${process.pid}`);
  });
});
