export {
  createDiscord,
  type DiscordChat,
  type DiscordOptions,
  discordInteractionsPath,
} from './discord-adapter.ts';
export { backupCommand, discordCommands, interactionToText } from './discord-commands.ts';
export { type RegisterDiscordCommandsOptions, registerDiscordCommands } from './register-commands.ts';
export { type DiscordMessageBody, renderDiscordMessage } from './render-discord-message.ts';
