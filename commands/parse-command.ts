import type { Trigger } from '../src/domain/backup.ts';
import type { PartsChoice } from '../src/domain/part-kind.ts';
import { closestWord } from '../src/text/closest-word.ts';
import type { Command, CommandName, TargetRef } from './command.ts';
import { isFlagWord, isPlainNoteWord, partsWords, targetPattern } from './plain-note-word.ts';
import { commandNames, usage } from './usage.ts';

export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; message: string; usage: string | undefined; suggestion?: string };

export interface ParseContext {
  /** When the channel is bound to an app: its environments, so a bare `staging` can name a target. */
  boundAppEnvironments?: readonly string[];
  /**
   * Flags the surface itself takes around the language (the CLI's --json, --wait, ...), so that a mistyped one is
   * answered with the flag meant. Chat has none: there `--json` is as unknown as any other flag.
   */
  surfaceFlags?: readonly string[];
}

const idPattern = /^[a-z0-9]{4,16}$/;

/** The flags each command takes; any other word typed as a flag is refused (`--` ends flags). */
const commandFlags: Partial<Record<CommandName, readonly string[]>> = {
  restore: ['--no-safety-backup'],
  prune: ['--dry-run'],
  download: ['--email'],
  status: ['--all'],
};

/**
 * Parses the words of a /backup command (after `/backup` or `backstop`). Pure: never throws, never looks anything
 * up; a usage error names the problem, shows the command's usage line and suggests the nearest word for a typo.
 * A word typed as a flag that the command does not take is refused; after `--` no word is a flag (a note may then
 * start with a dash).
 */
export function parseCommand(words: readonly string[], context: ParseContext = {}): ParseResult {
  const [first, ...rest] = words;
  if (first === undefined || first === '') return { ok: true, command: { name: 'help' } };
  const name = first.toLowerCase();
  if (!isCommandName(name)) {
    const suggestion = closestWord(name, commandNames);
    return {
      ok: false,
      message: `unknown command '${first}'${suggestion ? `: did you mean '${suggestion}'?` : ''}`,
      usage: undefined,
      ...(suggestion ? { suggestion } : {}),
    };
  }
  const reader = new WordReader(name, rest, context);
  try {
    const command = parsers[name](reader);
    reader.expectEnd();
    return { ok: true, command };
  } catch (error) {
    if (error instanceof UsageError) return { ok: false, message: error.message, usage: usage[name].line };
    throw error;
  }
}

function isCommandName(word: string): word is CommandName {
  return (commandNames as string[]).includes(word);
}

const parsers: { [K in CommandName]: (reader: WordReader) => Extract<Command, { name: K }> } = {
  help(reader) {
    const topic = reader.next();
    return topic === undefined ? { name: 'help' } : { name: 'help', topic: topic.toLowerCase() };
  },
  list(reader) {
    const command: Extract<Command, { name: 'list' }> = { name: 'list' };
    for (let word = reader.next(); word !== undefined; word = reader.next()) {
      if (word === 'scheduled' || word === 'on-demand') command.trigger = word as Trigger;
      else if (command.target === undefined) command.target = reader.target(word);
      else reader.unexpected(word);
    }
    return command;
  },
  create(reader) {
    const command: Extract<Command, { name: 'create' }> = { name: 'create' };
    let word = reader.next();
    if (word !== undefined && !reader.literal && partsWords.includes(word.toLowerCase())) {
      command.parts = word.toLowerCase() as PartsChoice;
      word = reader.next();
    } else if (word !== undefined && !reader.literal && /^(db|media)\+|\+(db|media)$/i.test(word)) {
      // Plainly meant as parts (db+meda): saying so beats calling the target that follows misplaced.
      const meant = closestWord(word.toLowerCase(), partsWords);
      throw new UsageError(
        `unknown parts '${word}'${meant ? `: did you mean '${meant}'?` : ': write db, media or db+media'}`,
      );
    }
    if (word !== undefined && !reader.literal && reader.looksLikeTarget(word)) {
      command.target = reader.target(word);
      word = reader.next();
    }
    const note: string[] = [];
    const literal: string[] = [];
    for (; word !== undefined; word = reader.next()) (reader.literal ? literal : note).push(word);
    checkMistypedParts(command, note, literal);
    checkNote(command, note, literal);
    const text = [...note, ...literal].join(' ').trim();
    if (text !== '') command.note = text;
    return command;
  },
  show(reader) {
    return { name: 'show', id: reader.id() };
  },
  verify(reader) {
    return { name: 'verify', id: reader.id() };
  },
  drill(reader) {
    const word = reader.next();
    if (word === undefined) return { name: 'drill' };
    if (reader.looksLikeTarget(word) || word.includes('/')) return { name: 'drill', target: reader.target(word) };
    return { name: 'drill', id: reader.idFrom(word, 'a backup id or a target app/env') };
  },
  pin(reader) {
    return { name: 'pin', id: reader.id() };
  },
  unpin(reader) {
    return { name: 'unpin', id: reader.id() };
  },
  prune(reader) {
    const command: Extract<Command, { name: 'prune' }> = { name: 'prune', dryRun: false };
    for (let word = reader.next(); word !== undefined; word = reader.next()) {
      if (reader.isFlag('--dry-run')) command.dryRun = true;
      else if (command.target === undefined) command.target = reader.target(word);
      else reader.unexpected(word);
    }
    return command;
  },
  schedule(reader) {
    const word = reader.next();
    return word === undefined ? { name: 'schedule' } : { name: 'schedule', target: reader.target(word) };
  },
  download(reader) {
    const command: Extract<Command, { name: 'download' }> = { name: 'download', id: reader.id() };
    for (let word = reader.next(); word !== undefined; word = reader.next()) {
      const lower = word.toLowerCase();
      if (partsWords.includes(lower) && command.parts === undefined) command.parts = lower as PartsChoice;
      else if (reader.isFlag('--email')) {
        const address = lower === '--email' ? reader.next() : word.slice('--email='.length);
        if (address === undefined || !/^[^\s@]+@[^\s@]+$/.test(address)) {
          throw new UsageError('--email needs an address, e.g. --email ana@example.com');
        }
        command.email = address;
      } else reader.unexpected(word);
    }
    return command;
  },
  status(reader) {
    const command: Extract<Command, { name: 'status' }> = { name: 'status' };
    for (let word = reader.next(); word !== undefined; word = reader.next()) {
      if (reader.isFlag('--all')) command.all = true;
      else if (command.id === undefined) command.id = reader.idFrom(word, 'an id');
      else reader.unexpected(word);
    }
    if (command.id !== undefined && command.all) {
      throw new UsageError('status takes an id or --all, not both');
    }
    return command;
  },
  cancel(reader) {
    return { name: 'cancel', id: reader.id('an operation id (see status)', 'an operation id') };
  },
  restore(reader) {
    const command: Extract<Command, { name: 'restore' }> = { name: 'restore', id: reader.id(), safetyBackup: true };
    for (let word = reader.next(); word !== undefined; word = reader.next()) {
      const lower = word.toLowerCase();
      if (partsWords.includes(lower) && command.parts === undefined) command.parts = lower as PartsChoice;
      else if (lower === 'to') {
        const target = reader.next();
        if (target === undefined) throw new UsageError("'to' needs a destination, e.g. to shop/staging");
        command.to = reader.target(target);
      } else if (reader.isFlag('--no-safety-backup')) command.safetyBackup = false;
      else reader.unexpected(word);
    }
    return command;
  },
};

/**
 * Refuses a note that is a mistyped part: its first word when a target follows it (`create dbb shop/live`: a note never
 * comes before the target), or its only word (`create shop/live dbb`), when that word is near db, media or db+media.
 * Said as what was probably meant, with how to keep the word as a note (after `--`).
 */
function checkMistypedParts(command: Extract<Command, { name: 'create' }>, note: string[], literal: string[]): void {
  const [first, second] = note;
  // Only a bare word as typed: a note given as one (Discord's note option, quoted text) is a note whatever it says.
  if (first === undefined || command.parts !== undefined || !/^[a-z+]{3,}$/i.test(first)) return;
  if (partsWords.includes(first.toLowerCase())) return; // a part itself, misplaced: checkNote says so
  const beforeTarget = second !== undefined && targetPattern.test(second) && command.target === undefined;
  const alone = note.length === 1 && literal.length === 0;
  if (!beforeTarget && !alone) return;
  const meant = closestWord(first.toLowerCase(), partsWords) as PartsChoice | undefined;
  if (meant === undefined) return;
  const target = beforeTarget ? targetRef(second!) : command.target;
  const rest = note.slice(beforeTarget ? 2 : 1);
  throw new UsageError(
    `unknown parts '${first}': did you mean '${meant}'? write: ${write(meant, target, [...rest, ...literal])}` +
      ` (or, if it belongs to the note, put the note after --: ${write(undefined, target, ['--', ...rest, first, ...literal])})`,
  );
}

/**
 * Refuses a note that holds a part or a target: far more often a misplaced word (`create shop/live db`) than a note,
 * so the answer is the command as meant, and how to keep the word in the note if it was one (after `--`).
 */
function checkNote(command: Extract<Command, { name: 'create' }>, note: string[], literal: string[]): void {
  const misplaced = note.find((word) => !isPlainNoteWord(word));
  if (misplaced === undefined) return;
  const parts = new Set(command.parts?.split('+') ?? []);
  let target = command.target;
  const kept: string[] = [];
  let second: string | undefined;
  for (const word of note) {
    const lower = word.toLowerCase();
    if (partsWords.includes(lower)) for (const part of lower.split('+')) parts.add(part);
    else if (targetPattern.test(word) && target === undefined) target = targetRef(word);
    else if (targetPattern.test(word)) second ??= word;
    else kept.push(word);
  }
  const why = partsWords.includes(misplaced.toLowerCase())
    ? 'names parts, which come right after create'
    : 'is a target, which goes before the note';
  const asNote = write(command.parts, command.target, ['--', ...note, ...literal]);
  if (second !== undefined) {
    throw new UsageError(
      `'${second}' is a second target: create backs up one target at a time` +
        ` (if it belongs to the note, put the note after --: ${asNote})`,
    );
  }
  const choice = parts.size === 2 ? 'db+media' : ([...parts][0] as PartsChoice | undefined);
  const corrected = write(choice, target, [...kept, ...(literal.length > 0 ? ['--', ...literal] : [])]);
  throw new UsageError(
    `'${misplaced}' ${why}: write: ${corrected} (or, if it belongs to the note, put the note after --: ${asNote})`,
  );
}

function targetRef(word: string): TargetRef {
  const [app, env] = word.toLowerCase().split('/');
  return { app: app!, env: env! };
}

/** A create command written out as a person would type it. */
function write(parts: PartsChoice | undefined, target: TargetRef | undefined, note: string[]): string {
  const targetWord =
    target === undefined ? [] : [target.app === undefined ? target.env : `${target.app}/${target.env}`];
  return ['create', ...(parts ? [parts] : []), ...targetWord, ...note.map(quoted)].join(' ');
}

/** A word as it must be typed to stay one word (in chat and in a shell alike, for the common cases). */
function quoted(word: string): string {
  if (word !== '' && !/[\s"']/u.test(word)) return word;
  return word.includes('"') ? `'${word}'` : `"${word}"`;
}

class UsageError extends Error {}

/** Reads the words of one command, with the errors every command shares. */
class WordReader {
  private index = 0;
  /** Where `--` stood: words after it are never flags. */
  private readonly end: number;
  private current: string | undefined;
  /** True when the word `next` returned last came after `--`. */
  literal = false;

  constructor(
    private readonly command: CommandName,
    private readonly words: readonly string[],
    private readonly context: ParseContext,
  ) {
    const end = words.indexOf('--');
    this.end = end === -1 ? words.length : end;
  }

  /**
   * The next word, or undefined at the end. A word typed as a flag before `--` that this command does not take is
   * refused here, so no command ever reads one as a target, an id or a note.
   */
  next(): string | undefined {
    if (this.index === this.end && this.end < this.words.length) this.index += 1;
    const word = this.words[this.index];
    if (word === undefined) return undefined;
    this.literal = this.index > this.end;
    this.index += 1;
    this.current = word;
    if (!this.literal && isFlagWord(word) && !this.takes(word)) this.unexpected(word);
    return word;
  }

  /** True when the word just read is `flag` (typed as a flag, before `--`). */
  isFlag(flag: string): boolean {
    return !this.literal && this.current !== undefined && flagName(this.current) === flag;
  }

  id(needs = 'a backup id (see list)', what = 'a backup id'): string {
    const word = this.next();
    if (word === undefined) throw new UsageError(`${this.command} needs ${needs}`);
    return this.idFrom(word, what);
  }

  idFrom(word: string, what: string): string {
    if (!idPattern.test(word.toLowerCase())) throw new UsageError(`'${word}' is not ${what} (ids look like 7k3qx2)`);
    return word.toLowerCase();
  }

  looksLikeTarget(word: string): boolean {
    return targetPattern.test(word) || (this.context.boundAppEnvironments ?? []).includes(word);
  }

  target(word: string): TargetRef {
    const slash = word.indexOf('/');
    if (slash > 0 && slash < word.length - 1 && word.indexOf('/', slash + 1) === -1) {
      return { app: word.slice(0, slash).toLowerCase(), env: word.slice(slash + 1).toLowerCase() };
    }
    if (slash === -1 && this.context.boundAppEnvironments !== undefined) return { env: word.toLowerCase() };
    if (slash === -1 && /^[a-z0-9][a-z0-9_-]*$/i.test(word)) {
      throw new UsageError(
        `'${word}' is not a target: write app/env, e.g. shop/${word}, or ${word}/live if ${word} is the app`,
      );
    }
    throw new UsageError(`'${word}' is not a target: write app/env, e.g. shop/live`);
  }

  unexpected(word: string): never {
    if (this.literal || !isFlagWord(word)) throw new UsageError(`unexpected '${word}'`);
    const own = this.flags();
    const suggestion = closestWord(flagName(word), [...own, ...(this.context.surfaceFlags ?? [])]);
    if (suggestion) throw new UsageError(`unexpected '${word}': did you mean '${suggestion}'?`);
    const takes = own.length === 0 ? `${this.command} takes no flags` : `${this.command} takes ${own.join(', ')}`;
    const note =
      this.command === 'create' ? ` (a note that starts with a dash goes after --: create ... -- ${word})` : '';
    throw new UsageError(`unexpected '${word}': ${takes}${note}`);
  }

  expectEnd(): void {
    const word = this.next();
    if (word !== undefined) this.unexpected(word);
  }

  /** Whether the command takes the flag `word` (only --email is given a value with `=`). */
  private takes(word: string): boolean {
    const name = flagName(word);
    return this.flags().includes(name) && (name === word.toLowerCase() || name === '--email');
  }

  private flags(): readonly string[] {
    return commandFlags[this.command] ?? [];
  }
}

/** `--email=a@b.c` is the flag `--email`. */
function flagName(word: string): string {
  const equals = word.indexOf('=');
  return (equals === -1 ? word : word.slice(0, equals)).toLowerCase();
}
