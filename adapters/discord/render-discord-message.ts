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
 *
 * People are mentioned: a Discord user Backstop names in the text or a field (a mention of commands/chat/mention.ts:
 * who asked, approved or denied) becomes `<@123>`, which Discord shows as their name (without pinging them: see
 * `allowed_mentions`). A principal only written as text stays as it is: a refusal's `discord:123` is what to add to
 * the config's `access:` lists, and a name would hide it.
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

const urlPattern = /https?:\/\/[^\s<>\uE000]+[^\s<>.,;:!?)'"\]\uE000]/g;
const boldPattern = /\*([^*\n]+)\*/g;
// A mention's placeholder while text is formatted: private-use characters, which splitMentions leaves out of text.
const placeholderOpen = '\uE000';
const placeholderClose = '\uE001';
const placeholderPattern = /\uE000(\d+)\uE001/g;

/**
 * `*bold*` to `**bold**`, everything else escaped, links as `<url>`; people Backstop names (commands/chat/mention.ts)
 * as Discord mentions when they are Discord users (`discord:456` is `<@456>`, shown without pinging them:
 * `allowed_mentions` is empty), else as their principal id. A principal merely written in the text (a refusal saying
 * what to add to `access:`, a note) stays as it is written.
 */
export function toDiscordMarkdown(text: string): string {
  // Each mention waits as a numbered placeholder while the text is formatted, so that one may stand in bold.
  const people: string[] = [];
  const held = splitMentions(text)
    .map((piece) =>
      'text' in piece ? piece.text : `${placeholderOpen}${people.push(piece.principal) - 1}${placeholderClose}`,
    )
    .join('');
  let out = '';
  let last = 0;
  for (const match of held.matchAll(urlPattern)) {
    out += formatted(held.slice(last, match.index));
    out += `<${match[0]}>`;
    last = match.index + match[0].length;
  }
  out += formatted(held.slice(last));
  // Block markdown only counts at the start of a line: quotes and headings.
  return out
    .replace(/^([ \t]*)([>#])/gm, '$1\\$2')
    .replace(placeholderPattern, (_, index: string) => discordMention(people[Number(index)]!));
}

function discordMention(principal: string): string {
  const user = /^discord:(\d{1,25})$/.exec(principal)?.[1];
  return user === undefined ? escapeMarkdown(principal) : `<@${user}>`;
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
