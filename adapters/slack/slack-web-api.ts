import type { webApi } from '@slack/bolt';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { SlackMessage } from './render-slack-message.ts';
import type { SlackHomeView, SlackModalView } from './render-slack-view.ts';

/**
 * The part of Slack's Web API the adapter uses, in its own words. Every method rejects with a `BackstopError` coded
 * `slack-api-failed` whose message names the method and Slack's error code (`not_in_channel`), never the token.
 */
export interface SlackWebApi {
  /** `chat.postMessage`: a new message in a channel; resolves to where it landed. */
  postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  /** `chat.update`: replaces a message the bot posted. */
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** `chat.postEphemeral`: a message in a channel that only `user` sees (needs the bot in the channel). */
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /** `conversations.open`: the direct-message channel between the bot and `user` (scope `im:write`). */
  openDirectMessage(user: string): Promise<string>;
  /** `users.info`: the user's profile email, or undefined when it is hidden (scope `users:read.email` missing). */
  userEmail(user: string): Promise<string | undefined>;
  /** `views.open`: shows a modal to whoever clicked; `triggerId` is the click's, good for 3 seconds after it. */
  openView(triggerId: string, view: SlackModalView): Promise<void>;
  /** `views.publish`: replaces `user`'s App Home tab (needs the Home tab enabled in the app's settings). */
  publishView(user: string, view: SlackHomeView): Promise<void>;
}

/** The Web API through Bolt's client (which holds the bot token, the API URL and the retry policy). */
export function webClientApi(client: webApi.WebClient): SlackWebApi {
  return {
    async postMessage(channel, message) {
      const result = await call('chat.postMessage', () => client.chat.postMessage({ channel, ...message }));
      if (result.ts === undefined) throw failure('chat.postMessage', 'no ts in the answer');
      return { channel: result.channel ?? channel, ts: result.ts };
    },
    async updateMessage(channel, ts, message) {
      await call('chat.update', () => client.chat.update({ channel, ts, ...message }));
    },
    async postEphemeral(channel, user, message) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, ...message }));
    },
    async openDirectMessage(user) {
      const result = await call('conversations.open', () => client.conversations.open({ users: user }));
      const id = result.channel?.id;
      if (id === undefined) throw failure('conversations.open', 'no channel in the answer');
      return id;
    },
    async userEmail(user) {
      const result = await call('users.info', () => client.users.info({ user }));
      return result.user?.profile?.email || undefined;
    },
    async openView(triggerId, view) {
      await call('views.open', () => client.views.open({ trigger_id: triggerId, view }));
    },
    async publishView(user, view) {
      await call('views.publish', () => client.views.publish({ user_id: user, view }));
    },
  };
}

async function call<T>(method: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw failure(method, slackErrorCode(error), error);
  }
}

function failure(method: string, reason: string, cause?: unknown): BackstopError {
  return new BackstopError('slack-api-failed', `Slack ${method} failed: ${reason}`, { cause, retryable: true });
}

/** Slack's own error code (`not_in_channel`) when the API answered, else the transport error's message. */
function slackErrorCode(error: unknown): string {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  if (typeof data?.error === 'string') return data.error;
  return error instanceof Error ? error.message : String(error);
}
