import type { Request, RequestHandler, Response } from 'express';
import type { Principal } from '../../domain/principal.ts';
import { verifyToken } from '../../state/api-tokens.ts';
import type { StateDb } from '../../state/state.ts';
import type { WebSessions } from '../../state/web-sessions.ts';
import { crossSiteRefusal, sessionSecretOf } from '../web/web-session.ts';
import { ApiError } from './api-errors.ts';

/**
 * Admits requests with `Authorization: Bearer <secret>` of an active token, as the principal `api:<token name>` whose
 * token role and apps narrow what `access:` grants it (kept in `response.locals.principal`); anything else is a 401
 * `unauthorized`, the same whether the token is missing, unknown or revoked. Given `sessions`, a request without the
 * header is also admitted by the web view's session cookie (see `admitSession`).
 */
export function authenticate(db: StateDb, clock: () => Date, sessions?: WebSessions): RequestHandler {
  return async (request, response, next) => {
    const header = request.get('authorization');
    const cookie = header === undefined && sessions ? sessionSecretOf(request) : undefined;
    if (cookie !== undefined && sessions) {
      await admitSession(request, response, sessions, cookie);
      next();
      return;
    }
    const secret = header === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
    if (header !== undefined && secret === undefined) {
      throw new ApiError(
        401,
        'unauthorized',
        'The Authorization header must be "Bearer <token>": the word Bearer, a space, then the token.',
      );
    }
    if (secret === undefined) {
      throw new ApiError(
        401,
        'unauthorized',
        'This needs an API token: send "Authorization: Bearer <token>" (create one with: backstop token create).',
      );
    }
    const token = await verifyToken(db, secret, clock());
    if (!token) throw new ApiError(401, 'unauthorized', 'The API token is not valid (unknown or revoked).');
    const principal: Principal = {
      kind: 'api',
      id: `api:${token.name}`,
      token: { role: token.role, apps: token.apps },
    };
    response.locals['principal'] = principal;
    // For a request that lasts (an event stream): whether its token is still active now.
    response.locals['tokenStillActive'] = async () => (await verifyToken(db, secret, clock())) !== undefined;
    next();
  };
}

/**
 * The web view's own requests: a live session's principal, and for anything but a read the session's CSRF token in
 * `X-CSRF-Token` from this site (403 `cross-site` otherwise). An ended or expired session is a 401.
 */
async function admitSession(request: Request, response: Response, sessions: WebSessions, secret: string) {
  const session = await sessions.find(secret);
  if (!session) throw new ApiError(401, 'unauthorized', 'The web session has ended: sign in again.');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
    const token = request.get('x-csrf-token');
    const why =
      token === undefined
        ? "A change through the API with the web session cookie needs the X-CSRF-Token header: the session's token, " +
          "which the page carries in its body's data-csrf attribute (or use an API token instead of the cookie)."
        : crossSiteRefusal(request, session, token);
    if (why !== undefined) throw new ApiError(403, 'cross-site', why);
  }
  response.locals['principal'] = session.principal;
  response.locals['tokenStillActive'] = async () => (await sessions.find(secret)) !== undefined;
}

/** The principal `authenticate` admitted. */
export function principalOf(response: Response): Principal {
  return response.locals['principal'] as Principal;
}

/** Whether the token that `authenticate` admitted is still active (not revoked since). */
export function tokenStillActive(response: Response): Promise<boolean> {
  const check = response.locals['tokenStillActive'] as (() => Promise<boolean>) | undefined;
  return check ? check() : Promise.resolve(true);
}
