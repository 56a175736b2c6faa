import type { Phrase, ReplyView, Span, Tone } from '../../commands/handlers/reply-view.ts';
import { formatBytes } from '../../src/text/format-units.ts';
import { compactTime, fullTime } from './human-time.ts';
import { paint, type TerminalStyle } from './terminal-style.ts';

/** A span as it reads: its text (measured for alignment) and the same text as written (with colour codes). */
interface Written {
  plain: string;
  painted: string;
}

const toneStyle: Record<Tone, Parameters<typeof paint>[1]> = {
  good: 'green',
  bad: 'red',
  busy: 'yellow',
  quiet: 'dim',
  strong: 'bold',
};

/**
 * Writes a reply's view for the terminal: tables with aligned columns under bold headings, labelled fields, sentences;
 * times relative within a day and otherwise in the reader's zone; sizes as "1.5 MB"; status words in colour when
 * `style.colour`. Returns the lines without a final newline.
 */
export function renderReplyView(view: ReplyView, style: TerminalStyle): string {
  const lines: string[] = [];
  for (const block of view) {
    switch (block.kind) {
      case 'line':
        lines.push(write(block.phrase, style, 'full').painted);
        break;
      case 'fields': {
        const width = Math.max(...block.fields.map(([label]) => label.length)) + 2;
        for (const [label, value] of block.fields) {
          lines.push(`  ${(label === '' ? '' : `${label}:`).padEnd(width)}${write(value, style, 'full').painted}`);
        }
        break;
      }
      case 'table': {
        const rows = block.rows.map((row) => row.map((cell) => write(cell, style, 'compact')));
        const header = block.columns.map((column) => ({ plain: column, painted: paint(column, 'bold', style.colour) }));
        const widths = block.columns.map((_, i) =>
          Math.max(...[header, ...rows].map((row) => row[i]?.plain.length ?? 0)),
        );
        for (const row of [header, ...rows]) {
          const cells = row.map((cell, i) =>
            i === row.length - 1 ? cell.painted : cell.painted + ' '.repeat(widths[i]! - cell.plain.length),
          );
          lines.push(cells.join('  ').trimEnd());
        }
        break;
      }
    }
  }
  return lines.join('\n');
}

function write(phrase: Phrase, style: TerminalStyle, times: 'compact' | 'full'): Written {
  const spans: readonly Span[] = Array.isArray(phrase) ? phrase : [phrase as Span];
  const written = spans.map((span) => writeSpan(span, style, times));
  return { plain: written.map((w) => w.plain).join(''), painted: written.map((w) => w.painted).join('') };
}

function writeSpan(span: Span, style: TerminalStyle, times: 'compact' | 'full'): Written {
  if (typeof span === 'string') return { plain: span, painted: span };
  if ('at' in span) {
    const text =
      times === 'compact'
        ? compactTime(span.at, style.now, style.timeZone)
        : fullTime(span.at, style.now, style.timeZone);
    return { plain: text, painted: text };
  }
  if ('bytes' in span) {
    const text = formatBytes(span.bytes);
    return { plain: text, painted: text };
  }
  return { plain: span.text, painted: paint(span.text, toneStyle[span.tone], style.colour) };
}
