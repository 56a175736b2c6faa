import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runWebLogin } from '../../cli/web-command.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { createSmtpMailer } from '../../src/notify/mailer.ts';
import { WebSessions } from '../../src/state/web-sessions.ts';
import type { Store } from '../../src/storage/store.ts';
import { decideRestoreRequest } from '../../src/use-cases/decide-restore-request.ts';
import { listen } from '../http/listen.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { startSmtp } from '../support/smtp.ts';
import { WebClient } from './web-client.ts';

const root = mkdtempSync(join(tmpdir(), 'backstop-web-'));
const liveMedia = join(root, 'shop-live');
let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
let worker: Worker;
let server: { url: string; close: () => Promise<void> };
let sessions: WebSessions;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

/** A browser signed in as `principal` (a session opened as sign-in would open it). */
async function signedIn(principal: string, name = principal, also: string[] = []): Promise<WebClient> {
  const { secret } = await sessions.open({ principal, also, name, configHolder: false }, 3600);
  const client = new WebClient(server.url, `backstop_session=${secret}`);
  await client.get('/backups');
  return client;
}

/** A browser signed in with a link from `backstop web login`. */
async function signedInWithLink(): Promise<WebClient> {
  const link = await linkSecret();
  const client = new WebClient(server.url);
  const answer = await client.post('/sign-in/link', { link });
  expect([answer.status, answer.location]).toEqual([303, '/backups']);
  await client.get('/backups');
  return client;
}

async function linkSecret(): Promise<string> {
  let printed = '';
  const io = { stdout: { write: (text: string) => (printed += text) }, stderr: { write: () => true } };
  // biome-ignore lint/suspicious/noExplicitAny: only stdout is written by this command.
  await runWebLogin(engine.state.db, server.url, io as any, { json: true });
  const { url } = JSON.parse(printed) as { url: string };
  expect(url.startsWith(`${server.url}/sign-in/link/`)).toBe(true);
  return url.slice(url.lastIndexOf('/') + 1);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  await expect.poll(check, { timeout: 30_000, interval: 100 }).toBe(true);
}

beforeAll(async () => {
  mkdirSync(join(liveMedia, 'uploads'), { recursive: true });
  writeFileSync(join(liveMedia, 'uploads', 'cat.jpg'), 'meow'.repeat(1000));
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  smtp = await startSmtp();
  engine = await makeEngine({
    store,
    mailer: createSmtpMailer({
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true },
      from: 'backups@example.com',
    }),
    targets: [
      // Scheduled (no scheduler runs here): the Schedules page draws its retention.
      {
        ...target('shop', 'live', { mediaDir: liveMedia }),
        schedule: { cron: '0 2 * * *', timezone: 'UTC', parts: 'media' },
      },
      target('shop', 'staging', { mediaDir: join(root, 'shop-staging') }),
      target('shop', 'prod', { mediaDir: join(root, 'shop-prod') }, true),
      target('shop', 'vault', { mediaDir: join(root, 'shop-vault') }, true),
      target('blog', 'live', { mediaDir: join(root, 'blog-live') }),
    ],
    access: {
      shop: {
        environments: {},
        access: {
          viewer: ['web:vera'],
          operator: ['web:olga'],
          restorer: ['web:rita'],
          approver: ['web:abby', 'slack:UAPPROVER'],
        },
      },
      blog: { environments: {}, access: { operator: ['web:olga'] } },
    } as never,
  });
  worker = engineWorker(engine.ctx, { concurrency: 1, heartbeatMs: 200, pollMs: 50, log: (l) => engine.logs.push(l) });
  worker.start();
  sessions = new WebSessions(engine.state.db, engine.ctx.clock);
  server = await listen(
    createHttpApp({
      state: engine.state.db,
      store,
      engine: engine.ctx,
      // Nothing is bound to shop/vault: nobody would see a request into it.
      approvalReachable: (t) => t.env !== 'vault',
      web: { secure: false },
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await worker?.stop();
  await engine?.close();
  await cleanupStore?.();
  await smtp?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('sign-in', () => {
  test('a visitor is sent to the sign-in page, which says how to sign in; pages carry a strict CSP', async () => {
    const visitor = new WebClient(server.url);
    expect((await visitor.get('/')).location).toBe('/sign-in');
    expect((await visitor.get('/backups')).location).toBe('/sign-in');
    const signIn = await visitor.get('/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain('backstop web login');
    expect(signIn.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(signIn.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(signIn.headers.get('x-frame-options')).toBe('DENY');
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    const refused = await visitor.post('/backups', { target: 'shop/live' });
    expect(refused.status).toBe(401);
  });

  test('a sign-in link works once: opening it changes nothing, the button signs in, a second use is refused', async () => {
    const link = await linkSecret();
    const browser = new WebClient(server.url);
    // A link previewer fetching the page does not use the link up.
    expect((await browser.get(`/sign-in/link/${link}`)).text).toContain('Sign in as the holder of the config');
    expect((await browser.get(`/sign-in/link/${link}`)).status).toBe(200);
    const first = await browser.post('/sign-in/link', { link });
    expect([first.status, first.location]).toEqual([303, '/backups']);
    expect(first.headers.get('set-cookie')).toMatch(
      /^backstop_session=[\w-]{43}; Max-Age=43200; Path=\/; .*HttpOnly; SameSite=Lax$/,
    );
    const page = await browser.get('/backups');
    expect(page.status).toBe(200);
    expect(page.text).toContain('config holder');
    const again = await new WebClient(server.url).post('/sign-in/link', { link });
    expect(again.status).toBe(400);
    expect(again.text).toContain('used already or has expired');
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  test('a link from another site does not sign in; a made-up link neither', async () => {
    const link = await linkSecret();
    const forged = await new WebClient(server.url).post('/sign-in/link', { link }, { 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    expect((await new WebClient(server.url).post('/sign-in/link', { link: 'x'.repeat(43) })).status).toBe(400);
    // The refused cross-site attempt did not use the link up.
    expect((await new WebClient(server.url).post('/sign-in/link', { link })).status).toBe(303);
  });

  test('signing out ends the session everywhere: its cookie no longer opens a page or the API', async () => {
    const browser = await signedInWithLink();
    const cookie = browser.cookie as string;
    const out = await browser.post('/sign-out', {});
    expect(out.location).toBe('/sign-in?signed-out');
    expect((await new WebClient(server.url).get(out.location as string)).text).toContain('You are signed out.');
    const stale = new WebClient(server.url, cookie);
    expect((await stale.get('/backups')).location).toBe('/sign-in');
    expect((await stale.get('/api/v1/backups')).status).toBe(401);
  });

  test('over https the cookie is Secure and bound to the host (__Host-)', async () => {
    const secure = await listen(
      createHttpApp({ state: engine.state.db, store, engine: engine.ctx, web: { secure: true } }),
    );
    try {
      let printed = '';
      const io = { stdout: { write: (text: string) => (printed += text) }, stderr: { write: () => true } };
      // biome-ignore lint/suspicious/noExplicitAny: only stdout is written by this command.
      await runWebLogin(engine.state.db, secure.url, io as any, { json: true });
      const link = (JSON.parse(printed) as { url: string }).url.split('/').pop() as string;
      const answer = await new WebClient(secure.url).post('/sign-in/link', { link });
      expect(answer.headers.get('set-cookie')).toMatch(
        /^__Host-backstop_session=[\w-]+; .*Path=\/; .*HttpOnly; Secure; SameSite=Lax$/,
      );
    } finally {
      await secure.close();
    }
  });
});

describe('the Backups view', () => {
  test('create with a note from the page: the backup runs, and the list shows it under On-demand, the note escaped', async () => {
    const olga = await signedIn('web:olga', 'Olga');
    const page = await olga.get('/backups?target=shop/live');
    expect(page.text).toContain('Create backup');
    const note = '<script>alert("x")</script> before deploy';
    const created = await olga.post('/backups', { target: 'shop/live', parts: 'media', note });
    expect(created.status).toBe(303);
    const operationPath = (created.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(operationPath)).text.includes('Completed'));
    const list = await olga.get('/backups?target=shop/live');
    const onDemand = list.text.slice(list.text.indexOf('id="on-demand-heading"'));
    expect(onDemand).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; before deploy');
    expect(list.text).not.toContain('<script>alert');
    expect(onDemand).toContain('web:olga');
    expect(onDemand).toContain('one of 3 newest');
    const scheduled = list.text.slice(
      list.text.indexOf('id="scheduled-heading"'),
      list.text.indexOf('id="on-demand-heading"'),
    );
    expect(scheduled).toContain('No scheduled backups yet.');
    const audit = await engine.ctx.audit.list({ app: 'shop', limit: 5 });
    expect(audit.some((e) => e.principal === 'web:olga' && e.action.startsWith('create media shop/live'))).toBe(true);
  });

  test("drill from a backup's page: the drill runs, and the page then says the backup was proven restorable", async () => {
    const olga = await signedIn('web:olga', 'Olga');
    const created = await olga.post('/backups', { target: 'shop/live', parts: 'media', note: 'to drill' });
    const backupOperation = (created.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(backupOperation)).text.includes('Completed'));
    const backup = (await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' })).find(
      (b) => b.note === 'to drill',
    )!;
    const page = await olga.get(`/backups/${backup.id}`);
    expect(page.text).toContain(`action="/backups/${backup.id}/drill"`);
    const drilled = await olga.post(`/backups/${backup.id}/drill`, {});
    expect(drilled.status).toBe(303);
    expect(drilled.location).toMatch(/^\/operations\/\w+\?notice=drill-queued$/);
    const drillOperation = (drilled.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(drillOperation)).text.includes('Completed'));
    const after = await olga.get(`/backups/${backup.id}`);
    expect(after.text).toMatch(
      /<dt>Proven restorable<\/dt><dd><time datetime="[^"]+">[^<]+<\/time> \(in [\d.]+ s\)<\/dd>/,
    );
    // The target's page says it too, above its backups.
    expect((await olga.get('/backups?target=shop/live')).text).toMatch(
      new RegExp(
        `<p class="drill-summary">Last proven restorable: <a href="/backups/${backup.id}">${backup.id}</a>, <time [^>]+>[^<]+</time> \\(in [\\d.]+ s\\)\\.</p>`,
      ),
    );
    // A viewer is offered no Drill button, and is refused when posting anyway.
    const vera = await signedIn('web:vera', 'Vera');
    expect((await vera.get(`/backups/${backup.id}`)).text).not.toContain('/drill"');
    expect((await vera.post(`/backups/${backup.id}/drill`, {})).status).toBe(403);
  });

  test('a viewer sees no Create button and is refused when posting anyway, by the page and by the API', async () => {
    const vera = await signedIn('web:vera', 'Vera');
    const page = await vera.get('/backups?target=shop/live');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Create backup');
    const forced = await vera.post('/backups', { target: 'shop/live', parts: 'media' });
    expect(forced.status).toBe(403);
    expect(forced.text).toContain('needs the operator role on shop');
    const api = await vera.send('POST', '/api/v1/backups', JSON.stringify({ app: 'shop', env: 'live' }), {
      'content-type': 'application/json',
      'x-csrf-token': vera.csrf as string,
    });
    expect([api.status, JSON.parse(api.text).code]).toEqual([403, 'forbidden']);
    // The viewer of shop sees nothing of blog.
    const blog = await vera.get('/backups?target=blog/live');
    expect(blog.status).toBe(404);
    expect(blog.text).toContain('Unknown target blog/live');
  });

  test('a state change without the CSRF token, or from another site, is refused and does nothing', async () => {
    const olga = await signedIn('web:olga');
    const before = (await engine.ctx.catalog.listBackups({ app: 'shop' })).length;
    expect((await olga.post('/backups', { target: 'shop/live', csrf: 'forged' })).status).toBe(403);
    expect((await olga.post('/backups', { target: 'shop/live' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await olga.post('/backups', { target: 'shop/live' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const api = await olga.send('POST', '/api/v1/backups', JSON.stringify({ app: 'shop', env: 'live' }), {
      'content-type': 'application/json',
    });
    expect([api.status, JSON.parse(api.text).code]).toEqual([403, 'cross-site']);
    expect((await engine.ctx.catalog.listBackups({ app: 'shop' })).length).toBe(before);
  });

  test('restore: the preview says what is overwritten; a wrong confirmation restores nothing; the right one does', async () => {
    const rita = await signedIn('web:rita', 'Rita');
    const olga = await signedIn('web:olga');
    const created = await olga.post('/backups', { target: 'shop/live', parts: 'media', note: 'to restore' });
    const operationPath = (created.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(operationPath)).text.includes('Completed'));
    const backupId = /href="\/backups\/(\w+)"/.exec((await olga.get(operationPath)).text)?.[1] as string;
    const preview = await rita.get(`/backups/${backupId}/restore?parts=media&to=shop/staging&safety=on`);
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('This overwrites, in <strong>shop/staging</strong>');
    expect(preview.text).toContain('A safety backup of shop/staging is taken first');
    const restoresBefore = await engine.ctx.operations.list({
      statuses: ['queued', 'running', 'succeeded'],
      limit: 100,
    });
    const restoreWith = (confirm: string) =>
      rita.post(`/backups/${backupId}/restore`, { parts: 'media', to: 'shop/staging', safety: 'on', confirm });
    const wrong = await restoreWith('shop/live');
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('Nothing was restored: you typed &#34;shop/live&#34;; type shop/staging exactly');
    // The form is shown again with the same choice, to type the name again.
    expect(wrong.text).toContain('Type <strong>shop/staging</strong> to confirm');
    expect(
      (await engine.ctx.operations.list({ statuses: ['queued', 'running', 'succeeded'], limit: 100 })).length,
    ).toBe(restoresBefore.length);
    const right = await restoreWith(' shop/staging ');
    expect(right.status).toBe(303);
    const restorePath = (right.location as string).split('?')[0] as string;
    await until(async () => (await rita.get(restorePath)).text.includes('Completed'));
    // It names the backup it restored and what became of the safety backup (staging held nothing to keep yet).
    expect((await rita.get(restorePath)).text).toContain(
      `Restores <a href="/backups/${backupId}">backup ${backupId}</a>; the destination held nothing yet, so no safety backup was needed.`,
    );
  });

  test('a protected restore becomes a request: the asker cannot approve it, another approver can, from the page', async () => {
    const holder = await signedInWithLink();
    const backups = await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' });
    const done = backups.find((b) => b.status === 'completed' && b.parts === 'media');
    expect(done).toBeDefined();
    const asked = await holder.post(`/backups/${done?.id}/restore`, {
      parts: 'media',
      to: 'shop/prod',
      safety: 'on',
      confirm: 'shop/prod',
    });
    // Even the config holder's web session asks for approval.
    expect(asked.location).toBe('/approvals?notice=approval-requested');
    const own = await holder.get('/approvals');
    expect(own.text).toContain('Waiting for another approver.');
    const request = (await engine.ctx.requests.list({ apps: ['shop'], status: 'pending', limit: 10 }))[0];
    expect(request?.requestedBy).toBe('web:config-holder');
    const self = await holder.post(`/approvals/${request?.id}/approve`, {});
    expect([self.status, self.text]).toEqual([403, expect.stringContaining('someone else with the approver role')]);
    const abby = await signedIn('web:abby', 'Abby');
    expect((await abby.get('/approvals')).text).toContain('Approve restore into shop/prod');
    const approved = await abby.post(`/approvals/${request?.id}/approve`, {});
    expect(approved.location).toMatch(/^\/operations\/\w+\?notice=approved$/);
    expect((await engine.ctx.requests.get(request?.id as string)).status).toBe('approved');
    const restorePath = (approved.location as string).split('?')[0] as string;
    await until(async () => (await abby.get(restorePath)).text.includes('Completed'));
  });

  test('a request decided in chat shows decided on the web: one record whichever surface shows it', async () => {
    const holder = await signedInWithLink();
    const backup = (await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' })).find(
      (b) => b.status === 'completed' && b.parts === 'media',
    );
    const asked = await holder.post(`/backups/${backup?.id}/restore`, {
      parts: 'media',
      to: 'shop/prod',
      safety: 'on',
      confirm: 'shop/prod',
    });
    expect(asked.location).toBe('/approvals?notice=approval-requested');
    const request = (await engine.ctx.requests.list({ apps: ['shop'], status: 'pending', limit: 10 }))[0];
    expect((await holder.get('/approvals')).text).toContain(`<li data-request="${request?.id}">`);
    // Denied from Slack, as the Deny button of the request's card does.
    await decideRestoreRequest(
      engine.ctx,
      { kind: 'chat', id: 'slack:UAPPROVER', also: [] },
      'deny',
      request?.id as string,
    );
    const after = await holder.get('/approvals');
    expect(after.text).not.toContain(`<li data-request="${request?.id}">`);
    expect(after.text).toContain('denied by slack:UAPPROVER');
  });

  test('a protected destination nobody could approve says so before anything is asked, with no button', async () => {
    const holder = await signedInWithLink();
    const backup = (await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' })).find(
      (b) => b.status === 'completed',
    );
    const preview = await holder.get(`/backups/${backup?.id}/restore?parts=media&to=shop/vault&safety=on`);
    expect(preview.text).toContain('Nobody could approve it');
    expect(preview.text).not.toContain('to confirm');
  });

  test('prepare a download: the page shows its links once ready, and they are emailed to the verified address', async () => {
    // Signed in as a Slack user would be: the verified email beside the principal.
    const olga = await signedIn('web:olga', 'Olga', ['web:olga@example.com']);
    const backup = (await engine.ctx.catalog.listBackups({ app: 'shop', env: 'live' })).find(
      (b) => b.status === 'completed',
    );
    const asked = await olga.post(`/backups/${backup?.id}/download`, { parts: 'media' });
    expect(asked.location).toMatch(/^\/prepared-downloads\/\w+\?notice=download-queued$/);
    const path = (asked.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(path)).text.includes('media.tar'));
    const href = /<a href="([^"]+)" rel="noreferrer" download>/.exec((await olga.get(path)).text)?.[1] as string;
    // The test engine's links name the default address; the route is this server's.
    const link = new URL(href.replaceAll('&#38;', '&'));
    const file = await fetch(`${server.url}${link.pathname}${link.search}`);
    expect(file.status).toBe(200);
    expect((await olga.get(path)).text).toContain('The links are also emailed to olga@example.com.');
    await expect
      .poll(() => smtp.mails.find((m) => m.to === 'olga@example.com')?.text ?? '', { timeout: 10_000 })
      .toContain(link.pathname);
  });

  test('schedules show the next run and the retention timeline; the audit log shows who did what, to whom may read it', async () => {
    const olga = await signedIn('web:olga');
    const schedules = await olga.get('/schedules');
    expect(schedules.status).toBe(200);
    expect(schedules.text).toContain('<h2 id="schedule-shop-live">shop/live</h2>');
    expect(schedules.text).toContain('Kept scheduled backups: 7 daily, 4 weekly, 12 monthly');
    // An environment without a schedule has no scheduled backups to draw.
    expect(schedules.text.match(/<figure class="timeline">/g)?.length).toBe(1);
    // Drills too: their schedule and what they proved.
    expect(schedules.text).toMatch(
      /<dt>Drills<\/dt><dd>none scheduled \(drill from a backup&#39;s page\) <p class="drill-summary">/,
    );
    const audit = await olga.get('/audit');
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('web:olga');
    const vera = await signedIn('web:vera');
    const refused = await vera.get('/audit');
    expect([refused.status, refused.text]).toEqual([403, expect.stringContaining('needs the operator role')]);
  });

  test('a form sent twice (a double click) does its work once, and both answers lead to the same page', async () => {
    const olga = await signedIn('web:olga');
    await olga.get('/backups?target=shop/live');
    const once = /name="once" value="([^"]+)"/.exec((await olga.get('/backups?target=shop/live')).text)?.[1] as string;
    const before = (await engine.ctx.catalog.listBackups({ app: 'shop' })).length;
    const fields = { target: 'shop/live', parts: 'media', note: 'double click', once };
    const [first, second] = await Promise.all([olga.post('/backups', fields), olga.post('/backups', fields)]);
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(second.location).toBe(first.location);
    expect((await engine.ctx.catalog.listBackups({ app: 'shop' })).length).toBe(before + 1);
    // A refused form frees its token: corrected, the same form goes through.
    const refusedOnce = /name="once" value="([^"]+)"/.exec(
      (await olga.get('/backups?target=shop/live')).text,
    )?.[1] as string;
    const bad = await olga.post('/backups', { target: 'shop/live', parts: 'everything', once: refusedOnce });
    expect([bad.status, bad.text]).toEqual([
      400,
      expect.stringContaining('&#34;everything&#34; is not something to back up'),
    ]);
    expect((await olga.post('/backups', { target: 'shop/live', parts: 'media', once: refusedOnce })).status).toBe(303);
  });

  test('mistakes get a page that says what is wrong: bad notes, targets, ids and addresses', async () => {
    const olga = await signedIn('web:olga');
    const nul = await olga.post('/backups', { target: 'shop/live', note: 'a\u0000b' });
    expect([nul.status, nul.text]).toEqual([400, expect.stringContaining('control character')]);
    const long = await olga.post('/backups', { target: 'shop/live', note: 'x'.repeat(600) });
    expect([long.status, long.text]).toEqual([400, expect.stringContaining('The note is 600 characters long')]);
    const huge = await olga.post('/backups', { target: 'shop/live', note: 'x'.repeat(100_000) });
    expect([huge.status, huge.text]).toEqual([413, expect.stringContaining('too large')]);
    const nope = await olga.get('/backups?target=nope');
    expect([nope.status, nope.text]).toEqual([404, expect.stringContaining('Unknown target nope/')]);
    const twice = await olga.get('/backups?target=shop/live&target=shop/prod');
    expect(twice.status).toBe(400);
    const badId = await olga.get('/backups/ZRX-H2G');
    expect([badId.status, badId.text]).toEqual([404, expect.stringContaining('There is no backup &#34;ZRX-H2G&#34;')]);
    const nowhere = await olga.get('/nothing/here');
    expect([nowhere.status, nowhere.text]).toEqual([404, expect.stringContaining('There is no page /nothing/here')]);
    // The API keeps its own 404s.
    expect((await olga.get('/api/v1/nothing')).headers.get('content-type')).toContain('application/problem+json');
  });

  test("the code version, the tables kept without rows and the drills' proof are shown on the list and the backup page", async () => {
    const at = new Date(Date.UTC(2025, 6, 1));
    const backup = await engine.ctx.catalog.insertBackup(
      { app: 'shop', env: 'staging', trigger: 'on-demand', parts: 'db', note: 'versioned', requestedBy: 'cli:ana' },
      at,
    );
    const part = {
      kind: 'db' as const,
      key: `shop/staging/${backup.id}/db.dump.age`,
      sizeBytes: 10,
      sha256: 'a'.repeat(64),
      storedSizeBytes: 20,
      storedSha256: 'b'.repeat(64),
      tablesWithoutRows: ['public.django_session', 'public."Logs"'],
    };
    await engine.ctx.catalog.completeBackup(backup.id, [part], at, undefined, {
      codeVersion: '4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d',
    });
    const olga = await signedIn('web:olga');
    const list = await olga.get('/backups?target=shop/staging');
    expect(list.text).toContain('code <code>4f2c9e1d8a7b</code>');
    const page = await olga.get(`/backups/${backup.id}`);
    expect(page.text).toContain('<dt>Code version</dt><dd><code>4f2c9e1d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d</code></dd>');
    expect(page.text).toContain('without the rows of public.django_session, public.&#34;Logs&#34;');
    expect(page.text).toContain('<dt>Proven restorable</dt><dd><span class="muted">not drilled yet</span></dd>');
    expect((await olga.get('/backups?target=shop/staging')).text).toContain(
      '<p class="drill-summary"><span class="muted">No backup proven restorable yet.</span></p>',
    );
    await engine.ctx.catalog.recordProof(backup.id, at, 42, null);
    const proven = await olga.get(`/backups/${backup.id}`);
    expect(proven.text).toContain(
      `<dt>Proven restorable</dt><dd><time datetime="${at.toISOString()}">2025-07-01 00:00 UTC</time> (in 42 s)</dd>`,
    );
    await engine.ctx.catalog.recordProof(backup.id, at, 3, 'table public.orders: recorded 3 rows, found 2');
    const drill = await engine.ctx.catalog.drills.insert(
      { backupId: backup.id, app: 'shop', env: 'staging', requestedBy: 'web:olga' },
      at,
    );
    const later = new Date(at.getTime() + 60_000);
    const error = 'table public.orders: recorded 3 rows, found 2';
    await engine.ctx.catalog.drills.update(drill!.id, { status: 'failed', finishedAt: later, error });
    const failed = await olga.get('/backups?target=shop/staging');
    expect(failed.text).toContain(
      '<td data-label="Proven restorable"><span class="status failed">drill failed</span></td>',
    );
    // The target's line says the failure after the last proof, what failed and of which backup.
    expect(failed.text).toContain(
      `<span class="status failed">Drill failed</span> <time datetime="${later.toISOString()}">2025-07-01 00:01 UTC</time> ` +
        `(backup <a href="/backups/${backup.id}">${backup.id}</a>): ${error}`,
    );
    await engine.state.db.deleteFrom('drills').where('id', '=', drill!.id).execute();
    await engine.ctx.catalog.deleteBackup(backup.id);
  });

  test('a long list pages by 100, newest first, each kind on its own', async () => {
    for (let i = 0; i < 105; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, i));
      const backup = await engine.ctx.catalog.insertBackup(
        { app: 'shop', env: 'staging', trigger: 'on-demand', parts: 'media', note: `n${i}`, requestedBy: 'cli:ana' },
        at,
      );
      await engine.ctx.catalog.completeBackup(backup.id, [], at);
    }
    const olga = await signedIn('web:olga');
    const first = await olga.get('/backups?target=shop/staging');
    const rows = (text: string) =>
      text.slice(text.indexOf('id="on-demand-heading"')).match(/<div class="note">/g)?.length ?? 0;
    expect(rows(first.text)).toBe(100);
    expect(first.text).toContain('>n104<');
    const older = /href="([^"]+)#on-demand-heading">Older on-demand backups/.exec(first.text)?.[1] as string;
    const second = await olga.get(older.replaceAll('&#38;', '&'));
    expect(rows(second.text)).toBe(5);
    expect(second.text).toContain('>n0<');
    expect(second.text).toContain('Newest on-demand');
    expect(second.text).not.toContain('Older on-demand backups');
    expect((await olga.get('/backups?target=shop/staging&on-demand=garbage')).status).toBe(400);
  });

  test("a media backup's files are listed from its manifest and searched by path; its history shows who asked", async () => {
    writeFileSync(join(liveMedia, 'uploads', 'dog.png'), 'woof'.repeat(500));
    const olga = await signedIn('web:olga');
    const created = await olga.post('/backups', { target: 'shop/live', parts: 'media', note: 'files' });
    const operationPath = (created.location as string).split('?')[0] as string;
    await until(async () => (await olga.get(operationPath)).text.includes('Completed'));
    const backupId = /href="\/backups\/(\w+)"/.exec((await olga.get(operationPath)).text)?.[1] as string;
    const page = await olga.get(`/backups/${backupId}`);
    expect(page.text).toContain('Browse the media files');
    expect(page.text).toMatch(/web:olga<\/strong> <code>create media shop\/live &#34;files&#34;<\/code>/);
    const all = await olga.get(`/backups/${backupId}/files`);
    expect(all.status).toBe(200);
    expect(all.text).toContain('<code>uploads/cat.jpg</code>');
    expect(all.text).toContain('<code>uploads/dog.png</code>');
    const found = await olga.get(`/backups/${backupId}/files?q=DOG`);
    expect(found.text).toContain('1 of 2 files match.');
    expect(found.text).not.toContain('uploads/cat.jpg');
    // A viewer may browse too; a backup without media has nothing to list.
    expect((await (await signedIn('web:vera')).get(`/backups/${backupId}/files`)).status).toBe(200);
  });

  test('the script and stylesheet are served from the package with their types', async () => {
    const script = await fetch(`${server.url}/assets/live.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await script.text()).toContain('new EventSource');
    const css = await fetch(`${server.url}/assets/backstop.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });
});
