import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { renderReplyView } from '../adapters/console/render-reply-view.ts';
import type { ViewBlock } from '../commands/handlers/reply-view.ts';
import { AccessPolicy } from '../src/access/access-policy.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import type { Target } from '../src/domain/target.ts';
import { AuditLog } from '../src/state/audit-log.ts';
import { migrateToLatest, openState, type StateDb } from '../src/state/state.ts';
import { auditEntryJson } from '../src/use-cases/json-shapes.ts';
import { readAudit } from '../src/use-cases/read-audit.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags } from './admin-flags.ts';
import { cliOperator } from './cli-operator.ts';
import type { GlobalOptions } from './global-options.ts';
import { terminalStyle } from './render-reply.ts';
import { usageError } from './usage-error.ts';

export const auditUsage = 'backstop audit [--app <app>] [--limit <n>]   who did what, from every surface, newest first';

/** `backstop audit`: the audit log, opening the state itself (once the words are known to be right). */
export async function auditCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: GlobalOptions,
): Promise<number> {
  const filter = parseAuditArgs(args);
  if (typeof filter === 'string') return usageError(io, options.json, filter, { usage: auditUsage });
  // Reading the log of a directory where nothing was done yet creates nothing: the answer is that it is empty.
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir, whenAbsent: 'empty' });
  try {
    await migrateToLatest(state.db);
    return await runAuditCommand(state.db, config.targets, args, io, options);
  } finally {
    await state.close();
  }
}

/** `backstop audit` against a state someone else opened (a server taking a handed-over command). */
export async function runAuditCommand(
  db: StateDb,
  targets: readonly Target[],
  args: string[],
  io: CliIo,
  options: GlobalOptions,
): Promise<number> {
  const filter = parseAuditArgs(args);
  if (typeof filter === 'string') return usageError(io, options.json, filter, { usage: auditUsage });
  const { app, limit } = filter;
  const ctx = {
    audit: new AuditLog(db),
    access: new AccessPolicy({}),
    targets,
    clock: () => new Date(),
    log: (line: string) => io.stderr.write(`${line}\n`),
  };
  const entries = await readAudit(ctx, cliOperator(io), { ...(app !== undefined && { app }), limit });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(entries.map(auditEntryJson), null, 2)}\n`);
    return exitCodes.ok;
  }
  if (entries.length === 0) {
    io.stdout.write(`Nothing in the audit log${app ? ` for ${app}` : ''} yet.\n`);
    return exitCodes.ok;
  }
  const table: ViewBlock = {
    kind: 'table',
    columns: ['WHEN', 'WHO', 'APP', 'OUTCOME', 'ACTION', 'DETAIL'],
    rows: entries.map((e) => [
      { at: e.at },
      e.principal,
      e.app ?? '-',
      { text: e.outcome, tone: e.outcome === 'ok' ? 'good' : e.outcome === 'refused' ? 'busy' : 'bad' },
      e.action,
      e.detail ?? '',
    ]),
  };
  io.stdout.write(`${renderReplyView([table], terminalStyle(io, options, io.stdout))}\n`);
  return exitCodes.ok;
}

/** The filter `audit`'s words ask for, or what is wrong with them. */
function parseAuditArgs(args: string[]): { app: string | undefined; limit: number } | string {
  const parsed = parseAdminArgs(args, adminFlags.audit, { command: 'audit' });
  if (typeof parsed === 'string') return parsed;
  const limitText = parsed.string('limit') ?? '100';
  if (!/^\d+$/.test(limitText) || Number(limitText) < 1)
    return `--limit ${limitText}: expected a whole number of entries, 1 or more`;
  return { app: parsed.string('app'), limit: Number(limitText) };
}
