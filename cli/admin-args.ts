import { parseArgs } from 'node:util';
import { unexpectedWord } from './unexpected-word.ts';

/** The flags an admin command takes, by long name (`output` for --output), as node:util's parseArgs describes them. */
export type AdminFlags = Readonly<Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>;

/** An admin command's words once parsed: its flags' values and the words that are no flags. */
export class AdminArgs {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>,
    readonly positionals: readonly string[],
  ) {}

  /** A string flag's value (the last, if given twice). */
  string(name: string): string | undefined {
    const value = this.values[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    return typeof last === 'string' ? last : undefined;
  }

  /** Every value of a flag that may be given more than once (`-i a -i b`), in order. */
  strings(name: string): string[] {
    const value = this.values[name];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  }

  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

/**
 * Parses the words of an admin command (`token create`, `audit`, `decrypt`...) with node:util's parseArgs, and
 * answers mistakes as the rest of the CLI does: "unexpected '--nmae': did you mean '--name'?", "--name needs a value".
 * `--name=value` and `--name value` both work; `-o file` and `-ofile` for a short flag; after `--` every word is a
 * positional (a file that starts with a dash). Returns the parsed words, or the problem as one sentence.
 */
export function parseAdminArgs(
  args: readonly string[],
  flags: AdminFlags,
  options: {
    /** How the command is written in messages ("token create"). */
    command: string;
    /** How many words that are no flags the command takes (default none). */
    positionals?: number;
  },
): AdminArgs | string {
  const known = Object.keys(flags).map((name) => `--${name}`);
  const parsed = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      Object.entries(flags).map(([name, flag]) => [
        name,
        { type: flag.type, ...(flag.short && { short: flag.short }), ...(flag.multiple && { multiple: true }) },
      ]),
    ),
    // Not strict: unknown flags and missing values come back as tokens, answered here in the CLI's own words.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const flag = flags[token.name];
    const typed = args[token.index]!;
    if (flag === undefined) return unexpectedWord(typed, known, options.command);
    if (flag.type === 'boolean') {
      if (token.inlineValue) return `--${token.name} takes no value`;
      continue;
    }
    // A value taken from the next word that is itself a flag means the value was left out (`--name --role x`).
    const missing =
      token.value === undefined ||
      token.value === '' ||
      (!token.inlineValue && token.value.startsWith('-') && token.value !== '-');
    if (missing) return `--${token.name} needs a value`;
  }
  const positionals = parsed.positionals;
  const allowed = options.positionals ?? 0;
  if (positionals.length > allowed) return unexpectedWord(positionals[allowed]!, known, options.command);
  return new AdminArgs(parsed.values, positionals);
}
