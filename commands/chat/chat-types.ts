import type { Reply } from '../handlers/reply.ts';

/**
 * The platform-neutral shape of chat: adapters (adapters/slack, adapters/discord) turn platform payloads into these
 * and render what comes back. Nothing here knows Slack or Discord.
 */

/** Who is asking, where. Principals are written as in the config's access lists. */
export interface ChatCaller {
  platform: 'slack' | 'discord';
  /** The person: `slack:U123`, `discord:456`. */
  user: string;
  /** Further principals the person holds: Discord roles as `discord-role:789`. */
  groups: string[];
  /** The channel: `slack-channel:C123`, `discord-channel:987` (bindings and `slack-channel:` grants match it). */
  channel: string;
  /**
   * Reads the person's email address where the platform tells it (Slack profile); asked only by a command that sends
   * mail (download), since it costs a call to the platform. Without it, or when it gives none, the config's people
   * map is used.
   */
  email?: () => Promise<string | undefined>;
}

/** A button on a message. `action` comes back in a click: `approve:<request>`, `deny:<request>`, `download:<backup>`. */
export interface ChatButton {
  action: string;
  label: string;
  style: 'primary' | 'danger' | 'default';
}

/** What a chat message shows: the reply's text, plus labelled fields and buttons. */
export interface ChatMessage extends Reply {
  fields?: Array<{ label: string; value: string }>;
  buttons?: ChatButton[];
}

/**
 * Where a command's answers go. Contract: `update` replaces the message the command started (progress, then the
 * outcome; the adapter may drop updates that come faster than the platform allows, but never the last one);
 * `private` shows a message only to the caller (ephemeral or direct message); `announce` posts a new message in the
 * channel (an approval card), resolving to a reference the adapter can later `edit`.
 */
export interface ChatOutput {
  update(message: ChatMessage): Promise<void>;
  private(message: ChatMessage): Promise<void>;
  announce(message: ChatMessage): Promise<string>;
  edit(reference: string, message: ChatMessage): Promise<void>;
}

/**
 * What adapters call (implemented by commands/chat/chat-handler.ts). Contract: both return once the work they started
 * has reported its end through `output` (a backup followed to its end, a card posted); they never throw for a user's
 * mistake (that is a `refused` message through `output`), only for a bug or an outage.
 */
export interface ChatHandler {
  /** `/backup <text>` typed by `caller`. */
  command(caller: ChatCaller, text: string, output: ChatOutput, options?: CommandOptions): Promise<void>;
  /** A click on a button whose `action` was given by a message Backstop posted. */
  action(caller: ChatCaller, action: string, output: ChatOutput): Promise<void>;
}

/** How a platform wants its commands handled. */
export interface CommandOptions {
  /**
   * A restore first asks its caller, privately, to confirm what it replaces, with Restore and Cancel buttons; only the
   * caller's click on Restore asks for it (commands/chat/restore-confirmation.ts). For a platform whose buttons have
   * no confirm dialog of their own (Discord).
   */
  confirmRestore?: boolean;
}

/** Posts messages in channels of one platform, outside any command (scheduled results, missed backups). */
export interface ChatAnnouncer {
  /** The channel prefix it serves: `slack-channel:` or `discord-channel:`. */
  channelPrefix: string;
  /**
   * Posts in the channel with this id (the part after the prefix) and resolves to the message's reference (for
   * `edit`); rejects when the platform refuses.
   */
  post(channelId: string, message: ChatMessage): Promise<string>;
  /** Whether a message reference (what `ChatOutput.announce` answered) is one of this platform's. */
  owns(reference: string): boolean;
  /** Edits the message a reference points to, outside any command (an approval card that expired). */
  edit(reference: string, message: ChatMessage): Promise<void>;
}
