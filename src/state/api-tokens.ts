import { createHash, randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { BackstopError } from '../domain/backstop-error.ts';
import { isWellFormedId, newId, noSuchId } from '../domain/new-id.ts';
import { type Role, roles } from '../domain/principal.ts';
import type { StateDb } from './state.ts';
import { isUniqueViolation } from './state-dialect.ts';
import type { ApiTokensTable } from './tables.ts';

/** An API token as people and the API see it: never its secret, which only its creator saw, once. */
export interface ApiToken {
  id: string;
  name: string;
  /** The most it may do: `access:` in the config decides what it may do, this only narrows it. */
  role: Role;
  /** The apps it may touch, or ['*'] for all. */
  apps: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const SECRET_PREFIX = 'bst_';
/** `bst_` and 32 random bytes in base64url (43 characters). */
const SECRET_SHAPE = /^bst_[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const APP_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The stored form of a secret: its sha256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Creates a token and returns it with its secret, which is shown to the caller once and stored only as its sha256.
 * Names identify the caller in the audit trail (`api:<name>`), so an active token's name is not given twice.
 */
export async function createToken(
  db: StateDb,
  request: { name: string; role: Role; apps: readonly string[] },
  now: Date,
): Promise<{ token: ApiToken; secret: string }> {
  const apps = checkApps(request.apps);
  if (!NAME_SHAPE.test(request.name)) {
    throw invalid(
      `Token name '${request.name}' is not usable: use up to 64 letters, digits, '.', '_' or '-' (e.g. ci-deploy).`,
    );
  }
  if (!isRole(request.role)) {
    throw invalid(`Unknown role '${String(request.role)}': use one of ${roles.join(', ')}.`);
  }
  const taken = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('name', '=', request.name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (taken) {
    const message = `A token named '${request.name}' exists already (${taken.id}); revoke it first or choose another name.`;
    throw new BackstopError('token-name-taken', message, { userMessage: message });
  }
  for (let attempt = 0; ; attempt++) {
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    try {
      const row = await db
        .insertInto('api_tokens')
        .values({
          id: newId(8),
          name: request.name,
          secret_sha256: hashSecret(secret),
          role: request.role,
          apps: JSON.stringify(apps),
          created_at: now,
          last_used_at: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { token: toToken(row), secret };
    } catch (error) {
      // An id clash (1 in 31^8): try again with new values.
      if (!isUniqueViolation(error) || attempt >= 5) throw error;
    }
  }
}

/**
 * The active token whose secret this is (recording that it was used now), or undefined: unknown, malformed and
 * revoked secrets all answer the same, so a caller cannot tell whether a token exists. The lookup is by the
 * secret's sha256, so no comparison of secrets takes place that could leak timing.
 */
export async function verifyToken(db: StateDb, secret: string, now: Date): Promise<ApiToken | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  const row = await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('secret_sha256', '=', hashSecret(secret))
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? toToken(row) : undefined;
}

/** Every token, revoked ones included, oldest first (without secrets: only their hashes are stored). */
export async function listTokens(db: StateDb): Promise<ApiToken[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toToken);
}

/** Revokes a token (from now on it never verifies); a token revoked before stays as it was. */
export async function revokeToken(db: StateDb, id: string, now: Date): Promise<ApiToken> {
  const message = `${noSuchId('token', id)} See the tokens with: backstop token list`;
  if (!isWellFormedId(id)) throw new BackstopError('token-not-found', message, { userMessage: message });
  const row = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row) return toToken(row);
  const existing = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (existing) return toToken(existing);
  throw new BackstopError('token-not-found', message, { userMessage: message });
}

/** A token for --json output and the API: everything but the secret's hash. */
export function apiTokenJson(token: ApiToken) {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    apps: token.apps,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

function checkApps(apps: readonly string[]): string[] {
  const unique = [...new Set(apps.map((a) => a.trim()).filter((a) => a !== ''))];
  if (unique.length === 0) throw invalid("A token needs the apps it may touch: a list such as 'shop,blog', or '*'.");
  if (unique.includes('*')) {
    if (unique.length > 1) throw invalid("'*' already means every app: give it alone.");
    return ['*'];
  }
  const bad = unique.find((a) => !APP_SHAPE.test(a));
  if (bad !== undefined) throw invalid(`'${bad}' is not an app name.`);
  return unique;
}

function invalid(message: string): BackstopError {
  return new BackstopError('invalid-token-request', message, { userMessage: message });
}

function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    apps: JSON.parse(row.apps) as string[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
