import type { RequestHandler, Response } from 'express';
import type { Principal } from '../../domain/principal.ts';
import { verifyToken } from '../../state/api-tokens.ts';
import type { StateDb } from '../../state/state.ts';
import { ApiError } from './api-errors.ts';

/**
 * Admits requests with `Authorization: Bearer <secret>` of an active token, as the principal `api:<token name>` whose
 * token role and apps narrow what `access:` grants it (kept in `response.locals.principal`); anything else is a 401
 * `unauthorized`, the same whether the token is missing, unknown or revoked.
 */
export function authenticate(db: StateDb, clock: () => Date): RequestHandler {
  return async (request, response, next) => {
    const header = request.get('authorization');
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

/** The principal `authenticate` admitted. */
export function principalOf(response: Response): Principal {
  return response.locals['principal'] as Principal;
}

/** Whether the token that `authenticate` admitted is still active (not revoked since). */
export function tokenStillActive(response: Response): Promise<boolean> {
  return (response.locals['tokenStillActive'] as () => Promise<boolean>)();
}
