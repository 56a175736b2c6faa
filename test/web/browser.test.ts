import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import { FakeSlackApi } from '../adapters/slack/fake-slack-api.ts';
import { signingSecret } from '../adapters/slack/slack-requests.ts';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../support/s3rver.ts';
import { freePort, startServe } from '../support/serve-process.ts';
import { chromiumFlags } from './chromium.ts';
import { signInThroughProvider, startOidcProvider } from './oidc-peer.ts';

// The Backups view in Debian's Chromium, against `backstop serve` as its own process on a PostgreSQL state, s3rver
// for storage, real application databases, a local OpenID provider for the people who sign in (the config holder
// uses `backstop web login`) and a fake Slack Web API that records the approval cards.
const cwd = mkdtempSync(join(tmpdir(), 'backstop-browser-'));
const screenshots = join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(cwd, { recursive: true, force: true })];
let base: string;
let browser: Browser;
let slack: FakeSlackApi;
let s3: S3rverPeer;
const databases: Record<string, { name: string; url: string }> = {};
/** The people of the OpenID provider, by login: claims as an email provider sends them. */
const people: Record<string, Record<string, unknown>> = {
  abby: { email: 'abby@example.com', email_verified: true, name: 'Abby' },
  vera: { email: 'vera@example.com', email_verified: true, name: 'Vera' },
  stranger: { email: 'stranger@example.com', email_verified: true, name: 'Stranger' },
};

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  for (const env of ['state', 'live', 'staging', 'prod']) databases[env] = await createDatabase(`web_${env}`);
  cleanups.push(async () => {
    for (const db of Object.values(databases)) await dropDatabase(db.name);
  });
  await sql(databases['live']!.url, 'create table orders (id int primary key, item text)');
  await sql(databases['live']!.url, "insert into orders values (1, 'tea'), (2, 'cake'), (3, 'jam')");
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'photo.jpg'), Buffer.alloc(50_000, 7));
  slack = await FakeSlackApi.start();
  cleanups.push(() => slack.close());
  s3 = await startS3rver();
  cleanups.push(() => s3.stop());
  const bucket = await s3.createBucket('web');
  const { identity, recipient } = generateIdentity();
  writeFileSync(join(cwd, 'fleet.key'), `${identity}\n`, { mode: 0o600 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const provider = await startOidcProvider(`${base}/sign-in/callback`, people);
  cleanups.push(provider.close);
  const config = {
    database: databases['state']!.url,
    encryption: { recipients: [recipient], identities: ['./fleet.key'] },
    storage: {
      s3: {
        bucket,
        endpoint: s3.clientConfig.endpoint,
        region: s3.clientConfig.region,
        forcePathStyle: true,
        accessKeyId: s3.clientConfig.credentials.accessKeyId,
        secretAccessKey: s3.clientConfig.credentials.secretAccessKey,
      },
    },
    http: { port },
    web: {
      oidc: { issuer: provider.issuer, clientId: 'backstop', clientSecret: 'backstop-secret', name: 'Example ID' },
    },
    chat: { slack: { signingSecret, botToken: 'xoxb-web-test', apiUrl: slack.apiUrl } },
    apps: {
      shop: {
        access: { viewer: ['web:vera@example.com'], approver: ['web:abby@example.com'] },
        channels: ['slack:C123'],
        environments: {
          live: { database: databases['live']!.url, media: './media', schedule: 'off' },
          staging: { database: databases['staging']!.url, schedule: 'off' },
          prod: { database: databases['prod']!.url, schedule: 'off', protected: true },
        },
      },
    },
  };
  writeFileSync(join(cwd, 'backstop.yaml'), `${JSON.stringify(config)}\n`);
  await startServe(cwd, cleanups);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Playwright gives each launch a new, empty profile directory.
    args: chromiumFlags,
  });
  cleanups.push(() => browser.close());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A browser context signed in through the OpenID provider as `login` (one of `people`). */
async function personContext(login: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const status = await signInThroughProvider(await context.newPage(), base, 'Example ID', login);
  expect(status).toBe(303);
  return context;
}

/** No serious or critical accessibility violation, no horizontal scrolling at 375 px, and a screenshot of each. */
async function checkPage(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(grave.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  // Tables become one card a row on a phone: no row squeezed into a column of single letters.
  const tallestRow = await page.evaluate(() =>
    Math.max(0, ...[...document.querySelectorAll('table.stack tbody tr')].map((r) => r.getBoundingClientRect().height)),
  );
  expect(tallestRow).toBeLessThan(400);
  await page.screenshot({ path: join(screenshots, `${name}-375px.png`), fullPage: true });
  if (wide) await page.setViewportSize(wide);
}

async function rowsOf(url: string): Promise<string[]> {
  const rows = await sql<{ item: string }>(url, 'select item from orders order by id');
  return rows.map((r) => r.item);
}

test('sign in, create with a note and watch it complete, restore into staging, ask for and approve a protected restore, download', async () => {
  const holder = await browser.newContext();
  const page = await holder.newPage();
  const login = await runBackstop(['web', 'login', '--json'], { cwd });
  expect(login.code).toBe(0);
  await page.goto(login.json().url);
  await checkPage(page, 'sign-in');
  await page.getByRole('button', { name: 'Sign in as the holder of the config' }).click();
  await page.waitForURL(`${base}/backups`);
  await checkPage(page, 'backups-empty');

  // Create, with the keyboard only: Tab to the note, type, Enter submits.
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.id)) !== 'note'; i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type('before deploy');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/operations\/\w+\?notice=backup-queued$/);
  // The page follows the event stream and shows the outcome when the worker finishes.
  await page.getByText(/^Completed/).waitFor({ timeout: 60_000 });
  await checkPage(page, 'operation');
  await page.getByRole('link', { name: 'Open the backup' }).click();
  await page.waitForURL(/\/backups\/\w+$/);
  const backupId = page.url().split('/').pop() as string;
  await expect.poll(() => page.getByText('before deploy').count()).toBeGreaterThan(0);
  await checkPage(page, 'backup');
  await page.getByRole('link', { name: 'Browse the media files' }).click();
  await page.getByText('photo.jpg').waitFor();
  await checkPage(page, 'files');
  await page.goto(`${base}/backups`);
  const onDemandRows = page.locator('section[aria-labelledby="on-demand-heading"] tbody tr');
  expect(await onDemandRows.count()).toBe(1);
  expect(await onDemandRows.first().textContent()).toContain('before deploy');
  await checkPage(page, 'backups');

  // Restore the database into staging with the typed confirmation.
  await page.goto(`${base}/backups/${backupId}/restore`);
  await page.getByLabel('What').selectOption('db');
  await page.getByLabel('Into').selectOption('shop/staging');
  await page.getByRole('button', { name: 'Show what this would overwrite' }).click();
  await page.getByText('This overwrites, in').waitFor();
  await checkPage(page, 'restore');
  await page.getByLabel('Type shop/staging to confirm').fill('shop/staging');
  await page.getByRole('button', { name: 'Restore into shop/staging' }).click();
  await page.waitForURL(/\/operations\/\w+\?notice=restore-queued$/);
  await page.getByText(/^Completed/).waitFor({ timeout: 60_000 });
  expect(await rowsOf(databases['staging']!.url)).toEqual(['tea', 'cake', 'jam']);

  // Into the protected prod: a request, posted as a card to the bound Slack channel, approved by Abby on the web.
  await page.goto(`${base}/backups/${backupId}/restore?parts=db&to=shop/prod&safety=on`);
  await page.getByLabel('Type shop/prod to confirm').fill('shop/prod');
  await page.getByRole('button', { name: 'Ask for approval' }).click();
  await page.waitForURL(`${base}/approvals?notice=approval-requested`);
  await page.getByText('Waiting for another approver.').waitFor();
  const card = await slack.waitFor(
    () => slack.callsTo('chat.postMessage').find((c) => /Restore request \w+/.test(String(c.body['text']))),
    30_000,
  );
  const abby = await personContext('abby');
  const approverPage = await abby.newPage();
  await approverPage.goto(`${base}/approvals`);
  await checkPage(approverPage, 'approvals');
  await approverPage.getByRole('button', { name: 'Approve restore into shop/prod' }).click();
  await approverPage.waitForURL(/\/operations\/\w+\?notice=approved$/);
  await approverPage.getByText(/^Completed/).waitFor({ timeout: 60_000 });
  expect(await rowsOf(databases['prod']!.url)).toEqual(['tea', 'cake', 'jam']);
  // The Slack card of the same request now says who approved it.
  await slack.waitFor(
    () =>
      slack
        .callsTo('chat.update')
        .find((c) => c.body['ts'] === card.answer?.['ts'] && /web:abby/.test(JSON.stringify(c.body))),
    30_000,
  );

  // Prepare a download of the database and fetch its link: the bytes are the backup's.
  await page.goto(`${base}/backups/${backupId}`);
  await page.getByLabel('Prepare download of').selectOption('db');
  await page.getByRole('button', { name: 'Prepare download' }).click();
  await page.waitForURL(/\/prepared-downloads\/\w+\?notice=download-queued$/);
  const link = page.getByRole('link', { name: /\.dump$/ });
  await link.waitFor({ timeout: 60_000 });
  await checkPage(page, 'download');
  const href = (await link.getAttribute('href')) as string;
  const file = await page.request.get(href);
  const backup = await (await page.request.get(`${base}/api/v1/backups/${backupId}`)).json();
  const dbPart = backup.parts.find((p: { kind: string }) => p.kind === 'db');
  expect(
    createHash('sha256')
      .update(await file.body())
      .digest('hex'),
  ).toBe(dbPart.sha256);

  await page.goto(`${base}/operations`);
  await checkPage(page, 'operations');
  await page.goto(`${base}/schedules`);
  await checkPage(page, 'schedules');
  await page.goto(`${base}/audit`);
  await checkPage(page, 'audit');
  await holder.close();
  await abby.close();
}, 240_000);

test('a person the config grants nothing cannot sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  expect(await signInThroughProvider(page, base, 'Example ID', 'stranger')).toBe(403);
  expect(await page.locator('main').textContent()).toContain('web:stranger@example.com has no role in Backstop');
  expect((await page.request.get(`${base}/api/v1/backups`)).status()).toBe(401);
  await context.close();
}, 60_000);

test('a viewer sees no Create button and is refused when posting anyway; a cross-site form post is refused', async () => {
  const vera = await personContext('vera');
  const page = await vera.newPage();
  await page.goto(`${base}/backups`);
  await page.getByRole('heading', { name: 'Backups of shop/live' }).waitFor();
  expect(await page.getByRole('button', { name: 'Create backup' }).count()).toBe(0);
  const csrf = (await page.locator('input[name="csrf"]').first().getAttribute('value')) as string;
  const forced = await page.request.post(`${base}/backups`, {
    form: { csrf, target: 'shop/live', parts: 'db' },
    headers: { origin: base },
  });
  expect(forced.status()).toBe(403);
  expect(await forced.text()).toContain('needs the operator role on shop');

  // Another site's page posting a form to Backstop: the browser keeps the SameSite cookie home, and Backstop refuses.
  const before = (await sql(databases['state']!.url, 'select count(*)::int as n from backups'))[0]?.['n'];
  const evil = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(
      `<form id="f" method="post" action="${base}/backups"><input name="target" value="shop/live"></form>` +
        '<script>document.getElementById("f").submit()</script>',
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
  try {
    const { port } = evil.address() as { port: number };
    const holderish = await personContext('abby');
    const victim = await holderish.newPage();
    const answer = victim.waitForResponse((r) => r.url() === `${base}/backups` && r.request().method() === 'POST');
    await victim.goto(`http://127.0.0.2:${port}/`);
    expect([401, 403]).toContain((await answer).status());
    await holderish.close();
  } finally {
    evil.close();
  }
  const after = (await sql(databases['state']!.url, 'select count(*)::int as n from backups'))[0]?.['n'];
  expect(after).toBe(before);
  await vera.close();
}, 120_000);
