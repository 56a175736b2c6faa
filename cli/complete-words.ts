import { commandNames, usage } from '../commands/usage.ts';
import { roles } from '../src/domain/principal.ts';
import { adminFlags, adminPurposes, adminSubcommands } from './admin-flags.ts';
import { globalFlags, splitGlobalOptions } from './global-options.ts';

/** One word the shell may offer, with what it is (zsh and fish show it beside the word). */
export interface Candidate {
  value: string;
  description?: string;
}

/** The words to offer, or `files`: let the shell complete a file name (--config, -o, decrypt's input). */
export type Completion = { candidates: Candidate[] } | { files: true };

/** What completion knows beyond the grammar: the configured targets, and (read when needed) the state's ids. */
export interface CompletionFacts {
  /** "app/env", in config order. */
  targets: readonly string[];
  /** The newest backups first, each described ("shop/live  2 h ago  db+media  before deploy"). */
  backups: () => Promise<readonly Candidate[]>;
  /** Queued and running operations, in the order they run. */
  operations: () => Promise<readonly Candidate[]>;
}

export const shells = ['bash', 'zsh', 'fish'] as const;

const parts = ['db', 'media', 'db+media'];
const triggers = ['scheduled', 'on-demand'];
/** The language's commands that take a backup id first. */
const byBackupId = new Set(['show', 'verify', 'pin', 'unpin', 'download', 'restore']);

/**
 * What to offer for the last of `words` (the command line after `backstop`, the word being typed last, maybe ''),
 * from the grammar of the /backup language and of the admin commands. Pure but for the facts it asks for; only
 * candidates that start with the typed word are returned.
 */
export async function completeWords(words: readonly string[], facts: CompletionFacts): Promise<Completion> {
  const typed = joinedAtEquals(words);
  const current = typed.at(-1) ?? '';
  const before = typed.slice(0, -1);
  const previous = before.at(-1);
  if (previous === '--config' || previous === '-c') return { files: true };
  if (previous === '--progress') return offer(current, plain(['json']));
  const [command, ...args] = splitGlobalOptions(before).words;
  if (command === undefined) {
    if (current.startsWith('-')) return offer(current, plain(globalFlags));
    return offer(current, [
      ...commandNames.map((name) => ({ value: name, description: usage[name].purpose })),
      ...Object.entries(adminPurposes).map(([value, description]) => ({ value, description })),
    ]);
  }
  if (command in usage) return offer(current, await languageWords(command, args, current, facts));
  const admin = adminWords(command, args, current, facts);
  return 'files' in admin ? admin : offer(current, admin.candidates);
}

/** The /backup language: the words that may come next after `command` and `args`. */
async function languageWords(
  command: string,
  args: readonly string[],
  current: string,
  facts: CompletionFacts,
): Promise<Candidate[]> {
  const flags = [...(usage[command as keyof typeof usage].line.match(/--[a-z-]+/g) ?? []), ...globalFlags];
  if (current.startsWith('-')) return plain(flags);
  if (args.at(-1) === '--email') return [];
  const targets = plain(facts.targets);
  const given = args.filter((word) => !word.startsWith('-'));
  switch (command) {
    case 'help':
      return given.length === 0 ? plain([...commandNames]) : [];
    case 'list':
      return [
        ...(given.some((w) => w.includes('/')) ? [] : targets),
        ...(given.some((w) => triggers.includes(w)) ? [] : plain(triggers)),
      ];
    case 'create':
      if (given.some((w) => w.includes('/'))) return []; // the note: free text
      return given.some((w) => parts.includes(w)) ? targets : [...plain(parts), ...targets];
    case 'prune':
    case 'schedule':
      return given.length === 0 ? targets : [];
    case 'status':
      return given.length === 0 ? [...(await facts.operations()), ...(await facts.backups())] : [];
    case 'cancel':
      return given.length === 0 ? [...(await facts.operations())] : [];
    case 'drill':
      // A backup by id, or a target's newest completed backup.
      return given.length === 0 ? [...(await facts.backups()), ...targets] : [];
  }
  if (!byBackupId.has(command)) return [];
  if (given.length === 0) return [...(await facts.backups())];
  if (command === 'restore') {
    if (given.at(-1) === 'to') return targets;
    if (given.includes('to')) return [];
    return given.some((w) => parts.includes(w)) ? plain(['to']) : plain([...parts, 'to']);
  }
  if (command === 'download') return given.some((w) => parts.includes(w)) ? [] : plain(parts);
  return [];
}

/** The admin commands: their subcommands, flags and the values of those flags. */
function adminWords(command: string, args: readonly string[], current: string, facts: CompletionFacts): Completion {
  const subcommands = adminSubcommands[command];
  if (command === 'completion') return { candidates: args.length === 0 ? plain(shells) : [] };
  if (subcommands && args.length === 0) return { candidates: plain(subcommands) };
  const key = subcommands ? `${command} ${args[0]}` : command;
  const spec: Readonly<Record<string, { type: string; short?: string }>> | undefined =
    adminFlags[key as keyof typeof adminFlags];
  if (spec === undefined) return { candidates: [] };
  const previous = args.at(-1);
  const flagBefore = Object.entries(spec).find(
    ([name, flag]) => previous === `--${name}` || previous === `-${flag.short}`,
  );
  if (flagBefore !== undefined && flagBefore[1].type === 'string') {
    const [name] = flagBefore;
    if (name === 'output' || name === 'identity') return { files: true };
    if (name === 'role') return { candidates: plain(roles) };
    if (name === 'apps' || name === 'app') {
      const apps = [...new Set(facts.targets.map((target) => target.split('/')[0]!))];
      return { candidates: plain(name === 'apps' ? [...apps, '*'] : apps) };
    }
    return { candidates: [] };
  }
  if (current.startsWith('-'))
    return { candidates: plain([...Object.keys(spec).map((name) => `--${name}`), ...globalFlags]) };
  return command === 'decrypt' ? { files: true } : { candidates: [] };
}

/**
 * bash splits `--config=x` at the `=` (it is in COMP_WORDBREAKS): `--config`, `=`, `x`. Put such a value back after
 * its flag, as a word of its own, so `--progress=j` completes as `--progress j` does.
 */
function joinedAtEquals(words: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '=' && joined.at(-1)?.startsWith('--')) {
      joined.push(words[i + 1] ?? '');
      i += 1;
    } else joined.push(word);
  }
  return joined;
}

function plain(values: readonly string[]): Candidate[] {
  return values.map((value) => ({ value }));
}

function offer(current: string, candidates: readonly Candidate[]): Completion {
  const seen = new Set<string>();
  return {
    candidates: candidates.filter((c) => c.value.startsWith(current) && !seen.has(c.value) && seen.add(c.value)),
  };
}
