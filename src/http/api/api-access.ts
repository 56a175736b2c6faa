import type { RequestHandler, Response } from 'express';
import { type ApiToken, roleAllows, type TokenRole, tokenCoversApp, verifyToken } from '../../state/api-tokens.ts';
import type { StateDb } from '../../state/state.ts';
import { ApiError } from './api-errors.ts';

/**
 * Admits requests with `Authorization: Bearer <secret>` of an active token (kept in `response.locals.token`); anything
 * else is a 401 `unauthorized`, the same whether the token is missing, unknown or revoked.
 */
export function authenticate(db: StateDb, clock: () => Date): RequestHandler {
  return async (request, response, next) => {
    const header = request.get('authorization');
    const secret = header === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
    if (secret === undefined) {
      throw new ApiError(
        401,
        'unauthorized',
        'This needs an API token: send "Authorization: Bearer <token>" (create one with: backstop token create).',
      );
    }
    const token = await verifyToken(db, secret, clock());
    if (!token) throw new ApiError(401, 'unauthorized', 'The API token is not valid (unknown or revoked).');
    response.locals['token'] = token;
    next();
  };
}

/** The token `authenticate` admitted. */
export function tokenOf(response: Response): ApiToken {
  return response.locals['token'] as ApiToken;
}

/** The principal recorded as having asked: `api:<token name>`. */
export function callerOf(token: ApiToken): string {
  return `api:${token.name}`;
}

/** A 403 unless the token's role reaches `needed` (roles are cumulative); `what` names the action for the message. */
export function requireRole(token: ApiToken, needed: TokenRole, what: string): void {
  if (!roleAllows(token.role, needed)) {
    throw new ApiError(
      403,
      'forbidden',
      `This token has the ${token.role} role; ${what} needs the ${needed} role (or higher).`,
      { requiredRole: needed },
    );
  }
}

/** A 403 unless the token may touch `app`. */
export function requireApp(token: ApiToken, app: string): void {
  if (!tokenCoversApp(token, app)) {
    throw new ApiError(
      403,
      'forbidden',
      `This token may not touch app ${app} (it is limited to ${token.apps.join(', ')}).`,
    );
  }
}
