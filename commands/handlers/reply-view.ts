/**
 * A reply laid out for a surface that lays out itself (the terminal: aligned tables, times in the reader's zone,
 * colour), beside the reply's chat `text`. It holds values, not formatting: a moment is a Date, a size a number of
 * bytes, a status a tone, so each surface renders them its own way. No markup: a surface adds its own emphasis.
 */
export type ReplyView = readonly ViewBlock[];

/** How a value reads: `good` (completed), `bad` (failed), `busy` (queued, running, pending deletion), `quiet`. */
export type Tone = 'good' | 'bad' | 'busy' | 'quiet' | 'strong';

/** One value: text, a moment, a size, or text with a tone. */
export type Span = string | { at: Date } | { bytes: number } | { text: string; tone: Tone };

/** Spans written one after the other, as they are (spaces are the author's). */
export type Phrase = Span | readonly Span[];

export type ViewBlock =
  /** A sentence or a heading. */
  | { kind: 'line'; phrase: Phrase }
  /** Rows of values under column names: a list of backups, of operations. */
  | { kind: 'table'; columns: readonly string[]; rows: readonly (readonly Phrase[])[] }
  /** Labelled values, one a line (a label '' continues the value above): one backup in detail. */
  | { kind: 'fields'; fields: readonly (readonly [label: string, value: Phrase])[] };

/** The tone of a backup's, restore's or operation's status word. */
export function statusTone(status: string): Tone {
  if (status === 'completed' || status === 'succeeded' || status === 'ready') return 'good';
  if (status === 'failed') return 'bad';
  if (status === 'cancelled' || status === 'expired') return 'quiet';
  return 'busy';
}
