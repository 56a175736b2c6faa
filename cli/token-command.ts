import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { renderReplyView } from '../adapters/console/render-reply-view.ts';
import type { ViewBlock } from '../commands/handlers/reply-view.ts';
import { AccessPolicy } from '../src/access/access-policy.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { isBackstopError } from '../src/domain/backstop-error.ts';
import { type Role, roles } from '../src/domain/principal.ts';
import type { Target } from '../src/domain/target.ts';
import { type ApiToken, apiTokenJson, isRole } from '../src/state/api-tokens.ts';
import { AuditLog } from '../src/state/audit-log.ts';
import { migrateToLatest, openState, type StateDb } from '../src/state/state.ts';
import { createApiToken, listApiTokens, revokeApiToken, type TokenContext } from '../src/use-cases/api-tokens.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags, adminSubcommands } from './admin-flags.ts';
import { cliOperator } from './cli-operator.ts';
import type { GlobalOptions } from './global-options.ts';
import { terminalStyle } from './render-reply.ts';
import { unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const tokenUsage =
  'backstop token create --name <name> --role viewer|operator|restorer|approver --apps <app,app|*>\n' +
  '       backstop token list\n' +
  '       backstop token revoke <id>';

type TokenAction =
  | { name: 'create'; tokenName: string; role: Role; apps: string[] }
  | { name: 'list' }
  | { name: 'revoke'; id: string };

/**
 * `backstop token create | list | revoke`: the bearer tokens of the HTTP API. A new token's secret is printed once
 * and only its sha256 is stored; `list` shows no secrets. Opens the state itself (with a running `backstop serve` on
 * the embedded state, main.ts hands the command over to it: see runTokenCommand).
 */
export async function tokenCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: Pick<GlobalOptions, 'json' | 'noColor'>,
): Promise<number> {
  const action = parseTokenArgs(args, config);
  if (typeof action === 'string') return usageError(io, options.json, action, { usage: tokenUsage });
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(state.db);
    const access = AccessPolicy.fromConfig(config.raw.apps);
    return await runParsed(tokenContext(state.db, { ...config, access }, io, new Date()), action, io, options);
  } finally {
    await state.close();
  }
}

/** The same command over a state someone else opened (a server running it for a handed-over `backstop token`). */
export async function runTokenCommand(
  db: StateDb,
  args: string[],
  config: { targets: readonly Target[]; access: AccessPolicy },
  io: CliIo,
  options: Pick<GlobalOptions, 'json' | 'noColor'>,
  now: Date = new Date(),
): Promise<number> {
  const action = parseTokenArgs(args, config);
  if (typeof action === 'string') return usageError(io, options.json, action, { usage: tokenUsage });
  return runParsed(tokenContext(db, config, io, now), action, io, options);
}

/** The token use cases' context over a state database: its audit log, the config's targets and grants. */
function tokenContext(
  db: StateDb,
  config: { targets: readonly Target[]; access: AccessPolicy },
  io: CliIo,
  now: Date,
): TokenContext {
  return {
    db,
    audit: new AuditLog(db),
    access: config.access,
    targets: config.targets,
    clock: () => now,
    log: (line) => io.stderr.write(`${line}\n`),
  };
}

async function runParsed(
  ctx: TokenContext,
  action: TokenAction,
  io: CliIo,
  options: Pick<GlobalOptions, 'json' | 'noColor'>,
): Promise<number> {
  const { json } = options;
  const now = ctx.clock();
  switch (action.name) {
    case 'create':
      return create(ctx, action, io, json);
    case 'list': {
      const tokens = await listApiTokens(ctx, cliOperator(io));
      if (json) io.stdout.write(`${JSON.stringify(tokens.map(apiTokenJson))}\n`);
      else if (tokens.length === 0) {
        io.stdout.write(
          'No API tokens yet. Create one with: backstop token create --name ci --role operator --apps *\n',
        );
      } else {
        io.stdout.write(`${renderReplyView([tokenTable(tokens)], terminalStyle(io, options, io.stdout))}\n`);
      }
      return exitCodes.ok;
    }
    case 'revoke': {
      let token: ApiToken;
      try {
        token = await revokeApiToken(ctx, cliOperator(io), action.id);
      } catch (error) {
        // An unknown id is a mistake in the command line, as everywhere (exit status 2).
        if (!isBackstopError(error, 'token-not-found')) throw error;
        return usageError(io, json, error.userMessage!, { code: error.code });
      }
      if (json) io.stdout.write(`${JSON.stringify(apiTokenJson(token))}\n`);
      else {
        const when = token.revokedAt!.getTime() === now.getTime() ? 'now' : `since ${token.revokedAt!.toISOString()}`;
        io.stdout.write(`Token ${token.id} (${token.name}) is revoked ${when}: requests with it are refused.\n`);
      }
      return exitCodes.ok;
    }
  }
}

async function create(
  ctx: TokenContext,
  action: Extract<TokenAction, { name: 'create' }>,
  io: CliIo,
  json: boolean,
): Promise<number> {
  let created: Awaited<ReturnType<typeof createApiToken>>;
  try {
    created = await createApiToken(ctx, cliOperator(io), {
      name: action.tokenName,
      role: action.role,
      apps: action.apps,
    });
  } catch (error) {
    if (isBackstopError(error, 'invalid-token-request') || isBackstopError(error, 'token-name-taken')) {
      return usageError(io, json, error.userMessage!, { usage: tokenUsage, code: error.code });
    }
    throw error;
  }
  const { token, secret } = created;
  if (json) {
    io.stdout.write(`${JSON.stringify({ ...apiTokenJson(token), secret })}\n`);
  } else {
    io.stdout.write(
      `Created API token ${token.id} "${token.name}": ${token.role} on ${appsText(token)}.\n` +
        'Its secret is shown only now (Backstop keeps only its sha256); store it in your CI secrets:\n\n' +
        `  ${secret}\n\n` +
        'Send it as: Authorization: Bearer <secret>. Revoke it with: backstop token revoke ' +
        `${token.id}\n`,
    );
  }
  // What a token may do is what access: grants its name; a token nobody granted anything gets 403 everywhere.
  const principal = `api:${token.name}`;
  if (ctx.access.appsAllowing([principal], 'viewer').length === 0) {
    io.stderr.write(
      `Note: no app's access: grants ${principal} anything yet, so the API refuses it everywhere. Add it to the ` +
        `config, e.g. apps.<app>.access.${token.role}: [${principal}], and restart backstop serve.\n`,
    );
  }
  return exitCodes.ok;
}

/** The action of `token ...`, or the problem with its words. */
function parseTokenArgs(args: string[], config: { targets: readonly Target[] }): TokenAction | string {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const flags = adminFlags['token create'];
      const parsed = parseAdminArgs(rest, flags, { command: 'token create' });
      if (typeof parsed === 'string') return parsed;
      const [tokenName, role, appsText] = [parsed.string('name'), parsed.string('role'), parsed.string('apps')];
      const missing = Object.keys(flags).filter((flag) => parsed.string(flag) === undefined);
      if (tokenName === undefined || role === undefined || appsText === undefined)
        return `token create needs ${missing.map((m) => `--${m}`).join(', ')}`;
      const apps = appsText.split(',').map((a) => a.trim());
      if (apps.some((a) => a === '')) return `--apps takes app names separated by commas, or '*'`;
      if (!isRole(role)) return `unknown role '${role}': use ${roles.join(', ')}`;
      // A token for an app that is not configured would be refused everywhere: most likely a typo.
      const configured = [...new Set(config.targets.map((t) => t.app))];
      const unknown = apps.find((app) => app !== '*' && !configured.includes(app));
      if (unknown !== undefined) {
        const known = configured.length > 0 ? `configured apps: ${configured.join(', ')}` : 'no apps are configured';
        return `unknown app '${unknown}' (${known})`;
      }
      return { name: 'create', tokenName, role, apps };
    }
    case 'list': {
      const parsed = parseAdminArgs(rest, adminFlags['token list'], { command: 'token list' });
      return typeof parsed === 'string' ? parsed : { name: 'list' };
    }
    case 'revoke': {
      const parsed = parseAdminArgs(rest, adminFlags['token revoke'], { command: 'token revoke', positionals: 1 });
      if (typeof parsed === 'string') return parsed;
      const [id] = parsed.positionals;
      return id === undefined ? 'token revoke takes one token id' : { name: 'revoke', id };
    }
    default:
      return unknownSubcommand('token', sub, adminSubcommands['token']!);
  }
}

function tokenTable(tokens: readonly ApiToken[]): ViewBlock {
  return {
    kind: 'table',
    columns: ['ID', 'NAME', 'ROLE', 'APPS', 'CREATED', 'LAST USED', 'REVOKED'],
    rows: tokens.map((token) => [
      token.id,
      token.name,
      token.role,
      appsText(token),
      { at: token.createdAt },
      token.lastUsedAt ? { at: token.lastUsedAt } : { text: 'never', tone: 'quiet' },
      token.revokedAt ? [{ text: 'revoked ', tone: 'bad' }, { at: token.revokedAt }] : '',
    ]),
  };
}

function appsText(token: ApiToken): string {
  return token.apps.includes('*') ? 'all apps' : token.apps.join(', ');
}
