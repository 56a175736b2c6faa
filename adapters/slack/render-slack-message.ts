import type { ChatButton, ChatConfirm, ChatMessage } from '../../commands/chat/chat-types.ts';
import { splitMentions } from '../../commands/chat/mention.ts';

/** A Slack text object in the mrkdwn format (already escaped). */
export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
}

/** A plain text object (Slack shows it as written). */
export interface SlackPlainText {
  type: 'plain_text';
  text: string;
  emoji: true;
}

/** Block Kit's confirmation dialog, shown before a click is sent. */
export interface SlackConfirm {
  title: SlackPlainText;
  text: SlackPlainText;
  confirm: SlackPlainText;
  deny: SlackPlainText;
  style?: 'danger';
}

export interface SlackButtonElement {
  type: 'button';
  action_id: string;
  text: SlackPlainText;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: SlackConfirm;
}

/** The Block Kit blocks Backstop posts: text sections, field sections, button rows and a context line. */
export type SlackBlock =
  | { type: 'section'; text: SlackMrkdwn }
  | { type: 'section'; fields: SlackMrkdwn[] }
  | { type: 'actions'; elements: SlackButtonElement[] }
  | { type: 'context'; elements: SlackMrkdwn[] };

/** What `chat.postMessage`, `chat.update`, `chat.postEphemeral` and `response_url` take: fallback text and blocks. */
export interface SlackMessage {
  /** Shown in notifications and by clients that cannot show blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Who asked for what, shown under a command's message in small print. */
export interface SlackRequestLine {
  /** The Slack user id (`U123`), shown as a mention. */
  user: string;
  /** The command as typed (`/backup create db`); left out of the line when absent. */
  command?: string;
}

// Slack's limits (https://api.slack.com/reference/block-kit/blocks): a section's text up to 3000 characters, up to 10
// fields of up to 2000 characters each, up to 25 elements in an actions block, a button's text up to 75 characters
// and its value up to 2000, at most 50 blocks in a message.
const sectionTextLimit = 3000;
const fieldsPerSection = 10;
const fieldTextLimit = 2000;
const buttonsPerBlock = 25;
const buttonTextLimit = 75;
const buttonValueLimit = 2000;
const blocksLimit = 50;
// A confirm dialog's title up to 100 characters, its text up to 300, each answer up to 30.
const confirmTitleLimit = 100;
const confirmTextLimit = 300;
const confirmAnswerLimit = 30;

const outcomePrefix: Record<ChatMessage['outcome'], string> = { ok: '', failed: ':x: ', refused: ':warning: ' };

/**
 * Renders a platform-neutral chat message as a Slack message: the text as mrkdwn sections (Backstop's `*bold*` is
 * Slack's too; `&`, `<` and `>` are escaped so no text can mention, link or ping; the people Backstop names are
 * mentioned, `<@U123>`), a `:x:` before a failed outcome and a `:warning:` before a refused one, fields in sections
 * of at most 10, buttons in actions blocks (`action_id` `backstop.<verb>.<index>`, stable for the same message;
 * `value` the button's `action`, which a click brings back; a `confirm` dialog where the button asks first), and
 * optionally a context line saying who asked for what. Pure: the same message renders to the same blocks.
 */
export function renderSlackMessage(message: ChatMessage, request?: SlackRequestLine): SlackMessage {
  const text = `${outcomePrefix[message.outcome]}${slackText(message.text)}`;
  const blocks: SlackBlock[] = [];
  for (const chunk of splitText(text, sectionTextLimit)) {
    if (chunk.trim() === '') continue;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
  }
  const fields = (message.fields ?? []).map((field) =>
    mrkdwn(truncate(`*${slackText(field.label)}*\n${slackText(field.value)}`, fieldTextLimit)),
  );
  for (const group of chunks(fields, fieldsPerSection)) {
    blocks.push({ type: 'section', fields: group });
  }
  const buttons = (message.buttons ?? []).map(renderButton);
  for (const group of chunks(buttons, buttonsPerBlock)) {
    blocks.push({ type: 'actions', elements: group });
  }
  if (request !== undefined) {
    const command = request.command === undefined ? '' : `: \`${escapeSlackText(request.command.replace(/`/g, "'"))}\``;
    blocks.push({ type: 'context', elements: [mrkdwn(`Asked by <@${request.user}>${command}`)] });
  }
  return { text: truncate(text, 40_000), blocks: blocks.slice(0, blocksLimit) };
}

/** Escapes the three characters Slack's mrkdwn gives meaning to (`<@U1>`, `<!channel>`, `<url|label>`). */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A chat message's text as Slack mrkdwn: escaped, with each person Backstop names (commands/chat/mention.ts) as a
 * Slack mention when they are a Slack user (`slack:U123` is `<@U123>`), else as their principal id.
 */
export function slackText(text: string): string {
  return splitMentions(text)
    .map((piece) => ('text' in piece ? escapeSlackText(piece.text) : slackMention(piece.principal)))
    .join('');
}

/** `<@U123>` for a Slack user's principal, the escaped principal id for anyone else (`api:ci`, `discord:456`). */
export function slackMention(principal: string): string {
  const user = /^slack:([UW][A-Z0-9]{1,30})$/.exec(principal)?.[1];
  return user === undefined ? escapeSlackText(principal) : `<@${user}>`;
}

/** Plain text as a Slack plain_text object, at most `limit` characters. */
export function plainText(text: string, limit: number): SlackPlainText {
  return { type: 'plain_text', text: truncate(text, limit), emoji: true };
}

function renderButton(button: ChatButton, index: number): SlackButtonElement {
  const verb = /^[a-z][a-z0-9-]*/i.exec(button.action)?.[0] ?? 'action';
  const element: SlackButtonElement = {
    type: 'button',
    action_id: `backstop.${verb}.${index}`,
    text: plainText(button.label, buttonTextLimit),
    value: button.action.slice(0, buttonValueLimit),
  };
  if (button.style !== 'default') element.style = button.style;
  if (button.confirm !== undefined) element.confirm = renderConfirm(button.confirm);
  return element;
}

/** Plain text throughout: a dialog's words are Backstop's own, and plain text cannot ping. */
function renderConfirm(confirm: ChatConfirm): SlackConfirm {
  return {
    title: plainText(confirm.title, confirmTitleLimit),
    text: plainText(confirm.text, confirmTextLimit),
    confirm: plainText(confirm.confirm, confirmAnswerLimit),
    deny: plainText(confirm.deny, confirmAnswerLimit),
    ...(confirm.danger && { style: 'danger' as const }),
  };
}

export function mrkdwn(text: string): SlackMrkdwn {
  return { type: 'mrkdwn', text };
}

/** Splits at line ends where possible, so a long list stays readable across sections. */
function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf('\n', limit);
    const at = cut > 0 ? cut : limit;
    parts.push(rest.slice(0, at));
    rest = rest.slice(cut > 0 ? at + 1 : at);
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function chunks<T>(items: T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
