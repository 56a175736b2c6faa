import { App, type Logger, LogLevel, type Receiver, type RespondFn, type SlashCommand } from '@slack/bolt';
import type { ChatHandler, ChatMessage } from '../../commands/chat/chat-types.ts';
import { BackstopError, isBackstopError } from '../../src/domain/backstop-error.ts';
import { type ChatPlatform, notStartedText } from '../chat-platform/chat-platform.ts';
import type { SlackDelivery } from './acknowledge-slack-request.ts';
import { renderSlackMessage, type SlackMessage } from './render-slack-message.ts';
import { slackFormCallbackId } from './render-slack-view.ts';
import { slackCaller } from './slack-caller.ts';
import { checkSlackFormSubmission, readSlackFormSubmission } from './slack-form-submission.ts';
import { createSlackHomeTab } from './slack-home-tab.ts';
import { describe, parseMessageReference, postPrivately, SlackOutput, type UpdateTarget } from './slack-output.ts';
import { type SlackWebApi, webClientApi } from './slack-web-api.ts';

export interface SlackAdapterOptions {
  /** The app's signing secret (Basic Information → App Credentials): requests not signed with it get 401. */
  signingSecret: string;
  /** The bot token `xoxb-...` (OAuth & Permissions). */
  botToken: string;
  /** The Web API's base URL, only to point at a test double (`http://127.0.0.1:PORT/api/`); Slack's by default. */
  apiUrl?: string;
  handler: ChatHandler;
  log: (line: string) => void;
  /** Paces the edits of a message. (A request's age is checked against the system clock, on the front's thread.) */
  clock?: () => Date;
  /** The least time between two edits of one message; 3 seconds by default. */
  updateIntervalMs?: number;
  /**
   * Called once for each delivery when the adapter is done with it: the work it started has ended (the handler
   * returned and the last update went out), or it started none (stopping, a click it ignores). For a caller that
   * counts work in flight or waits until it is done. Must not throw.
   */
  onSettled?: () => void;
}

/**
 * Slack for `serve`. `close` does not wait for running commands: a followed backup may take hours, and its operation
 * outlives the process anyway. The announcer edits cards by the reference `announce` gave (`C123:1700000000.000100`).
 */
export type SlackChat = ChatPlatform;

/**
 * The path Slack posts slash commands, button clicks, modal submissions and events to (the app's Request URL is
 * `<publicUrl>/slack/events`).
 */
export const slackEventsPath = '/slack/events';

// Bolt asks auth.test who the bot is unless told; Backstop handles commands, clicks, submissions and the App Home
// event, never events that could come from itself, so placeholders do (and Backstop starts without reaching Slack).
const botIdentity = { botId: 'B0BACKSTOP', botUserId: 'U0BACKSTOP' };

/**
 * Slack for Backstop: a Bolt app whose requests come from the HTTP front. The front checks each request's signature
 * and age (401 to a forged or stale one) and acknowledges it at once with an empty 200, well within Slack's 3
 * seconds, on its own thread (acknowledge-slack-request.ts); its delivery then comes here and Bolt dispatches it.
 *
 * A slash command (any command whose Request URL is this one, `/backup` by the README's manifest) runs the handler
 * with an output whose first `update` posts the command's public message in the channel and later ones edit it;
 * private answers (help, reads, refusals) are ephemeral, so a command that only answers privately leaves nothing in
 * the channel. The caller's email is read from their profile only for `download`, the one command that sends mail. A
 * button click: its `update` edits the clicked message, and a click that opens a form opens a modal with its trigger
 * id. A modal's submission is checked first, while the front waits (the endpoint's `answer`): errors go back into
 * the modal; a valid one closes it and runs, its public message posted in the channel the form was opened from. The
 * App Home tab is published each time someone opens it, and again after they click a button on it.
 */
export function createSlack(options: SlackAdapterOptions): SlackChat {
  checkOptions(options);
  const { handler, log } = options;
  const clock = options.clock ?? (() => new Date());
  const updateIntervalMs = options.updateIntervalMs ?? 3000;
  const logger = boltLogger(log);
  let closed = false;
  const running = new Set<SlackOutput>();
  // Private messages saying that a request was not started, until they went out.
  const telling = new Set<Promise<void>>();

  const receiver = new DeliveredReceiver();
  const bolt = new App({
    receiver,
    token: options.botToken,
    tokenVerificationEnabled: false,
    ...botIdentity,
    ignoreSelf: false,
    convoStore: false,
    logger,
    clientOptions: {
      // Every call ends within about 30 s, retries included (8 s each, then 1 s and 2 s apart), so an unreachable
      // Slack never holds a card, a reply or a shutdown for long.
      timeout: 8_000,
      ...(options.apiUrl === undefined
        ? { retryConfig: { retries: 2, factor: 2 } }
        : { slackApiUrl: withTrailingSlash(options.apiUrl), retryConfig: { retries: 0 } }),
    },
  });
  const api = webClientApi(bolt.client);

  const run = async (output: SlackOutput, what: string, work: () => Promise<void>): Promise<void> => {
    running.add(output);
    try {
      await work();
    } catch (error) {
      log(`slack: ${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      // Where the work already shows in the channel, its message ends saying so; else only the caller hears of it.
      const failure = failureMessage(error, what);
      await (output.shownPublicly ? output.update(failure) : output.private(failure)).catch((told: unknown) =>
        log(`slack: could not tell that ${what} failed: ${describe(told)}`),
      );
    } finally {
      await output.finish();
      running.delete(output);
    }
  };

  const startCommand = async (command: SlashCommand, respond: RespondFn): Promise<void> => {
    const typed = `${command.command} ${command.text}`.trim();
    // Posted at the first public update: where the bot may not post, the command's response URL shows it instead.
    const post = async (first: SlackMessage): Promise<UpdateTarget> => {
      try {
        const posted = await api.postMessage(command.channel_id, first);
        return { kind: 'message', channel: posted.channel, ts: posted.ts };
      } catch (error) {
        log(
          `slack: could not post in channel ${command.channel_id} (${describe(error)}); answering through the ` +
            "command's response URL instead (invite the app to the channel to see progress)",
        );
        const inChannel = (message: SlackMessage) => answer(respond, { response_type: 'in_channel', ...message });
        await inChannel(first);
        return { kind: 'response-url', respond: inChannel };
      }
    };
    const output = new SlackOutput({
      api,
      channel: command.channel_id,
      user: command.user_id,
      post,
      request: { user: command.user_id, command: typed },
      updateIntervalMs,
      now: () => clock().getTime(),
      log,
    });
    const caller = slackCaller(command.user_id, command.channel_id, () => emailOf(api, command.user_id, log));
    await run(output, `\`${typed}\``, () => handler.command(caller, command.text, output));
  };

  const startAction = async (
    user: string,
    channel: string,
    value: string,
    target: UpdateTarget,
    triggerId: string,
  ): Promise<void> => {
    const email = () => emailOf(api, user, log);
    const output = new SlackOutput({
      api,
      channel,
      user,
      target,
      triggerId,
      updateIntervalMs,
      now: () => clock().getTime(),
      log,
    });
    await run(output, 'that button', () => handler.action(slackCaller(user, channel, email), value, output));
  };

  const homeTab = createSlackHomeTab({
    api,
    handler,
    log,
    run,
    output: { updateIntervalMs, now: () => clock().getTime() },
    email: (user) => () => emailOf(api, user, log),
  });

  /**
   * A valid modal submission (checked by the endpoint's `answer` while the front waited, the modal closed): runs what
   * it asks, its public message posted in the channel the form was opened from, or in a direct message where the bot
   * cannot post.
   */
  const startSubmission = async (body: Record<string, unknown>): Promise<void> => {
    const submission = readSlackFormSubmission(body);
    if (submission === undefined) return;
    const { user, metadata, values } = submission;
    const post = async (first: SlackMessage): Promise<UpdateTarget> => {
      const posted = await api.postMessage(metadata.channel, first).catch(async (error: unknown) => {
        log(`slack: could not post in channel ${metadata.channel} (${describe(error)}); sending a direct message`);
        return api.postMessage(await api.openDirectMessage(user), first);
      });
      return { kind: 'message', channel: posted.channel, ts: posted.ts };
    };
    const output = new SlackOutput({
      api,
      channel: metadata.channel,
      user,
      post,
      request: { user },
      updateIntervalMs,
      now: () => clock().getTime(),
      log,
    });
    const caller = slackCaller(user, metadata.channel, () => emailOf(api, user, log));
    await run(output, 'that form', () => handler.submitForm(caller, metadata.form, values, output));
  };

  // Any slash command pointed at this URL speaks the /backup language. The front has acknowledged it already; ack()
  // is Bolt's protocol and does nothing here. The listener lasts as long as the work, so a delivery's dispatch ends
  // when its work does (`onSettled`); Slack has had its answer, so nothing else waits for it.
  bolt.command(/.*/, async ({ command, ack, respond }) => {
    await ack();
    await startCommand(command, respond).catch((error: unknown) =>
      log(`slack: ${command.command} failed: ${describe(error)}`),
    );
  });

  // Every block action is acknowledged (Slack wants an answer even for clicks Backstop ignores).
  bolt.action(/.*/, async ({ body, action, ack, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button' || action.value === undefined) return;
    const value = action.value;
    if (body.container['type'] === 'view' && body.view?.type === 'home') {
      await homeTab
        .clicked(body.user.id, value)
        .catch((error: unknown) => log(`slack: the button "${value}" failed: ${describe(error)}`));
      return;
    }
    const channel = body.channel?.id ?? (body.container['channel_id'] as string | undefined);
    if (channel === undefined) {
      log(`slack: ignored a click on "${action.value}" from outside a channel`);
      return;
    }
    // A click on an ephemeral message comes without `message`: only its response URL can replace it.
    const target: UpdateTarget =
      body.message?.ts !== undefined
        ? { kind: 'message', channel, ts: body.message.ts }
        : { kind: 'response-url', respond: (message) => answer(respond, { replace_original: true, ...message }) };
    await startAction(body.user.id, channel, value, target, body.trigger_id).catch((error: unknown) =>
      log(`slack: the button "${value}" failed: ${describe(error)}`),
    );
  });

  // The front checked the submission (`answer` below) and closed the modal before it came here.
  bolt.view({ callback_id: slackFormCallbackId, type: 'view_submission' }, async ({ body, ack }) => {
    await ack();
    await startSubmission(body as unknown as Record<string, unknown>).catch((error: unknown) =>
      log(`slack: a form submitted by ${body.user.id} failed: ${describe(error)}`),
    );
  });

  bolt.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await homeTab.opened(event.user, event.channel);
  });

  bolt.error(async (error) => {
    log(`slack: ${describe(error)}`);
  });

  return {
    endpoint: {
      path: slackEventsPath,
      settings: { platform: 'slack', signingSecret: options.signingSecret },
      deliver(delivery) {
        if (closed) {
          log('slack: a request acknowledged while stopping was not started');
          options.onSettled?.();
          return;
        }
        receiver
          .dispatch(delivery as SlackDelivery)
          .catch((error: unknown) => log(`slack: ${describe(error)}`))
          .finally(() => options.onSettled?.());
      },
      notStarted(delivery) {
        const { body } = delivery as SlackDelivery;
        const asker = askerOf(body);
        if (asker === undefined) return;
        const told = postPrivately(api, asker.channel, asker.user, { outcome: 'failed', text: notStartedText }, log)
          .catch((error: unknown) =>
            log(`slack: could not tell ${asker.user} that a request was not started: ${describe(error)}`),
          )
          .finally(() => telling.delete(told));
        telling.add(told);
      },
      answer(question) {
        const { body } = question as SlackDelivery;
        return checkSlackFormSubmission(handler, body, (user) => () => emailOf(api, user, log));
      },
    },
    announcer: {
      channelPrefix: 'slack-channel:',
      async post(channelId, message) {
        const posted = await api.postMessage(channelId, renderSlackMessage(message));
        return `${posted.channel}:${posted.ts}`;
      },
      owns: (reference) => /^[A-Z0-9]+:\d+\.\d+$/.test(reference),
      async edit(reference, message) {
        const { channel, ts } = parseMessageReference(reference);
        await api.updateMessage(channel, ts, renderSlackMessage(message));
      },
    },
    async close() {
      closed = true;
      await Promise.allSettled([...running].map((output) => output.finish()));
      await Promise.allSettled([...telling]);
    },
  };
}

function checkOptions(options: SlackAdapterOptions): void {
  for (const key of ['signingSecret', 'botToken'] as const) {
    if (typeof options[key] !== 'string' || options[key].trim() === '') {
      const message = `chat.slack.${key} is empty: copy it from the Slack app's settings (see adapters/slack/README.md)`;
      throw new BackstopError('slack-config-invalid', message, { userMessage: message });
    }
  }
  if (options.apiUrl !== undefined && !/^https?:\/\/[^/]/.test(options.apiUrl)) {
    const message = `chat.slack.apiUrl must be an http(s) URL such as http://127.0.0.1:3000/api/ (it is only for tests)`;
    throw new BackstopError('slack-config-invalid', message, { userMessage: message });
  }
}

/** The caller's profile email, or none when Slack hides it or cannot be reached (the config's `people` map then). */
async function emailOf(api: SlackWebApi, user: string, log: (line: string) => void): Promise<string | undefined> {
  try {
    return await api.userEmail(user);
  } catch (error) {
    log(`slack: could not read the email of ${user}: ${describe(error)}`);
    return undefined;
  }
}

/**
 * Who sent a slash command, clicked a button or submitted a form, and in which channel (none for a click in the App
 * Home: they are told by direct message); undefined for anything else (an event: nobody asked for anything).
 */
function askerOf(body: Record<string, unknown>): { user: string; channel: string | undefined } | undefined {
  const submission = readSlackFormSubmission(body);
  if (submission !== undefined) return { user: submission.user, channel: submission.metadata.channel };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const field = (value: unknown, key: string) =>
    typeof value === 'object' && value !== null ? text((value as Record<string, unknown>)[key]) : undefined;
  const user = text(body['user_id']) ?? field(body['user'], 'id');
  if (user === undefined || body['type'] === 'event_callback') return undefined;
  if (field(body['container'], 'type') === 'view') return { user, channel: undefined };
  const channel = text(body['channel_id']) ?? field(body['channel'], 'id') ?? field(body['container'], 'channel_id');
  return channel === undefined ? undefined : { user, channel };
}

async function answer(respond: RespondFn, message: Parameters<RespondFn>[0]): Promise<void> {
  await respond(message);
}

function failureMessage(error: unknown, what: string): ChatMessage {
  const text =
    isBackstopError(error) && error.userMessage !== undefined
      ? error.userMessage
      : `Something went wrong with ${what}; the details are in Backstop's log.`;
  return { outcome: 'failed', text };
}

/**
 * Bolt's receiver for requests the front has already acknowledged: each delivery is dispatched with an `ack` that
 * does nothing, since Slack has had its answer.
 */
class DeliveredReceiver implements Receiver {
  private app: App | undefined;

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async dispatch(delivery: SlackDelivery): Promise<void> {
    if (this.app === undefined) throw new Error('the Slack receiver was used before Bolt initialised it');
    await this.app.processEvent({ ...delivery, ack: async () => {} });
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Bolt's log lines go to Backstop's log; its debug chatter does not. */
function boltLogger(log: (line: string) => void): Logger {
  let level = LogLevel.INFO;
  const write = (messages: unknown[]) =>
    log(`slack: ${messages.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')}`);
  return {
    debug: () => {},
    info: (...messages: unknown[]) => write(messages),
    warn: (...messages: unknown[]) => write(messages),
    error: (...messages: unknown[]) => write(messages),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
