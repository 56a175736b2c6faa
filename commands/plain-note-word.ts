/** The words that name parts, in every command that takes them. */
export const partsWords: readonly string[] = ['db', 'media', 'db+media'];

/** `app/env` as written in a command. */
export const targetPattern = /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/i;

/**
 * A word typed as a flag: a dash and a letter, and no space (a quoted phrase such as "-a few words" is text). A lone
 * dash or a negative number is text too.
 */
export function isFlagWord(word: string): boolean {
  return /^--?[a-z]/i.test(word) && !/\s/u.test(word);
}

/**
 * True when `word` reads as part of a note wherever it stands in `create`: not a flag, not `--`, not a parts word,
 * not an `app/env` target. Other words must follow `--` to be kept in a note (the parser refuses them in a note, as
 * they are far more often a misplaced part, target or flag than a note). Adapters that write commands out for the
 * parser (Discord's options) use it to know when a note needs the `--`.
 */
export function isPlainNoteWord(word: string): boolean {
  return word !== '--' && !isFlagWord(word) && !partsWords.includes(word.toLowerCase()) && !targetPattern.test(word);
}
