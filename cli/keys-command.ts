import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { retireFleetRecipient } from '../src/engine/fleet-keys.ts';
import { AuditLog } from '../src/state/audit-log.ts';
import { FleetSettings } from '../src/state/fleet-settings.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags, adminSubcommands } from './admin-flags.ts';
import { cliOperator } from './cli-operator.ts';
import type { GlobalOptions } from './global-options.ts';
import { unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const keysUsage =
  'backstop keys retire <age1...>   stop encrypting to a key on every instance sharing the state (after its successor is on all)';

/**
 * `backstop keys retire <recipient>`: the fleet stops requiring `recipient` (see agreeOnFleetKeys), so instances may
 * drop it from their config. Backups already encrypted to it stay readable with its identity.
 */
export async function keysCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: Pick<GlobalOptions, 'json'>,
): Promise<number> {
  const [sub, ...rest] = args;
  const parsed =
    sub === 'retire'
      ? parseAdminArgs(rest, adminFlags['keys retire'], { command: 'keys retire', positionals: 1 })
      : undefined;
  const recipient = typeof parsed === 'object' ? parsed.positionals[0] : undefined;
  if (recipient === undefined) {
    const problem =
      typeof parsed === 'string'
        ? parsed
        : sub === 'retire'
          ? 'keys retire needs the recipient to retire (age1...)'
          : unknownSubcommand('keys', sub, adminSubcommands['keys']!);
    return usageError(io, options.json, problem, { usage: keysUsage });
  }
  if (config.stateDatabaseUrl === undefined) {
    const message =
      'keys retire is for instances sharing a state database; with the embedded state, remove the key from ' +
      'encryption.recipients in the config.';
    return usageError(io, options.json, message);
  }
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(state.db);
    const now = new Date();
    const left = await retireFleetRecipient(new FleetSettings(state.db), recipient, now);
    await new AuditLog(state.db).record(
      { principal: cliOperator(io).id, app: null, action: `keys retire ${recipient}`, outcome: 'ok', detail: null },
      now,
    );
    io.stdout.write(
      options.json
        ? `${JSON.stringify({ recipients: left })}\n`
        : `The fleet no longer encrypts to ${recipient}; it encrypts to ${left.join(', ')}.\n`,
    );
    return exitCodes.ok;
  } finally {
    await state.close();
  }
}
