import {
  InteractionContextType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import type { SuggestionSlot } from '../../commands/chat/chat-suggestions.ts';
import type { CommandName } from '../../commands/command.ts';
import { isPlainNoteWord } from '../../commands/plain-note-word.ts';
import { commandNames } from '../../commands/usage.ts';

/**
 * The `/backup` application command: one subcommand per /backup command, with typed options so Discord's UI offers
 * choices (parts, trigger) and yes/no switches instead of flags. Each option also says which words it stands for, so
 * `interactionToText` can write the command out as a person would have typed it and the shared parser
 * (commands/parse-command.ts) stays the only place that knows the language. Options that take a backup id or a
 * target are autocompleted: Discord asks for choices as the person types (see `autocompleteSlot`).
 */

type OptionValue = string | number | boolean;

interface OptionSpec {
  name: string;
  /** Discord shows it under the option; at most 100 characters. */
  description: string;
  type: 'string' | 'boolean';
  required?: boolean;
  choices?: readonly string[];
  /** Offer choices as the person types: backups (for a backup id) or targets. */
  suggest?: SuggestionSlot['kind'];
  /** The words this option stands for, in the order the usage line has them. `given` holds every option sent. */
  words(value: OptionValue, given: ReadonlyMap<string, OptionValue>): string[];
}

interface SubcommandSpec {
  /** At most 100 characters (Discord's limit), so not always usage.ts's purpose. */
  description: string;
  /** In the order of the usage line; required options first (Discord requires it, and ids come first anyway). */
  options: OptionSpec[];
}

const partsChoices = ['db', 'media', 'db+media'] as const;

const backupId = (description = 'Backup id, e.g. 7k3qx2 (see /backup list)', suggest = true): OptionSpec => ({
  name: 'id',
  description,
  type: 'string',
  required: true,
  ...(suggest && { suggest: 'backup' as const }),
  words: (value) => [quoteWord(String(value))],
});

const parts = (description: string): OptionSpec => ({
  name: 'parts',
  description,
  type: 'string',
  choices: partsChoices,
  words: (value) => [quoteWord(String(value))],
});

const target = (
  description = 'Target app/env, e.g. shop/live (or just env where the channel is bound to an app)',
): OptionSpec => ({
  name: 'target',
  description,
  type: 'string',
  suggest: 'target',
  words: (value) => [quoteWord(String(value))],
});

const subcommands: Record<CommandName, SubcommandSpec> = {
  help: {
    description: 'Show the commands, or one command in detail',
    options: [
      {
        name: 'command',
        description: 'The command to explain',
        type: 'string',
        choices: commandNames,
        words: (value) => [quoteWord(String(value))],
      },
    ],
  },
  list: {
    description: 'List backups, newest first',
    options: [
      target(),
      {
        name: 'trigger',
        description: 'Only scheduled or only on-demand backups',
        type: 'string',
        choices: ['scheduled', 'on-demand'],
        words: (value) => [quoteWord(String(value))],
      },
    ],
  },
  create: {
    description: 'Take a backup now (default: db+media), with an optional note',
    options: [
      parts('What to back up (default: db+media)'),
      target(),
      {
        name: 'note',
        description: 'Why, e.g. "before deploy"; kept with the backup',
        type: 'string',
        words: (value, given) => noteWords(String(value), given.has('target')),
      },
    ],
  },
  show: {
    description: 'Show one backup, or a restore, a download (with its links) or an operation',
    options: [backupId('Id of a backup (e.g. 7k3qx2), a restore, a download or an operation')],
  },
  restore: {
    description: 'Overwrite an environment with a backup (a safety backup of the destination is taken first)',
    options: [
      backupId('Backup id to restore, e.g. 7k3qx2'),
      parts('What to restore (default: every part of the backup)'),
      {
        name: 'to',
        description: "Destination app/env (default: the backup's own environment)",
        type: 'string',
        suggest: 'target',
        words: (value) => ['to', quoteWord(String(value))],
      },
      {
        name: 'safety_backup',
        description: 'Back up the destination first so the restore can be undone (default: yes)',
        type: 'boolean',
        words: (value) => (value === false ? ['--no-safety-backup'] : []),
      },
    ],
  },
  download: {
    description: 'Prepare plaintext copies of a backup and send expiring links',
    options: [
      backupId('Backup id to download, e.g. 7k3qx2'),
      parts('What to download (default: every part of the backup)'),
      {
        name: 'email',
        description: 'Also email the links to this address',
        type: 'string',
        words: (value) => ['--email', quoteWord(String(value))],
      },
    ],
  },
  verify: { description: 'Read a backup back, decrypt it and check every checksum', options: [backupId()] },
  drill: {
    description: 'Prove a backup restores: restore it into scratch space, check it, remove it',
    options: [backupId('Backup id, or app/env for its newest completed backup')],
  },
  pin: { description: 'Keep a backup whatever the retention policy says', options: [backupId()] },
  unpin: { description: 'Let the retention policy decide about a backup again', options: [backupId()] },
  prune: {
    description: 'Delete the backups the retention policy no longer keeps',
    options: [
      target('Target app/env (default: every target)'),
      {
        name: 'dry_run',
        description: 'Only show what would be deleted',
        type: 'boolean',
        words: (value) => (value === true ? ['--dry-run'] : []),
      },
    ],
  },
  schedule: {
    description: 'Show each schedule, its next run, its last result and its retention policy',
    options: [target()],
  },
  status: {
    description: 'Show queued and running operations with their progress, or one operation',
    options: [
      {
        name: 'id',
        description: 'One operation: its id, or the id of its backup, restore or download',
        type: 'string',
        words: (value) => [quoteWord(String(value))],
      },
      {
        name: 'all',
        description: 'Recently finished operations too',
        type: 'boolean',
        words: (value) => (value === true ? ['--all'] : []),
      },
    ],
  },
  cancel: {
    description: 'Stop a queued or running operation (a backup, restore or download id works too)',
    options: [backupId('Operation id (see /backup status), or a backup, restore or download id', false)],
  },
};

/** The order Discord lists the subcommands in: the order of DESIGN.md's grammar. */
const subcommandOrder: readonly CommandName[] = [
  'help',
  'list',
  'create',
  'show',
  'restore',
  'download',
  'verify',
  'drill',
  'pin',
  'unpin',
  'prune',
  'schedule',
  'status',
  'cancel',
];

/**
 * Who sees `/backup` in a server until its admins decide otherwise: members allowed to Manage Server. A server's
 * admins widen or narrow it per role, member or channel under Server Settings > Integrations > Backstop, without
 * registering again. It only hides the command; what each person may do is still decided by the config's `access:`
 * lists, so a member who sees the command gets no role they were not granted there.
 */
export const defaultMemberPermissions = PermissionFlagsBits.ManageGuild;

/** The `/backup` command as a discord.js builder (guild channels only: a DM is bound to no app or channel). */
export function backupCommand(): SlashCommandBuilder {
  const builder = new SlashCommandBuilder()
    .setName('backup')
    .setDescription('Backstop: back up, restore and download app environments')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(defaultMemberPermissions);
  for (const name of subcommandOrder) {
    builder.addSubcommand((sub) => describeSubcommand(sub.setName(name), subcommands[name]));
  }
  return builder;
}

/** What `backstop discord register` sends: the application's whole command list. */
export function discordCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [backupCommand().toJSON()];
}

function describeSubcommand(sub: SlashCommandSubcommandBuilder, spec: SubcommandSpec): SlashCommandSubcommandBuilder {
  sub.setDescription(spec.description);
  for (const option of spec.options) {
    if (option.type === 'boolean') {
      sub.addBooleanOption((o) =>
        o.setName(option.name).setDescription(option.description).setRequired(!!option.required),
      );
    } else {
      sub.addStringOption((o) => {
        o.setName(option.name).setDescription(option.description).setRequired(!!option.required);
        if (option.choices) o.addChoices(...option.choices.map((c) => ({ name: c, value: c })));
        if (option.suggest) o.setAutocomplete(true);
        return o;
      });
    }
  }
  return sub;
}

/** The subset of an APPLICATION_COMMAND interaction's `data` that `interactionToText` reads. */
export interface DiscordCommandData {
  name: string;
  options?: DiscordCommandOption[];
}

export interface DiscordCommandOption {
  name: string;
  type: number;
  value?: OptionValue;
  options?: DiscordCommandOption[];
  /** In an autocomplete interaction: the option being typed. */
  focused?: boolean;
}

const subcommandOptionType = 1;

/**
 * Writes a `/backup` interaction out as the words of the /backup language, as a person would type them
 * (`create db shop/live "before deploy"`, `restore 7k3qx2 to shop/staging --no-safety-backup`), for the shared
 * parser. Options come out in the usage line's order whatever order Discord sent them in; options this definition
 * does not know are left out (a stale registration), and a subcommand it does not know is passed on by name so the
 * parser answers "unknown command".
 */
export function interactionToText(data: DiscordCommandData): string {
  const sub = data.options?.find((o) => o.type === subcommandOptionType);
  if (sub === undefined) return '';
  const spec = (subcommands as Partial<Record<string, SubcommandSpec>>)[sub.name];
  if (spec === undefined) return quoteWord(sub.name);
  const given = new Map<string, OptionValue>();
  for (const option of sub.options ?? []) {
    if (option.value !== undefined) given.set(option.name, option.value);
  }
  const words = [sub.name];
  for (const option of spec.options) {
    const value = given.get(option.name);
    if (value !== undefined) words.push(...option.words(value, given));
  }
  return words.join(' ');
}

/**
 * What an AUTOCOMPLETE interaction asks for: the option being typed (`focused`), as the kind of choices it takes and
 * the command it is for, with what was typed so far. Undefined for an option this definition offers no choices for
 * (a stale registration).
 */
export function autocompleteSlot(
  data: Pick<DiscordCommandData, 'options'>,
): { slot: SuggestionSlot; typed: string } | undefined {
  const sub = data.options?.find((o) => o.type === subcommandOptionType);
  const spec = sub === undefined ? undefined : (subcommands as Partial<Record<string, SubcommandSpec>>)[sub.name];
  const focused = sub?.options?.find((o) => o.focused === true);
  const option = spec?.options.find((o) => o.name === focused?.name);
  if (option?.suggest === undefined) return undefined;
  return {
    slot: { kind: option.suggest, command: sub!.name as CommandName },
    typed: String(focused?.value ?? ''),
  };
}

/**
 * Writes `value` as one word for commands/tokenize.ts: as is when it has no space or quote, else in double quotes,
 * with any double quotes in single quotes (the tokenizer joins adjacent quoted pieces into one word).
 */
export function quoteWord(value: string): string {
  if (/^[^\s"'“”‘’„]+$/u.test(value)) return value;
  if (value === '') return '""';
  return value
    .split(/("+)/)
    .filter((piece) => piece !== '')
    .map((piece) => (piece.startsWith('"') ? `'${piece}'` : `"${piece}"`))
    .join('');
}

/**
 * A note is one quoted word, so none of its words is read as parts or a target. Without a target option, a one-word
 * note could still be: `create hotfix` names the environment `hotfix` in a channel bound to an app. A trailing space
 * inside the quotes keeps it a note (no target, parts or flag word has one, and the parser trims the note). After a
 * target, a note the parser would take for a misplaced part or target, or a flag (`db`, `shop/live`, `-x`), follows
 * `--`.
 */
function noteWords(note: string, targetGiven: boolean): string[] {
  if (!targetGiven && !/\s/u.test(note)) return [quoteWord(`${note} `)];
  return isPlainNoteWord(note) ? [quoteWord(note)] : ['--', quoteWord(note)];
}
