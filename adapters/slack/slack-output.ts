import type { ChatMessage, ChatOutput } from '../../commands/chat/chat-types.ts';
import { UpdateThrottle } from '../../commands/chat/update-throttle.ts';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { renderSlackMessage, type SlackMessage, type SlackRequestLine } from './render-slack-message.ts';
import type { SlackWebApi } from './slack-web-api.ts';

/**
 * The message a command's or a click's `update` replaces: a message the bot posted (edited with `chat.update`), or,
 * where the bot could not post (a private channel it was not invited to) or the clicked message was ephemeral, the
 * request's `response_url`. Slack accepts only five answers per response URL, so through one only the first update
 * and the last go out.
 */
export type UpdateTarget =
  | { kind: 'message'; channel: string; ts: string }
  | { kind: 'response-url'; respond: (message: SlackMessage) => Promise<void> };

export interface SlackOutputOptions {
  api: SlackWebApi;
  /** The Slack channel (`C123`) the request came from: `announce` posts there, `private` shows there. */
  channel: string;
  /** The Slack user (`U123`) who asked or clicked: `private` messages are for them. */
  user: string;
  target: UpdateTarget;
  /** Shown under every update of a command's message: who asked for what. */
  request?: SlackRequestLine;
  /** The least time between two edits of the target message (Slack allows about one a second per channel). */
  updateIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * `ChatOutput` on Slack. `update` edits the target message, throttled (see UpdateThrottle: in order, the newest always
 * goes out, at the latest after `finish`); a failed edit is logged, not thrown, since progress must not fail the work it reports. `private` is an
 * ephemeral message in the channel, or a direct message where the bot cannot post ephemerally. `announce` posts a
 * new message and answers `<channel>:<ts>`, which `edit` takes.
 */
export class SlackOutput implements ChatOutput {
  readonly #updates: UpdateThrottle<ChatMessage>;

  constructor(private readonly options: SlackOutputOptions) {
    const { target } = options;
    this.#updates = new UpdateThrottle((message) => this.#replace(target, message), {
      intervalMs: target.kind === 'message' ? options.updateIntervalMs : Number.POSITIVE_INFINITY,
      now: options.now,
      onError: (error) => options.log(`slack: could not update the message: ${describe(error)}`),
    });
  }

  /**
   * Resolves as soon as the update is queued, not when it reaches Slack: a handler awaiting each progress update must
   * not be slowed to the throttle's pace, nor wait for a turn that comes only after it returns (response URLs).
   * `finish` delivers what is still queued.
   */
  async update(message: ChatMessage): Promise<void> {
    void this.#updates.push(message);
  }

  async private(message: ChatMessage): Promise<void> {
    const { api, channel, user, log } = this.options;
    await postPrivately(api, channel, user, message, log);
  }

  async announce(message: ChatMessage): Promise<string> {
    const posted = await this.options.api.postMessage(this.options.channel, renderSlackMessage(message));
    return `${posted.channel}:${posted.ts}`;
  }

  async edit(reference: string, message: ChatMessage): Promise<void> {
    const { channel, ts } = parseMessageReference(reference);
    await this.options.api.updateMessage(channel, ts, renderSlackMessage(message));
  }

  /** Resolves once the last update went out (when its turn came). Call when the handler returned. */
  finish(): Promise<void> {
    return this.#updates.finish();
  }

  async #replace(target: UpdateTarget, message: ChatMessage): Promise<void> {
    const rendered = renderSlackMessage(message, this.options.request);
    if (target.kind === 'message') await this.options.api.updateMessage(target.channel, target.ts, rendered);
    else await target.respond(rendered);
  }
}

/** An ephemeral message for `user` in `channel`, or a direct message where the bot cannot post one there. */
export async function postPrivately(
  api: SlackWebApi,
  channel: string,
  user: string,
  message: ChatMessage,
  log: (line: string) => void,
): Promise<void> {
  const rendered = renderSlackMessage(message);
  try {
    await api.postEphemeral(channel, user, rendered);
  } catch (error) {
    log(`slack: ephemeral message in ${channel} failed (${describe(error)}); sending a direct message instead`);
    await api.postMessage(await api.openDirectMessage(user), rendered);
  }
}

/** `C123:1700000000.000100` (what `announce` answers) into its channel and message timestamp. */
export function parseMessageReference(reference: string): { channel: string; ts: string } {
  const at = reference.indexOf(':');
  const channel = reference.slice(0, at);
  const ts = reference.slice(at + 1);
  if (at <= 0 || ts === '') {
    throw new BackstopError('slack-bad-reference', `"${reference}" is not a Slack message reference (<channel>:<ts>)`);
  }
  return { channel, ts };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
