import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { WebSession, WebSessions } from '../../state/web-sessions.ts';

/** The cookie holding a session's secret: `__Host-` bound to this host and path `/` when served over https. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-backstop_session' : 'backstop_session';
}

/** How long a web session lasts from sign-in, unless `web.sessionTtl` says otherwise. */
export const defaultSessionTtlSeconds = 12 * 60 * 60;

/** The session secret a request's cookies carry, if any. */
export function sessionSecretOf(request: Request): string | undefined {
  return cookieOf(request, '__Host-backstop_session') ?? cookieOf(request, 'backstop_session');
}

/** The value of the cookie `name` the request carries, if any. */
export function cookieOf(request: Request, name: string): string | undefined {
  const header = request.get('cookie');
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Sets the session cookie: HttpOnly (no script reads it), SameSite=Lax, Secure over https. */
export function setSessionCookie(response: Response, secret: string, secure: boolean, ttlSeconds: number): void {
  response.cookie(sessionCookieName(secure), secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: ttlSeconds * 1000,
  });
}

export function clearSessionCookie(response: Response, secure: boolean): void {
  response.clearCookie(sessionCookieName(secure), { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/** Looks up the request's session (kept in `response.locals.webSession`, undefined when signed out). */
export function loadSession(sessions: WebSessions): RequestHandler {
  return async (request, response, next) => {
    const secret = sessionSecretOf(request);
    response.locals['webSession'] = secret === undefined ? undefined : await sessions.find(secret);
    next();
  };
}

export function sessionOf(response: Response): WebSession | undefined {
  return response.locals['webSession'] as WebSession | undefined;
}

/**
 * Why a state-changing request of a session is refused as cross-site, or undefined when it is not: the browser says
 * it came from another site (`Sec-Fetch-Site`, `Origin`), or it lacks the session's CSRF token (a form's `csrf` field
 * or the `X-CSRF-Token` header). SameSite=Lax cookies already stay home on cross-site POSTs; this is the second lock.
 */
export function crossSiteRefusal(request: Request, session: WebSession, sentToken: unknown): string | undefined {
  const fetchSite = request.get('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return 'This request came from another site, so it was refused.';
  }
  const origin = request.get('origin');
  if (origin !== undefined && !sameHost(origin, request.get('host'))) {
    return `This request came from ${origin}, not from this site, so it was refused.`;
  }
  if (typeof sentToken !== 'string' || !sameSecret(sentToken, session.csrf)) {
    return 'This form is out of date or did not come from this site (its CSRF token does not match): reload the page and try again.';
  }
  return undefined;
}

/** Whether the browser's `Origin` names the host the request was sent to (a proxy in front keeps the Host header). */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
