import { closestWord } from '../src/text/closest-word.ts';
import { globalFlags } from './global-options.ts';

/**
 * "unexpected '--nmae': did you mean '--name'?": the answer to a word an admin command does not take. A word typed as
 * a flag is matched against the command's own flags (`flags`) and the options every command takes.
 */
export function unexpectedWord(word: string, flags: readonly string[] = []): string {
  const name = word.split('=')[0]!;
  const suggestion = /^--?[a-z]/i.test(word) ? closestWord(name, [...flags, ...globalFlags]) : undefined;
  return `unexpected '${word}'${suggestion ? `: did you mean '${suggestion}'?` : ''}`;
}
