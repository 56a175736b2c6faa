import { existsSync } from 'node:fs';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { durationSeconds } from '../src/config/config-schema.ts';
import type { HttpAppOptions } from '../src/http/create-http-app.ts';
import { migrateToLatest, openState, type StateDb } from '../src/state/state.ts';
import { WebSessions } from '../src/state/web-sessions.ts';
import { adminSubcommands } from './admin-flags.ts';
import type { GlobalOptions } from './global-options.ts';
import { unexpectedWord, unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const webUsage =
  'backstop web login   a one-time link that signs the holder of the config in to the Backups view';

/** How long a sign-in link works. */
const linkTtlSeconds = 15 * 60;

/** `backstop web login`, opening the state itself. */
export async function webCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: Pick<GlobalOptions, 'json'>,
): Promise<number> {
  if (args.length !== 1 || args[0] !== 'login') return webUsageError(args, io, options);
  if (config.stateDatabaseUrl === undefined && !existsSync(config.dataDir)) {
    // A link in a state no server reads would sign nobody in: this is not where Backstop runs.
    return usageError(
      io,
      options.json,
      `there is no Backstop state in ${config.dataDir}: run backstop web login where backstop serve runs (in its ` +
        'directory, or with its --config)',
    );
  }
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(state.db);
    const base = webBaseOf(config);
    const code = await runWebLogin(state.db, base, io, options);
    if (!(await answers(`${base}/healthz`))) {
      io.stderr.write(
        `No Backstop server answers at ${base} now: start it with "backstop serve" (the link works once it runs, ` +
          'for 15 minutes).\n',
      );
    }
    return code;
  } finally {
    await state.close();
  }
}

/** Whether something answers `url` within 2 seconds. */
async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** The web view's settings from the config: https or not, session length, the sign-in provider. */
export function webSettings(config: Pick<BackstopConfig, 'raw'>): NonNullable<HttpAppOptions['web']> {
  const publicUrl = config.raw.http?.publicUrl;
  const web = config.raw.web;
  const oidc = web?.oidc;
  return {
    secure: publicUrl?.startsWith('https:') ?? false,
    sessionTtlSeconds: durationSeconds(web?.sessionTtl ?? '12h'),
    ...(publicUrl !== undefined && { publicUrl }),
    ...(oidc && {
      oidc: {
        ...oidc,
        principal: oidc.principal ?? (new URL(oidc.issuer).hostname === 'slack.com' ? 'slack' : 'email'),
      },
    }),
  };
}

/** The address the Backstop server answers on, as a browser reaches it: `http.publicUrl`, else host and port. */
export function webBaseOf(
  config: Pick<BackstopConfig, 'raw'>,
  /** Where a running server listens (its port may have been chosen by the system). */
  listening?: { address: string; port: number },
): string {
  const http = config.raw.http;
  if (http?.publicUrl) return http.publicUrl.replace(/\/+$/, '');
  const host = listening?.address ?? http?.host ?? '127.0.0.1';
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${listening?.port ?? http?.port ?? 8080}`;
}

/** Makes a one-time sign-in link in the state `db` and prints it (also for a server running a handed-over command). */
export async function runWebLogin(
  db: StateDb,
  base: string,
  io: CliIo,
  options: Pick<GlobalOptions, 'json'>,
  now: () => Date = () => new Date(),
): Promise<number> {
  const { secret, expiresAt } = await new WebSessions(db, now).createSignInLink(linkTtlSeconds);
  const url = `${base}/sign-in/link/${secret}`;
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ url, expiresAt: expiresAt.toISOString() })}\n`);
  } else {
    io.stdout.write(
      `Open this link to sign in to the Backups view (it works once, until ${expiresAt.toISOString().slice(11, 16)} UTC):\n` +
        `  ${url}\n` +
        'A web session may do all the config holder may, except skip approvals. The server must be running (backstop serve).\n',
    );
  }
  return exitCodes.ok;
}

export function webUsageError(args: string[], io: CliIo, options: Pick<GlobalOptions, 'json'>): number {
  const [sub, ...rest] = args;
  const problem =
    sub === 'login' && rest.length > 0
      ? unexpectedWord(rest[0]!, [], 'web login')
      : unknownSubcommand('web', sub, adminSubcommands['web']!);
  return usageError(io, options.json, problem, { usage: webUsage });
}
