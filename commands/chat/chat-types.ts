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

/**
 * A button on a message. `action` comes back in a click: `approve:<request>`, `deny:<request>`, `download:<backup>`,
 * `restore-form:<backup>`. A button with `confirm` does something that cannot be taken back: the platform asks the
 * clicker first (Slack's confirm dialog), and the click comes only if they confirm.
 */
export interface ChatButton {
  action: string;
  label: string;
  style: 'primary' | 'danger' | 'default';
  confirm?: ChatConfirm;
}

/** The question asked before a button's click is sent: "Approve restore?", what it does, and the two answers. */
export interface ChatConfirm {
  title: string;
  text: string;
  /** The answer that goes on ("Approve and restore"). */
  confirm: string;
  /** The answer that goes back ("Cancel"). */
  deny: string;
  /** Whether going on destroys something (a red confirm button where the platform has one). */
  danger: boolean;
}

/**
 * A form shown to one person (Slack: a modal), whose submission comes back through `ChatHandler.checkForm` and
 * `submitForm` with the same `id` and the fields' values by `name`.
 */
export interface ChatForm {
  /** What the form is for, given back on submission: `restore:<backup>`. */
  id: string;
  title: string;
  /** Shown above the fields. */
  intro: string;
  /** The label of the button that submits. */
  submit: string;
  fields: ChatFormField[];
}

export type ChatFormField =
  | {
      kind: 'choice';
      name: string;
      label: string;
      options: Array<{ value: string; label: string }>;
      /** The option chosen when the form opens. */
      initial: string;
    }
  | { kind: 'checkbox'; name: string; label: string; description: string; checked: boolean };

/** A submitted form's values by field name: a choice's value, or whether a checkbox is ticked. */
export type ChatFormValues = Record<string, string | boolean | undefined>;

/** What is wrong with a submitted form, by field name: shown beside each field, and nothing is done. */
export type ChatFormErrors = Record<string, string>;

/** What a chat message shows: the reply's text, plus labelled fields and buttons. */
export interface ChatMessage extends Reply {
  fields?: Array<{ label: string; value: string }>;
  buttons?: ChatButton[];
}

/**
 * Where a command's answers go. Contract: `update` shows the command's public message, for the channel to see (work
 * being done and its outcome): the first update may be what makes the message appear, later ones replace it (the
 * adapter may drop updates that come faster than the platform allows, but never the last one); for a click, it
 * replaces the clicked message. `private` shows a message only to the caller (ephemeral or direct message): help,
 * answers to reads, refusals. `announce` posts a new message in the channel (an approval card), resolving to a
 * reference the adapter can later `edit`. `openForm`, where the platform has forms and the caller's gesture allows
 * one (a click), shows the form to the caller; its submission comes back through `ChatHandler.submitForm`.
 */
export interface ChatOutput {
  update(message: ChatMessage): Promise<void>;
  private(message: ChatMessage): Promise<void>;
  announce(message: ChatMessage): Promise<string>;
  edit(reference: string, message: ChatMessage): Promise<void>;
  openForm?(form: ChatForm): Promise<void>;
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
  /**
   * Checks a submitted form (`form` is the form's id) without doing anything: what is wrong, by field (empty when
   * nothing is). For a platform that shows the errors in the form itself; a refusal is audited as any other.
   */
  checkForm(caller: ChatCaller, form: string, values: ChatFormValues): Promise<ChatFormErrors>;
  /** Does what a submitted form asks, as the command it stands for; a refusal goes privately to the caller. */
  submitForm(caller: ChatCaller, form: string, values: ChatFormValues, output: ChatOutput): Promise<void>;
  /**
   * The caller's own overview (Slack's App Home): the apps they may read with each environment's latest backups,
   * the work running, and the restore requests waiting for their approval (with buttons), as messages to show in
   * order. Only what the caller may read.
   */
  home(caller: ChatCaller): Promise<ChatMessage[]>;
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
