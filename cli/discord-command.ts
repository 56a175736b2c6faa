import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { registerDiscordCommands } from '../adapters/discord/register-commands.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags, adminSubcommands } from './admin-flags.ts';
import type { GlobalOptions } from './global-options.ts';
import { unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const discordUsage = 'backstop discord register [--guild <id>]   register the /backup command with Discord';

/** `backstop discord register [--guild <id>]`: puts the /backup command definition to the Discord application. */
export async function discordCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: GlobalOptions,
): Promise<number> {
  const parsed = parseDiscordArgs(args);
  if (typeof parsed === 'string') return usageError(io, options.json, parsed, { usage: discordUsage });
  const { guildId } = parsed;
  const discord = config.raw.chat?.discord;
  if (!discord) {
    const message =
      'Discord is not configured: add chat.discord { publicKey, applicationId, botToken } to the config ' +
      '(see adapters/discord/README.md).';
    return usageError(io, options.json, message, { code: 'discord-config' });
  }
  const answer = await registerDiscordCommands({
    applicationId: discord.applicationId,
    botToken: discord.botToken,
    ...(discord.apiUrl !== undefined && { apiUrl: discord.apiUrl }),
    ...(guildId !== undefined && { guildId }),
  });
  const names = Array.isArray(answer) ? answer.map((c) => (c as { name?: string }).name).join(', ') : 'backup';
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ registered: answer, guildId: guildId ?? null })}\n`);
  } else {
    io.stdout.write(
      `Registered /${names} ${guildId ? `in guild ${guildId} (available at once)` : 'globally (Discord may take up to an hour to show it everywhere)'}.\n`,
    );
  }
  return exitCodes.ok;
}

/** The guild `discord register` names (undefined: every guild), or what is wrong with its words. */
function parseDiscordArgs(args: string[]): { guildId: string | undefined } | string {
  const [sub, ...rest] = args;
  if (sub !== 'register') return unknownSubcommand('discord', sub, adminSubcommands['discord']!);
  const parsed = parseAdminArgs(rest, adminFlags['discord register'], { command: 'discord register' });
  if (typeof parsed === 'string') return parsed;
  const guildId = parsed.string('guild');
  if (guildId !== undefined && !/^\d+$/.test(guildId)) return '--guild needs a Discord server id (digits)';
  return { guildId };
}
