import type { ChatCaller } from '../../commands/chat/chat-types.ts';
import type { InteractionPayload } from './acknowledge-discord-interaction.ts';

/** Who clicked or typed, as the config's access lists write principals. */
export function callerOf(interaction: InteractionPayload): ChatCaller | undefined {
  const userId = interaction.member?.user?.id ?? interaction.user?.id;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (userId === undefined || channelId === undefined) return undefined;
  return {
    platform: 'discord',
    user: `discord:${userId}`,
    groups: (interaction.member?.roles ?? []).map((role) => `discord-role:${role}`),
    channel: `discord-channel:${channelId}`,
  };
}
