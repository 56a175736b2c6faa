import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import type { Store } from '../../src/storage/store.ts';
import { listen } from '../http/listen.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { chromiumFlags } from './chromium.ts';
import { signInThroughProvider, startOidcProvider } from './oidc-peer.ts';

// Sign-in through a real OpenID Connect provider (oidc-provider on this machine) issuing ID tokens shaped like
// Slack's ("Sign in with Slack") and like an email provider's, in Chromium, into the Backups view.
let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
let browser: Browser;
const closers: Array<() => Promise<void> | void> = [];

/** Accounts of the provider: their login name is their subject. */
const accounts: Record<string, Record<string, unknown>> = {
  U123: slack('U123', 'T1', 'sam@example.com', 'Sam'),
  U999: slack('U999', 'T1', 'nobody@example.com', 'Nobody'),
  U777: slack('U777', 'T2', 'other@elsewhere.org', 'Other'),
};

function slack(user: string, team: string, email: string, name: string): Record<string, unknown> {
  return {
    sub: user,
    'https://slack.com/user_id': user,
    'https://slack.com/team_id': team,
    email,
    email_verified: true,
    name,
  };
}

/** Backstop with `web.oidc` pointing at a fresh provider; answers its address. */
async function backstopWithProvider(policy: { allowedWorkspace?: string }): Promise<string> {
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const provider = await startOidcProvider(`${base}/sign-in/callback`, accounts);
  closers.push(provider.close);
  const { issuer } = provider;
  const app = createHttpApp({
    state: engine.state.db,
    store,
    engine: engine.ctx,
    web: {
      secure: false,
      oidc: {
        issuer,
        clientId: 'backstop',
        clientSecret: 'backstop-secret',
        name: 'Slack',
        principal: 'slack',
        allowedDomains: [],
        scopes: ['openid', 'email', 'profile'],
        ...(policy.allowedWorkspace !== undefined && { allowedWorkspace: policy.allowedWorkspace }),
      },
    },
  });
  const server = app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return base;
}

async function freeLoopbackPort(): Promise<number> {
  const probe = await listen((await import('express')).default());
  const port = Number(new URL(probe.url).port);
  await probe.close();
  return port;
}

/** Signs in through the provider's own pages as `login`; answers the Backstop page the browser lands on. */
async function signIn(base: string, login: string): Promise<{ url: string; text: string; status: number | undefined }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const status = await signInThroughProvider(page, base, 'Slack', login);
  const result = { url: page.url(), text: (await page.locator('main').textContent()) ?? '', status };
  await context.close();
  return result;
}

beforeAll(async () => {
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({
    store,
    targets: [target('shop', 'live', { mediaDir: '/nonexistent-media' })],
    access: { shop: { environments: {}, access: { viewer: ['slack:U123'], operator: ['*'] } } } as never,
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags });
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await browser?.close();
  await engine?.close();
  await cleanupStore?.();
});

describe('Sign in with Slack through OpenID Connect', () => {
  test('a Slack user the config names signs in as slack:U..., the principal chat uses', async () => {
    const base = await backstopWithProvider({});
    const landed = await signIn(base, 'U123');
    expect(landed.url).toBe(`${base}/backups`);
    expect(landed.text).toContain('Backups of shop/live');
    const sessions = await engine.state.db
      .selectFrom('web_sessions')
      .selectAll()
      .where('principal', '=', 'slack:U123')
      .execute();
    expect(sessions.map((s) => [s.name, JSON.parse(s.also)])).toEqual([['Sam', ['web:sam@example.com']]]);
  }, 60_000);

  test('a person the config grants nothing cannot sign in, even where * grants a role, without a workspace limit', async () => {
    const base = await backstopWithProvider({});
    const refused = await signIn(base, 'U999');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('slack:U999 has no role in Backstop');
    expect(
      await engine.state.db.selectFrom('web_sessions').selectAll().where('principal', '=', 'slack:U999').execute(),
    ).toEqual([]);
  }, 60_000);

  test('with the workspace limit, * admits the workspace and only it', async () => {
    const base = await backstopWithProvider({ allowedWorkspace: 'T1' });
    expect((await signIn(base, 'U999')).url).toBe(`${base}/backups`);
    const other = await signIn(base, 'U777');
    expect([other.status, other.text]).toEqual([403, expect.stringContaining('another Slack workspace')]);
  }, 60_000);

  test('a callback that this browser did not start is refused', async () => {
    const base = await backstopWithProvider({});
    const forged = await fetch(`${base}/sign-in/callback?code=abc&state=made-up`, { redirect: 'manual' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('was not started in this browser');
  });
});
