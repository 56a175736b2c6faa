import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

/**
 * A local OpenID Connect provider (oidc-provider) with one client, `backstop` / `backstop-secret`, whose redirect URI
 * is `callback`. Its accounts' login names are their subjects; `accounts` gives each one's claims (shaped as the
 * provider being played sends them). Its ID tokens carry the claims of the scopes asked for, as Slack's do.
 */
export async function startOidcProvider(
  callback: string,
  accounts: Record<string, Record<string, unknown>>,
): Promise<{ issuer: string; close: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'backstop',
        client_secret: 'backstop-secret',
        redirect_uris: [callback],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub', 'https://slack.com/user_id', 'https://slack.com/team_id'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    conformIdTokenClaims: false,
    findAccount: (_context, sub) => ({ accountId: sub, claims: () => ({ sub, ...accounts[sub] }) }),
    cookies: { keys: ['oidc-provider-test-key'] },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Signs in on Backstop's sign-in page through the provider's own login and consent pages, as `login`; resolves with
 * the status of Backstop's callback once the browser has landed.
 */
export async function signInThroughProvider(
  page: Page,
  base: string,
  provider: string,
  login: string,
): Promise<number> {
  await page.goto(`${base}/sign-in`);
  await page.getByRole('link', { name: `Sign in with ${provider}` }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const landed = page.waitForResponse((r) => r.url().startsWith(`${base}/sign-in/callback`));
  await page.getByRole('button', { name: 'Continue' }).click();
  const callback = await landed;
  await page.waitForLoadState();
  return callback.status();
}
