import { REST, Routes } from 'discord.js';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { discordCommands } from './discord-commands.ts';
import { describeDiscordError } from './discord-messenger.ts';

export interface RegisterDiscordCommandsOptions {
  applicationId: string;
  botToken: string;
  /** Discord's API root without the version, e.g. `http://127.0.0.1:PORT/api` for a test double. */
  apiUrl?: string;
  /** Register in one server only: changes show at once there (global commands can take a while to appear). */
  guildId?: string;
}

/**
 * `backstop discord register`: replaces the application's commands with `/backup` (a PUT of the whole list, so running
 * it again is harmless and removes commands an older version registered), globally or in one server. Resolves to
 * what Discord answered: the registered commands with their ids.
 */
export async function registerDiscordCommands(options: RegisterDiscordCommandsOptions): Promise<unknown> {
  const rest = new REST({ version: '10', ...(options.apiUrl ? { api: options.apiUrl } : {}) }).setToken(
    options.botToken,
  );
  const route =
    options.guildId === undefined
      ? Routes.applicationCommands(options.applicationId)
      : Routes.applicationGuildCommands(options.applicationId, options.guildId);
  try {
    return await rest.put(route, { body: discordCommands() });
  } catch (error) {
    throw new BackstopError(
      'discord-register',
      `registering the /backup command failed: ${describeDiscordError(error)}`,
      {
        userMessage:
          `Discord refused to register /backup (${describeDiscordError(error)}). Check chat.discord.applicationId and ` +
          'chat.discord.botToken (developer portal: General Information and Bot pages)' +
          (options.guildId === undefined ? '.' : `, and that the bot was invited to server ${options.guildId}.`),
      },
    );
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}
