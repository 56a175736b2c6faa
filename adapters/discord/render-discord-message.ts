import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
import type { ChatButton, ChatMessage } from '../../commands/chat/chat-types.ts';
import { splitMentions } from '../../commands/chat/mention.ts';

/**
 * A message body for Discord's create and edit endpoints. `embeds` and `components` are always present (empty when
 * there are none) so that an edit replaces the old ones: an edit that leaves them out keeps the previous buttons.
 */
export interface DiscordMessageBody {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponentWithCustomId>[];
  /** Never ping anyone: notes and ids are user text and may contain @everyone or <@id>. */
  allowed_mentions: { parse: [] };
}

/** Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const discordLimits = {
  content: 2000,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedTotal: 6000,
  buttonsPerRow: 5,
  rows: 5,
  buttonLabel: 80,
} as const;

const outcomeColors: Record<ChatMessage['outcome'], number> = {
  ok: 0x57f287,
  failed: 0xed4245,
  refused: 0xfee75c,
};

const buttonStyles: Record<ChatButton['style'], APIButtonComponentWithCustomId['style']> = {
  primary: ButtonStyle.Primary,
  danger: ButtonStyle.Danger,
  default: ButtonStyle.Secondary,
};

/**
 * Renders a platform-neutral chat message for Discord. Pure. The text becomes `content` in Discord markdown
 * (`*bold*` becomes `**bold**`, other markdown characters are escaped so a note cannot format or hide text, links are
 * written `<url>` so Discord does not fetch them for a preview: download links lead to plaintext copies), fields become
 * one embed's fields (inline when short), buttons become action rows of up to five buttons whose `custom_id` is the
 * button's action. Text beyond Discord's limits is cut with a marker, never sent to be refused.
 */
export function renderDiscordMessage(message: ChatMessage): DiscordMessageBody {
  const fields = renderFields(message.fields ?? []);
  return {
    content: fitContent(toDiscordMarkdown(message.text)),
    embeds: fields.length === 0 ? [] : [{ color: outcomeColors[message.outcome], fields }],
    components: renderButtons(message.buttons ?? []),
    allowed_mentions: { parse: [] },
  };
}

const urlPattern = /https?:\/\/[^\s<>]+[^\s<>.,;:!?)'"\]]/g;
const boldPattern = /\*([^*\n]+)\*/g;

/**
 * `*bold*` to `**bold**`, everything else escaped, links as `<url>`; people Backstop names (commands/chat/mention.ts)
 * as Discord mentions when they are Discord users (`discord:456` is `<@456>`, shown without pinging them:
 * `allowed_mentions` is empty), else as their principal id.
 */
export function toDiscordMarkdown(text: string): string {
  return splitMentions(text)
    .map((piece) => ('text' in piece ? markdownOf(piece.text) : discordMention(piece.principal)))
    .join('')
    .replace(/^([ \t]*)([>#])/gm, '$1\\$2');
}

function discordMention(principal: string): string {
  const user = /^discord:(\d{15,25})$/.exec(principal)?.[1];
  return user === undefined ? escapeMarkdown(principal) : `<@${user}>`;
}

function markdownOf(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(urlPattern)) {
    out += formatted(text.slice(last, match.index));
    out += `<${match[0]}>`;
    last = match.index + match[0].length;
  }
  // Block markdown only counts at the start of a line (quotes and headings): escaped once the pieces are joined.
  return out + formatted(text.slice(last));
}

function formatted(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(boldPattern)) {
    out += escapeMarkdown(text.slice(last, match.index));
    out += `**${escapeMarkdown(match[1] ?? '')}**`;
    last = match.index + match[0].length;
  }
  return out + escapeMarkdown(text.slice(last));
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|[\]]/g, '\\$&');
}

const cutMarker = '\n… (cut: Discord shows 2000 characters; the CLI shows everything)';

function fitContent(content: string): string {
  if (content.length <= discordLimits.content) return content;
  const room = discordLimits.content - cutMarker.length;
  const lineEnd = content.lastIndexOf('\n', room);
  return content.slice(0, lineEnd > room / 2 ? lineEnd : room) + cutMarker;
}

function renderFields(fields: NonNullable<ChatMessage['fields']>): APIEmbedField[] {
  const rendered: APIEmbedField[] = [];
  let total = 0;
  for (const field of fields.slice(0, discordLimits.fields)) {
    const name = cut(toDiscordMarkdown(field.label), discordLimits.fieldName) || '\u200b';
    const value = cut(toDiscordMarkdown(field.value), discordLimits.fieldValue) || '—';
    total += name.length + value.length;
    if (total > discordLimits.embedTotal) break;
    rendered.push({ name, value, inline: isShort(field) });
  }
  return rendered;
}

/** Short fields sit side by side (three to a line on a desktop); long or multi-line ones get a line each. */
function isShort(field: { label: string; value: string }): boolean {
  return field.label.length <= 24 && field.value.length <= 40 && !field.value.includes('\n');
}

function renderButtons(buttons: ChatButton[]): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const rows: APIActionRowComponent<APIButtonComponentWithCustomId>[] = [];
  const shown = buttons.slice(0, discordLimits.buttonsPerRow * discordLimits.rows);
  for (let start = 0; start < shown.length; start += discordLimits.buttonsPerRow) {
    rows.push({
      type: ComponentType.ActionRow,
      components: shown.slice(start, start + discordLimits.buttonsPerRow).map((button) => ({
        type: ComponentType.Button,
        custom_id: button.action,
        label: cut(button.label, discordLimits.buttonLabel),
        style: buttonStyles[button.style],
      })),
    });
  }
  return rows;
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
