import type { Request, Router } from 'express';
import type { OidcSignIn } from './oidc-sign-in.ts';
import { signInPage } from './sign-in-page.ts';
import { send, type WebOptions } from './web-router.ts';
import { cookieOf, setSessionCookie } from './web-session.ts';

/** The cookie that ties a started sign-in to the browser that started it. */
const attemptCookie = 'backstop_signin';

/**
 * `/sign-in/oidc` sends the browser to the provider; `/sign-in/callback` is where the provider sends it back (register
 * `<publicUrl>/sign-in/callback` as the client's redirect URI). A person the config grants nothing is not signed in.
 */
export function oidcRoutes(router: Router, options: WebOptions, oidc: OidcSignIn): void {
  const baseOf = (request: Request) =>
    options.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.get('host')}`;
  const provider = oidc.settings.name;

  router.get('/sign-in/oidc', async (request, response) => {
    let started: { url: URL; attempt: string };
    try {
      started = await oidc.start(`${baseOf(request)}/sign-in/callback`);
    } catch (cause) {
      send(
        response,
        502,
        signInPage({ provider, message: `Signing in is not possible now: ${(cause as Error).message}.` }),
      );
      return;
    }
    response.cookie(attemptCookie, started.attempt, {
      httpOnly: true,
      // Lax: the cookie comes back on the provider's top-level redirect to the callback.
      sameSite: 'lax',
      secure: options.secure,
      path: '/sign-in/callback',
      maxAge: 10 * 60 * 1000,
    });
    response.redirect(303, started.url.href);
  });

  router.get('/sign-in/callback', async (request, response) => {
    const outcome = await oidc
      .finish(new URL(request.originalUrl, baseOf(request)), cookieOf(request, attemptCookie))
      .catch((cause: unknown) => ({ refused: `Signing in is not possible now: ${(cause as Error).message}.` }));
    response.clearCookie(attemptCookie, {
      path: '/sign-in/callback',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
    });
    if ('refused' in outcome) {
      send(response, 403, signInPage({ provider, message: outcome.refused }));
      return;
    }
    const { principal, also, name } = outcome.admitted;
    const { secret } = await options.sessions.open(
      { principal, also, name, configHolder: false },
      options.sessionTtlSeconds,
    );
    setSessionCookie(response, secret, options.secure, options.sessionTtlSeconds);
    response.redirect(303, '/backups');
  });
}
