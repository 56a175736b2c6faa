import type { ChatButton, ChatMessage } from '../../commands/chat/chat-types.ts';

/** A Slack text object in the mrkdwn format (already escaped). */
export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
}

export interface SlackButtonElement {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string; emoji: true };
  value: string;
  style?: 'primary' | 'danger';
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

const outcomePrefix: Record<ChatMessage['outcome'], string> = { ok: '', failed: ':x: ', refused: ':warning: ' };

/**
 * Renders a platform-neutral chat message as a Slack message: the text as mrkdwn sections (Backstop's `*bold*` is
 * Slack's too; `&`, `<` and `>` are escaped so no text can mention, link or ping), a `:x:` before a failed outcome and
 * a `:warning:` before a refused one, fields in sections of at most 10, buttons in actions blocks (`action_id`
 * `backstop.<verb>.<index>`, stable for the same message; `value` the button's `action`, which a click brings back),
 * and optionally a context line saying who asked for what. Pure: the same message renders to the same blocks.
 */
export function renderSlackMessage(message: ChatMessage, request?: SlackRequestLine): SlackMessage {
  const text = `${outcomePrefix[message.outcome]}${escapeSlackText(message.text)}`;
  const blocks: SlackBlock[] = [];
  for (const chunk of splitText(text, sectionTextLimit)) {
    if (chunk.trim() === '') continue;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
  }
  const fields = (message.fields ?? []).map((field) =>
    mrkdwn(truncate(`*${escapeSlackText(field.label)}*\n${escapeSlackText(field.value)}`, fieldTextLimit)),
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

function renderButton(button: ChatButton, index: number): SlackButtonElement {
  const verb = /^[a-z][a-z0-9-]*/i.exec(button.action)?.[0] ?? 'action';
  const element: SlackButtonElement = {
    type: 'button',
    action_id: `backstop.${verb}.${index}`,
    text: { type: 'plain_text', text: truncate(button.label, buttonTextLimit), emoji: true },
    value: button.action.slice(0, buttonValueLimit),
  };
  if (button.style !== 'default') element.style = button.style;
  return element;
}

function mrkdwn(text: string): SlackMrkdwn {
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

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
