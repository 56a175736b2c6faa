import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { RetentionDecision } from '../../src/retention/index.ts';

const directory = new URL('./golden/', import.meta.url);

/**
 * Compares decisions with test/retention/golden/<name>.json. To change a golden file on purpose, run the tests with
 * UPDATE_GOLDEN=1 and review the diff; without it a missing or different file fails the test.
 */
export function expectGoldenDecisions(name: string, decisions: readonly RetentionDecision[]): void {
  const file = new URL(`${name}.json`, directory);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    // One decision per line, keys in a fixed order, so a changed decision shows as a one-line diff.
    const lines = decisions.map(({ id, keep, tier, reason }) => `  ${JSON.stringify({ id, keep, tier, reason })}`);
    writeFileSync(file, `[\n${lines.join(',\n')}\n]\n`);
  }
  expect(decisions).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** The same for text: test/retention/golden/<name>.txt. */
export function expectGoldenText(name: string, text: string): void {
  const file = new URL(`${name}.txt`, directory);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, `${text}\n`);
  expect(text).toEqual(readFileSync(file, 'utf8').replace(/\n$/, ''));
}
