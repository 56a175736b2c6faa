import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCommand } from '../../commands/handlers/run-command.ts';
import { expireDownloads } from '../../src/engine/expire-downloads.ts';
import { downloadsRoute } from '../../src/http/downloads-route.ts';
import { enqueueBackup, enqueueDownload } from '../../src/jobs/enqueue.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { createSmtpMailer } from '../../src/notify/mailer.ts';
import type { Store } from '../../src/storage/store.ts';
import { engineWorker, makeEngine, makeStore, type StoreKind, type TestEngine, target } from '../support/engine.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';
import { startSmtp } from '../support/smtp.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The links' lifetime: long enough that links asked for during a test still work at its end. */
const linkTtlSeconds = 3600;

describe.each<StoreKind>(['directory', 's3'])('downloads on the %s store', (storeKind) => {
  const work = mkdtempSync(join(tmpdir(), 'backstop-downloads-'));
  let s3: S3rverPeer | undefined;
  let store: Store;
  let cleanupStore: () => Promise<void>;
  let engine: TestEngine;
  let worker: Worker;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let database: { name: string; url: string };
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let backupId: string;
  // The engine's clock and the store's link clock: one clock, so links and the downloads' records agree.
  const clock = new ManualClock();

  beforeAll(async () => {
    database = await createDatabase('downloads');
    await sql(
      database.url,
      "create table notes (id int primary key, body text); insert into notes values (1, 'Grüße');",
    );
    mkdirSync(join(work, 'media', 'photos'), { recursive: true });
    writeFileSync(join(work, 'media', 'photos', 'a.jpg'), Buffer.alloc(70_000, 1));
    writeFileSync(join(work, 'media', 'readme.txt'), 'hello');
    if (storeKind === 's3') s3 = await startS3rver();
    ({ store, cleanup: cleanupStore } = await makeStore(storeKind, s3, { now: clock.now }));
    smtp = await startSmtp();
    engine = await makeEngine({
      store,
      targets: [target('shop', 'live', { database: database.url, mediaDir: join(work, 'media') })],
      clock: clock.now,
      linkTtlSeconds,
      mailer: createSmtpMailer({
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true },
        from: 'backups@example.com',
      }),
      people: { 'cli:ana': 'ana@example.com' },
    });
    worker = engineWorker(engine.ctx, { log: (line) => engine.logs.push(line) });
    worker.start();
    // The directory store's links are served by Backstop's route; makeStore signs them for 127.0.0.1:8080, so the
    // test rewrites their origin to this server.
    const app = express();
    app.use(downloadsRoute(store));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const queued = await enqueueBackup(engine.ctx, {
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'db+media',
      note: 'for the auditors',
      requestedBy: 'cli:ana',
    });
    await followOperation(engine.ctx, queued.operation, { pollMs: 20 });
    backupId = queued.backup.id;
  }, 120_000);

  afterAll(async () => {
    await worker.stop();
    server.close();
    await smtp.close();
    await engine.close();
    await cleanupStore();
    await s3?.stop();
    await dropDatabase(database.name);
    rmSync(work, { recursive: true, force: true });
  });

  function fetchable(url: string): string {
    if (storeKind === 's3') return url;
    const { port } = server.address() as AddressInfo;
    return url.replace('http://127.0.0.1:8080', `http://127.0.0.1:${port}`);
  }

  test('a prepared download gives links to the exact plaintext, emailed to the requester, and they expire', async () => {
    // S3 judges a link's age by the real time: the clock starts there.
    clock.set(new Date());
    const reply = await runCommand(
      {
        engine: engine.ctx,
        principal: { kind: 'operator', id: 'cli:ana' },
        follow: (operation) => followOperation(engine.ctx, operation, { pollMs: 20 }),
      },
      { name: 'download', id: backupId },
      { prefix: 'backstop ', checks: {} },
    );
    expect(reply.outcome).toBe('ok');
    expect(reply.text).toContain('The links will be emailed to ana@example.com.');
    const download = reply.data as {
      id: string;
      status: string;
      expiresAt: string;
      links: Array<{ kind: string; url: string; filename: string }>;
    };
    expect(download.status).toBe('ready');
    expect(download.links.map((l) => l.filename)).toEqual([
      `shop-live-${backupId}.dump`,
      `shop-live-${backupId}-media.tar`,
    ]);
    const backup = await engine.ctx.catalog.getBackup(backupId);

    for (const link of download.links) {
      const response = await fetch(fetchable(link.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toContain(link.filename);
      const bytes = Buffer.from(await response.arrayBuffer());
      const part = backup.storedParts.find((p) => p.kind === link.kind)!;
      expect([bytes.length, sha256(bytes)]).toEqual([part.sizeBytes, part.sha256]);
      const file = join(work, link.filename);
      writeFileSync(file, bytes);
      if (link.kind === 'db') {
        expect(execFileSync('pg_restore', ['-l', file]).toString()).toContain('TABLE DATA public notes');
      } else {
        const out = join(work, 'unpacked');
        mkdirSync(out, { recursive: true });
        execFileSync('tar', ['-xf', file, '-C', out]);
        const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
          files: Array<{ path: string; sha256: string }>;
        };
        expect(manifest.files.map((f) => f.path).sort()).toEqual(['photos/a.jpg', 'readme.txt']);
        for (const f of manifest.files) expect(sha256(readFileSync(join(out, 'media', f.path)))).toBe(f.sha256);
      }
    }

    await expect.poll(() => smtp.mails.length, { timeout: 10_000 }).toBe(1);
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({ to: 'ana@example.com', subject: expect.stringContaining(`backup ${backupId}`) });
    for (const link of download.links) {
      expect(mail!.text).toContain(link.url);
      expect(mail!.html).toContain(link.filename);
    }
    expect(mail!.text).toContain('for the auditors');
    const [event] = (await engine.ctx.events.list({ types: ['download.ready'] })).filter(
      (e) => e.subjectId === download.id,
    );
    expect(event?.data).toMatchObject({ backupId, links: download.links.map((l) => expect.objectContaining(l)) });

    // An altered link is refused; after the lifetime every link is refused and the files are deleted.
    if (storeKind === 'directory') {
      const url = fetchable(download.links[0]!.url);
      // The character replaced is the one tested: a link whose third-last character is already 'A' must still change.
      const replaced = url.at(-3) === 'A' ? 'B' : 'A';
      const altered = `${url.slice(0, -3)}${replaced}${url.slice(-2)}`;
      expect(altered).not.toBe(url);
      expect((await fetch(altered)).status).toBe(403);
    }
    // Whoever serves a link judges its age by their own clock: Backstop's route (the directory store) by the engine's,
    // S3 by the real one. So a second download is asked for with the clock one lifetime back, then the clock is moved
    // past that lifetime (to the real time again): its links are out of date for both servers, the first one's not.
    const realNow = clock.now();
    clock.set(new Date(realNow.getTime() - (linkTtlSeconds + 1) * 1000));
    const aged = await enqueueDownload(engine.ctx, { backupId, requestedBy: 'cli:ana', email: null });
    expect((await followOperation(engine.ctx, aged.operation, { pollMs: 20 })).status).toBe('succeeded');
    const agedLinks = (await engine.ctx.downloads.get(aged.download.id)).files.map((f) => f.url);
    expect(agedLinks).toHaveLength(2);
    clock.advance(linkTtlSeconds + 1);

    for (const url of agedLinks) {
      const response = await fetch(fetchable(url));
      const body = await response.text();
      expect(response.status).toBeGreaterThanOrEqual(400);
      if (storeKind === 'directory') expect([response.status, body]).toEqual([410, expect.stringContaining('expired')]);
      else expect([response.status, body]).toEqual([403, expect.stringContaining('Request has expired')]);
    }
    for (const link of download.links) {
      const response = await fetch(fetchable(link.url));
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
    expect(await expireDownloads(engine.ctx, clock.now())).toBe(1);
    expect((await engine.ctx.downloads.get(aged.download.id)).status).toBe('expired');
    expect((await engine.ctx.downloads.get(download.id)).status).toBe('ready');
    const left: string[] = [];
    for await (const object of store.list(`downloads/${aged.download.id}/`)) left.push(object.key);
    expect(left).toEqual([]);
    if (storeKind === 'directory') {
      expect((await fetch(fetchable(agedLinks[0]!))).status).toBe(410);
    }
  }, 60_000);

  test('without an address nothing is emailed, one part can be asked for, and an unknown backup is refused', async () => {
    const before = smtp.mails.length;
    const queued = await enqueueDownload(engine.ctx, { backupId, parts: 'media', requestedBy: 'cli:bob', email: null });
    const ended = await followOperation(engine.ctx, queued.operation, { pollMs: 20 });
    expect(ended.status).toBe('succeeded');
    expect((await engine.ctx.downloads.get(queued.download.id)).files.map((f) => f.kind)).toEqual(['media']);
    // A download's email is sent before its operation ends (the mailer resolves once the server has the message):
    // with the operation ended, any email would be here.
    expect(smtp.mails.length).toBe(before);
    expect(engine.logs.filter((line) => line.startsWith(`download ${queued.download.id}: `))).toEqual([]);
    await expect(
      enqueueDownload(engine.ctx, { backupId: 'zzzzzz', requestedBy: null, email: null }),
    ).rejects.toMatchObject({ code: 'backup-not-found' });
  });
});

describe('a download when email is not configured', () => {
  test('says so in the reply and still prepares the links', async () => {
    const work = mkdtempSync(join(tmpdir(), 'backstop-downloads-nomail-'));
    mkdirSync(join(work, 'media'));
    writeFileSync(join(work, 'media', 'x.txt'), 'x');
    const { store, cleanup } = await makeStore('directory');
    const engine = await makeEngine({ store, targets: [target('shop', 'live', { mediaDir: join(work, 'media') })] });
    const here = engineWorker(engine.ctx, { concurrency: 1 });
    const follow = (operation: Parameters<typeof followOperation>[1]) =>
      followOperation(engine.ctx, operation, { pollMs: 20, runHere: here });
    const ctx = { engine: engine.ctx, principal: { kind: 'operator' as const, id: 'cli:ana' }, follow };
    const created = await runCommand(
      ctx,
      { name: 'create', parts: 'media', target: { app: 'shop', env: 'live' } },
      {
        prefix: '',
        checks: {},
      },
    );
    const id = (created.data as { id: string }).id;
    const reply = await runCommand(ctx, { name: 'download', id, email: 'ana@example.com' }, { prefix: '', checks: {} });
    expect(reply.outcome).toBe('ok');
    expect(reply.text).toContain('Email is not configured, so the links are not emailed');
    expect((reply.data as { links: unknown[] }).links).toHaveLength(1);
    expect(readdirSync(work)).toEqual(['media']);
    await engine.close();
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);
});
