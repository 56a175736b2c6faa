import { expect, test } from 'vitest';
import { renderReplyView } from '../../../adapters/console/render-reply-view.ts';
import { proofPhrase } from '../../../commands/handlers/proof-phrase.ts';
import type { ViewBlock } from '../../../commands/handlers/reply-view.ts';
import { type ProofFacts, proofWords } from '../../../src/text/proof-words.ts';

const now = new Date('2026-12-05T12:00:00Z');
const style = { colour: false, now, timeZone: 'Europe/Zurich' };
const provenAt = new Date('2026-12-05T10:00:00Z');
const passed = { provenAt, proofSeconds: 42, proofError: null };
const failedAfterPassing = {
  provenAt,
  proofSeconds: 42,
  proofError: 'table shop.orders: recorded 1201 rows, found 1200',
};
const failed = { provenAt: null, proofSeconds: null, proofError: 'check "select false" returned false' };
const never = { provenAt: null, proofSeconds: null, proofError: null };

/** The phrase of `facts` as the terminal writes it in a field of `show` and in a cell of `list`. */
function written(facts: ProofFacts): { field: string; cell: string } {
  const field: ViewBlock = { kind: 'fields', fields: [['drill', proofPhrase(facts, 'field')!]] };
  const cell: ViewBlock = { kind: 'table', columns: ['DRILL'], rows: [[proofPhrase(facts, 'cell')!]] };
  return {
    field: renderReplyView([field], style),
    cell: renderReplyView([cell], style).split('\n')[1]!,
  };
}

test('a drill result reads on the terminal as in chat, its time in the reader’s zone', () => {
  expect(written(passed)).toEqual({
    field: '  drill: proven restorable in 42 s, at 2026-12-05 11:00:00 CET (2 h ago)',
    cell: 'proven restorable in 42 s, 2 h ago',
  });
  expect(written(failedAfterPassing)).toEqual({
    field:
      '  drill: FAILED: table shop.orders: recorded 1201 rows, found 1200 (earlier proven restorable in 42 s, ' +
      'at 2026-12-05 11:00:00 CET (2 h ago))',
    // A cell shows the start of what failed; the field all of it.
    cell: 'FAILED: table shop.orders: recorded 1201 rows, found 1200 (earlier proven restorable in 42 s, 2 h ago)',
  });
  const long = { ...failed, proofError: `2 checks failed: ${'x'.repeat(100)}` };
  expect(written(long).cell).toBe(`FAILED: 2 checks failed: ${'x'.repeat(42)}…`);
  expect(written(long).field).toContain('x'.repeat(100));
  expect(written(failed).cell).toBe('FAILED: check "select false" returned false');
  expect(proofPhrase(never, 'field')).toBeUndefined();
  // Chat says the same in its own words.
  expect(proofWords(failedAfterPassing)).toBe(
    'drill FAILED: table shop.orders: recorded 1201 rows, found 1200 (earlier proven restorable at 2026-12-05 10:00 UTC (in 42 s))',
  );
});

test('on a terminal in colour, a proof is green and a failed drill red', () => {
  const view: ViewBlock[] = [
    { kind: 'table', columns: ['DRILL'], rows: [[proofPhrase(passed, 'cell')!], [proofPhrase(failed, 'cell')!]] },
  ];
  const [, green, red] = renderReplyView(view, { ...style, colour: true }).split('\n');
  expect(green).toContain('\x1b[32mproven restorable\x1b[39m');
  expect(red).toContain('\x1b[31mFAILED: check "select false" returned false\x1b[39m');
});
