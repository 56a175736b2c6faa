import { randomBytes } from 'node:crypto';

/**
 * A person named in a chat message's text, kept platform-neutral until an adapter renders it: Slack writes
 * `<@U123>` for `slack:U123`, Discord `<@456>` for `discord:456`, and anyone of another platform (or a token,
 * `api:ci`, or the command line) is written as their principal id. Messages stay plain text this way, and text typed
 * by someone (a note) cannot mention anyone: adapters escape text, and only these markers become mentions.
 *
 * A marker is two characters of Unicode's private use area around a random key of this process and the principal id;
 * text that merely looks like one (without the key) is shown as text, its marker characters left out. Messages are
 * rendered by the process that wrote them, so the key need not outlive it.
 */
const open = '\uE000';
const close = '\uE001';
const key = randomBytes(6).toString('hex');
const marker = new RegExp(`\uE000${key}([a-z][a-z-]*:[^\\s\uE000\uE001]{1,200})\uE001`, 'g');

/** The person `principal` (`slack:U123`, `discord:456`, `api:ci`) as a mention in a chat message's text. */
export function mention(principal: string): string {
  return `${open}${key}${principal}${close}`;
}

/**
 * `text` (words of a use case) with each of `people` written as a mention where their principal id stands on its own
 * (`slack:U1` in "approved by slack:U1", not in "slack:U12").
 */
export function mentionIn(text: string, people: readonly string[]): string {
  let out = text;
  for (const principal of new Set(people)) {
    const escaped = principal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w:])${escaped}(?![\\w])`, 'g'), mention(principal));
  }
  return out;
}

/** A chat message's text in pieces: plain text, and the people mentioned in it, in order. */
export type TextPiece = { text: string } | { principal: string };

/** Splits text at its mentions; stray marker characters are left out of the plain pieces. */
export function splitMentions(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  const plain = (from: number, to: number) => {
    const part = text.slice(from, to).replace(/[\uE000\uE001]/g, '');
    if (part !== '') pieces.push({ text: part });
  };
  for (const match of text.matchAll(marker)) {
    plain(last, match.index);
    pieces.push({ principal: match[1]! });
    last = match.index + match[0].length;
  }
  plain(last, text.length);
  return pieces;
}

/** The text with each mention written as its principal id: for logs and surfaces without mentions. */
export function withoutMentions(text: string): string {
  return splitMentions(text)
    .map((piece) => ('text' in piece ? piece.text : piece.principal))
    .join('');
}
