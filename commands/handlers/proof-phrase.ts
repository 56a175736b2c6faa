import type { ProofFacts } from '../../src/text/proof-words.ts';
import type { Phrase, Span } from './reply-view.ts';

/** How much of what a drill found wrong a table cell shows. */
const CELL_ERROR_CHARS = 60;

/**
 * What drills found of a backup, for the terminal (proofWords says it in chat): "proven restorable in 42 s, at
 * <time>" in a field ("..., 2 h ago" in a table cell, where times are short), or "FAILED: <check>" followed by
 * the earlier proof, if a drill passed before; undefined when no drill has run. The time is a moment the terminal
 * writes in the reader's zone, relative within a day: the drill's duration comes first so that "in 42 s" never
 * stands beside "2 h ago".
 */
export function proofPhrase(backup: ProofFacts, where: 'field' | 'cell'): Phrase | undefined {
  const proven = (words: Span): Span[] => [
    words,
    backup.proofSeconds === null ? '' : ` in ${backup.proofSeconds} s`,
    where === 'field' ? ', at ' : ', ',
    { at: backup.provenAt! },
  ];
  if (backup.proofError === null) {
    return backup.provenAt === null ? undefined : proven({ text: 'proven restorable', tone: 'good' });
  }
  // Always under a label: the "drill:" field or the DRILL column.
  // In a table cell, the start of what failed (show gives all of it): a row stays readable.
  const error =
    where === 'cell' && backup.proofError.length > CELL_ERROR_CHARS
      ? `${backup.proofError.slice(0, CELL_ERROR_CHARS - 1)}…`
      : backup.proofError;
  const failed: Span = { text: `FAILED: ${error}`, tone: 'bad' };
  return backup.provenAt === null ? failed : [failed, ' (earlier ', ...proven('proven restorable'), ')'];
}
