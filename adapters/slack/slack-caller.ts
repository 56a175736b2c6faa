import type { ChatCaller } from '../../commands/chat/chat-types.ts';

/**
 * The caller of a Slack request, written as the config's access lists and channel bindings write principals:
 * `slack:U123` for the person, `slack-channel:C123` for the channel. Slack has no groups Backstop grants to.
 */
export function slackCaller(user: string, channel: string, email?: () => Promise<string | undefined>): ChatCaller {
  const caller: ChatCaller = {
    platform: 'slack',
    user: `slack:${user}`,
    groups: [],
    channel: `slack-channel:${channel}`,
  };
  if (email !== undefined) caller.email = email;
  return caller;
}
