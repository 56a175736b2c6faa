import { closestWord } from '../src/text/closest-word.ts';
import { globalFlags } from './global-options.ts';

/**
 * "unexpected '--nmae': did you mean '--name'?": the answer to a word an admin command does not take. A word typed as
 * a flag is matched against the command's own flags (`flags`) and the options every command takes; with no flag near
 * it, naming the `command` lists the flags it does take, as the /backup language's parser does.
 */
export function unexpectedWord(word: string, flags: readonly string[] = [], command?: string): string {
  const isFlag = /^--?[a-z]/i.test(word);
  const suggestion = isFlag ? closestWord(word.split('=')[0]!, [...flags, ...globalFlags]) : undefined;
  if (suggestion) return `unexpected '${word}': did you mean '${suggestion}'?`;
  if (isFlag && command !== undefined) {
    return `unexpected '${word}': ${command} ${flags.length === 0 ? 'takes no flags' : `takes ${flags.join(', ')}`}`;
  }
  return `unexpected '${word}'`;
}

/**
 * "unknown token subcommand 'crate': did you mean 'create'?", or, with no word, what the command takes: the answer to
 * an admin command whose subcommand is missing or mistyped.
 */
export function unknownSubcommand(command: string, word: string | undefined, subcommands: readonly string[]): string {
  const choices =
    subcommands.length === 1
      ? subcommands[0]!
      : `${subcommands.slice(0, -1).join(', ')} or ${subcommands[subcommands.length - 1]}`;
  if (word === undefined)
    return `${command} takes ${subcommands.length === 1 ? 'one subcommand' : 'a subcommand'}: ${choices}`;
  const suggestion = closestWord(word, subcommands);
  return `unknown ${command} subcommand '${word}': ${suggestion ? `did you mean '${suggestion}'?` : `use ${choices}`}`;
}
