import type { Trigger } from '../src/domain/backup.ts';
import type { PartsChoice } from '../src/domain/part-kind.ts';
import { closestWord } from '../src/text/closest-word.ts';
import type { Command, CommandName, TargetRef } from './command.ts';
import { commandNames, usage } from './usage.ts';

export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; message: string; usage: string | undefined; suggestion?: string };

export interface ParseContext {
  /** When the channel is bound to an app: its environments, so a bare `staging` can name a target. */
  boundAppEnvironments?: readonly string[];
}

const partsWords: readonly string[] = ['db', 'media', 'db+media'];
const idPattern = /^[a-z0-9]{4,16}$/;

/**
 * Parses the words of a /backup command (after `/backup` or `backstop`). Pure: never throws, never looks anything
 * up; a usage error names the problem, shows the command's usage line and suggests the nearest word for a typo.
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
    const parts = reader.peek();
    if (parts !== undefined && partsWords.includes(parts.toLowerCase())) {
      command.parts = parts.toLowerCase() as PartsChoice;
      reader.next();
    }
    const maybeTarget = reader.peek();
    if (maybeTarget !== undefined && reader.looksLikeTarget(maybeTarget)) {
      command.target = reader.target(maybeTarget);
      reader.next();
    }
    const note = reader.rest().join(' ').trim();
    if (note !== '') command.note = note;
    return command;
  },
  show(reader) {
    return { name: 'show', id: reader.id() };
  },
  verify(reader) {
    return { name: 'verify', id: reader.id() };
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
      if (word === '--dry-run') command.dryRun = true;
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
      else if (lower === '--email' || lower.startsWith('--email=')) {
        const address = lower === '--email' ? reader.next() : word.slice('--email='.length);
        if (address === undefined || !/^[^\s@]+@[^\s@]+$/.test(address)) {
          throw new UsageError('--email needs an address, e.g. --email ana@example.com');
        }
        command.email = address;
      } else reader.unexpected(word);
    }
    return command;
  },
  status() {
    return { name: 'status' };
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
      } else if (lower === '--no-safety-backup') command.safetyBackup = false;
      else reader.unexpected(word);
    }
    return command;
  },
};

class UsageError extends Error {}

/** Reads the words of one command, with the errors every command shares. */
class WordReader {
  private index = 0;

  constructor(
    private readonly command: CommandName,
    private readonly words: readonly string[],
    private readonly context: ParseContext,
  ) {}

  peek(): string | undefined {
    return this.words[this.index];
  }

  next(): string | undefined {
    const word = this.words[this.index];
    if (word !== undefined) this.index += 1;
    return word;
  }

  rest(): string[] {
    const words = this.words.slice(this.index);
    this.index = this.words.length;
    return [...words];
  }

  id(needs = 'a backup id (see list)', what = 'a backup id'): string {
    const word = this.next();
    if (word === undefined) throw new UsageError(`${this.command} needs ${needs}`);
    if (!idPattern.test(word.toLowerCase())) throw new UsageError(`'${word}' is not ${what} (ids look like 7k3qx2)`);
    return word.toLowerCase();
  }

  looksLikeTarget(word: string): boolean {
    return (
      /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/i.test(word) ||
      (this.context.boundAppEnvironments ?? []).includes(word)
    );
  }

  target(word: string): TargetRef {
    const slash = word.indexOf('/');
    if (slash > 0 && slash < word.length - 1 && word.indexOf('/', slash + 1) === -1) {
      return { app: word.slice(0, slash).toLowerCase(), env: word.slice(slash + 1).toLowerCase() };
    }
    if (slash === -1 && this.context.boundAppEnvironments !== undefined) return { env: word.toLowerCase() };
    if (slash === -1 && /^[a-z0-9][a-z0-9_-]*$/i.test(word)) {
      throw new UsageError(`'${word}' is not a target: write app/env, e.g. shop/${word}`);
    }
    throw new UsageError(`'${word}' is not a target: write app/env, e.g. shop/live`);
  }

  unexpected(word: string): never {
    const flags =
      this.command === 'restore'
        ? ['--no-safety-backup']
        : this.command === 'prune'
          ? ['--dry-run']
          : this.command === 'download'
            ? ['--email']
            : [];
    const suggestion = word.startsWith('-') ? closestWord(word, flags) : undefined;
    throw new UsageError(`unexpected '${word}'${suggestion ? `: did you mean '${suggestion}'?` : ''}`);
  }

  expectEnd(): void {
    const word = this.next();
    if (word !== undefined) this.unexpected(word);
  }
}
