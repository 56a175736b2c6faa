import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { registerDiscordCommands } from '../adapters/discord/register-commands.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import type { GlobalOptions } from './global-options.ts';
import { unexpectedWord } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const discordUsage = 'backstop discord register [--guild <id>]   register the /backup command with Discord';

/** `backstop discord register [--guild <id>]`: puts the /backup command definition to the Discord application. */
export async function discordCommand(
  args: string[],
  config: BackstopConfig,
  io: CliIo,
  options: GlobalOptions,
): Promise<number> {
  const [sub, ...rest] = args;
  const guildAt = rest.indexOf('--guild');
  const guildId = guildAt >= 0 ? rest[guildAt + 1] : undefined;
  const extra = rest.filter((_, i) => i !== guildAt && i !== guildAt + 1);
  if (sub !== 'register' || extra.length > 0 || (guildAt >= 0 && !/^\d+$/.test(guildId ?? ''))) {
    const message =
      sub !== 'register'
        ? 'discord takes one subcommand: register'
        : extra.length > 0
          ? unexpectedWord(extra[0]!, ['--guild'])
          : '--guild needs a Discord server id (digits)';
    return usageError(io, options.json, message, { usage: discordUsage });
  }
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
