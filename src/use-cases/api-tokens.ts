import { BackstopError } from '../domain/backstop-error.ts';
import type { Principal, Role } from '../domain/principal.ts';
import { type ApiToken, createToken, listTokens, revokeToken } from '../state/api-tokens.ts';
import type { StateDb } from '../state/state.ts';
import { type AuditContext, audited } from './audited.ts';

/** What the token use cases work with: the state they keep tokens in, and the audit log. */
export type TokenContext = AuditContext & { db: StateDb };

/**
 * Creates an API token (its secret is returned once; only its sha256 is kept). Only whoever holds the config may:
 * a token is a credential, and what it may do is still decided by `access:`.
 */
export async function createApiToken(
  ctx: TokenContext,
  principal: Principal,
  request: { name: string; role: Role; apps: readonly string[] },
): Promise<{ token: ApiToken; secret: string }> {
  return audited(
    ctx,
    principal,
    `token create --name ${request.name} --role ${request.role} --apps ${request.apps.join(',')}`,
    async (scope) => {
      requireConfigHolder(principal);
      const created = await createToken(ctx.db, request, ctx.clock());
      scope.detail = `token ${created.token.id}`;
      return created;
    },
  );
}

/** Revokes a token: from now on requests with it get 401. */
export async function revokeApiToken(ctx: TokenContext, principal: Principal, id: string): Promise<ApiToken> {
  return audited(ctx, principal, `token revoke ${id}`, async () => {
    requireConfigHolder(principal);
    return revokeToken(ctx.db, id, ctx.clock());
  });
}

/** Every token, revoked ones included (never their secrets). */
export async function listApiTokens(ctx: TokenContext, principal: Principal): Promise<ApiToken[]> {
  requireConfigHolder(principal);
  return listTokens(ctx.db);
}

function requireConfigHolder(principal: Principal): void {
  if (principal.kind === 'operator') return;
  const message = 'API tokens are managed by whoever holds the Backstop config, with: backstop token ...';
  throw new BackstopError('forbidden', message, { userMessage: message });
}
