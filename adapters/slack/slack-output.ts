import type { ChatForm, ChatMessage, ChatOutput } from '../../commands/chat/chat-types.ts';
import { UpdateThrottle } from '../../commands/chat/update-throttle.ts';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import { renderSlackMessage, type SlackMessage, type SlackRequestLine } from './render-slack-message.ts';
import { renderSlackModal } from './render-slack-view.ts';
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
  /**
   * The Slack channel (`C123`) the request came from: `announce` posts there, `private` shows there. None for a click
   * in the App Home tab: `private` then goes by direct message.
   */
  channel?: string;
  /** The Slack user (`U123`) who asked or clicked: `private` messages are for them. */
  user: string;
  /** The message `update` replaces from the first update on: the clicked message. */
  target?: UpdateTarget;
  /**
   * For a command, whose public message does not exist until its first update: posts that update as the message, and
   * resolves to where later ones go. Without `target` or `post`, updates go privately to the user.
   */
  post?: (first: SlackMessage) => Promise<UpdateTarget>;
  /** The click's `trigger_id`, with which `openForm` opens a modal (valid for 3 seconds after the click). */
  triggerId?: string;
  /** Shown under every update of a command's message: who asked for what. */
  request?: SlackRequestLine;
  /** The least time between two edits of the target message (Slack allows about one a second per channel). */
  updateIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * `ChatOutput` on Slack. `update` shows the public message: for a command, the first update posts it in the channel
 * (nothing public appears for a command that only answers privately), later ones edit it; for a click, it edits the
 * clicked message. Updates are throttled (see UpdateThrottle: in order, the newest always goes out, at the latest
 * after `finish`); a failed post or edit is logged, not thrown, since progress must not fail the work it reports.
 * `private` is an ephemeral message in the channel, or a direct message where the bot cannot post ephemerally.
 * `announce` posts a new message and answers `<channel>:<ts>`, which `edit` takes. `openForm` opens a modal with
 * the click's trigger id.
 */
export class SlackOutput implements ChatOutput {
  readonly #updates: UpdateThrottle<ChatMessage>;
  #target: UpdateTarget | undefined;
  /** Through a response URL, an update held back for `finish` (the URL takes five answers in all). */
  #unsent: ChatMessage | undefined;
  /** How many answers went through the response URL. */
  #answers = 0;
  /** Whether an update was queued: the public message exists, or will once its turn comes. */
  #updated = false;
  #finishing = false;

  constructor(private readonly options: SlackOutputOptions) {
    this.#target = options.target;
    this.#updates = new UpdateThrottle((message) => this.#show(message), {
      intervalMs: options.updateIntervalMs,
      now: options.now,
      onError: (error) => options.log(`slack: could not update the message: ${describe(error)}`),
    });
  }

  /** Whether a public message shows the work: the clicked message, or one an update posts (or has posted). */
  get shownPublicly(): boolean {
    return this.#target !== undefined || this.#updated;
  }

  /**
   * Resolves as soon as the update is queued, not when it reaches Slack: a handler awaiting each progress update must
   * not be slowed to the throttle's pace, nor wait for a turn that comes only after it returns (response URLs).
   * `finish` delivers what is still queued.
   */
  async update(message: ChatMessage): Promise<void> {
    if (this.#target === undefined && this.options.post === undefined) {
      await this.private(message);
      return;
    }
    this.#updated = true;
    void this.#updates.push(message);
  }

  async private(message: ChatMessage): Promise<void> {
    const { api, channel, user, log } = this.options;
    await postPrivately(api, channel, user, message, log);
  }

  async announce(message: ChatMessage): Promise<string> {
    const channel = this.#channel('announce');
    const posted = await this.options.api.postMessage(channel, renderSlackMessage(message));
    return `${posted.channel}:${posted.ts}`;
  }

  async edit(reference: string, message: ChatMessage): Promise<void> {
    const { channel, ts } = parseMessageReference(reference);
    await this.options.api.updateMessage(channel, ts, renderSlackMessage(message));
  }

  async openForm(form: ChatForm): Promise<void> {
    if (this.options.triggerId === undefined) {
      throw new BackstopError('slack-no-context', 'a Slack form can only be opened in answer to a click');
    }
    try {
      await this.options.api.openView(
        this.options.triggerId,
        renderSlackModal(form, { form: form.id, channel: this.options.channel ?? '' }),
      );
    } catch (error) {
      // Slack takes a click's trigger id for 3 seconds: a Backstop busy with other work may come too late.
      if (!describe(error).includes('expired_trigger_id')) throw error;
      const message = 'The form could not open in time (Slack allows 3 seconds after a click): click the button again.';
      throw new BackstopError('slack-api-failed', message, { userMessage: message, cause: error });
    }
  }

  /** Resolves once the last update went out (when its turn came). Call when the handler returned. */
  async finish(): Promise<void> {
    this.#finishing = true;
    await this.#updates.finish();
    const unsent = this.#unsent;
    this.#unsent = undefined;
    if (unsent !== undefined) {
      await this.#replace(unsent).catch((error: unknown) =>
        this.options.log(`slack: could not update the message: ${describe(error)}`),
      );
    }
  }

  /** One update, in the throttle's turn: posts the public message if there is none yet, else replaces it. */
  async #show(message: ChatMessage): Promise<void> {
    if (this.#target === undefined) {
      this.#target = await this.options.post!(this.#render(message));
      if (this.#target.kind === 'response-url') this.#answers += 1;
      return;
    }
    if (this.#target.kind === 'response-url' && this.#answers > 0 && !this.#finishing) {
      // The first answer went out; the newest of the rest waits for the end, so the outcome is never refused.
      this.#unsent = message;
      return;
    }
    this.#unsent = undefined;
    await this.#replace(message);
  }

  async #replace(message: ChatMessage): Promise<void> {
    const target = this.#target!;
    const rendered = this.#render(message);
    if (target.kind === 'message') await this.options.api.updateMessage(target.channel, target.ts, rendered);
    else {
      this.#answers += 1;
      await target.respond(rendered);
    }
  }

  #render(message: ChatMessage): SlackMessage {
    return renderSlackMessage(message, this.options.request);
  }

  #channel(what: string): string {
    if (this.options.channel === undefined) {
      throw new BackstopError('slack-no-context', `slack: cannot ${what} outside a channel (a click in the App Home)`);
    }
    return this.options.channel;
  }
}

/**
 * An ephemeral message for `user` in `channel`, or a direct message where the bot cannot post one there (or there is
 * no channel: the App Home).
 */
export async function postPrivately(
  api: SlackWebApi,
  channel: string | undefined,
  user: string,
  message: ChatMessage,
  log: (line: string) => void,
): Promise<void> {
  const rendered = renderSlackMessage(message);
  if (channel !== undefined && channel !== '') {
    try {
      await api.postEphemeral(channel, user, rendered);
      return;
    } catch (error) {
      log(`slack: ephemeral message in ${channel} failed (${describe(error)}); sending a direct message instead`);
    }
  }
  await api.postMessage(await api.openDirectMessage(user), rendered);
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
