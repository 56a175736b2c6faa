import type { ChatPlatform } from '../adapters/chat-platform/chat-platform.ts';
import { ChannelBindings } from '../commands/chat/channel-bindings.ts';
import { type ChatContext, createChatHandler } from '../commands/chat/chat-handler.ts';
import { createChatSuggestions } from '../commands/chat/chat-suggestions.ts';
import type { ChatHandler } from '../commands/chat/chat-types.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';

/**
 * The chat side of the composition root: channel bindings from the config; the handler every platform's commands go
 * to (over the same use cases as every other surface), and the context the approvals' expiry works in.
 */
export function composeChat(
  config: BackstopConfig,
  engine: UseCaseContext,
): { handler: ChatHandler; context: ChatContext } {
  const chat: ChatContext = { engine, bindings: new ChannelBindings(config.raw.apps) };
  return { handler: createChatHandler(chat), context: chat };
}

/**
 * The chat platforms the config sets up (`chat.slack`, `chat.discord`), Slack first, each taking commands to
 * `handler`. A platform's library (Bolt, discord.js: hundreds of modules each) is loaded only when it is configured.
 */
export async function chatPlatforms(
  config: BackstopConfig,
  handler: ChatHandler,
  engine: UseCaseContext,
  log: (line: string) => void,
): Promise<ChatPlatform[]> {
  const { slack, discord } = config.raw.chat ?? {};
  const platforms: ChatPlatform[] = [];
  if (slack) {
    const { createSlack } = await import('../adapters/slack/slack-adapter.ts');
    platforms.push(createSlack({ ...slack, handler, log, clock: engine.clock }));
  }
  if (discord) {
    const { createDiscord } = await import('../adapters/discord/discord-adapter.ts');
    // Autocomplete's choices: the same use cases and bindings as the commands.
    const suggestions = createChatSuggestions({ engine, bindings: new ChannelBindings(config.raw.apps) });
    platforms.push(createDiscord({ ...discord, handler, suggestions, log, clock: engine.clock }));
  }
  return platforms;
}
