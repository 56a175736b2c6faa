import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  autocompleteSlot,
  type DiscordCommandOption,
  discordCommands,
  interactionToText,
  quoteWord,
} from '../../../adapters/discord/discord-commands.ts';
import { parseCommand } from '../../../commands/parse-command.ts';
import { tokenize } from '../../../commands/tokenize.ts';
import { commandNames } from '../../../commands/usage.ts';

const string = (name: string, value: string): DiscordCommandOption => ({ name, type: 3, value });
const boolean = (name: string, value: boolean): DiscordCommandOption => ({ name, type: 5, value });

/** `data` of an APPLICATION_COMMAND interaction for `/backup <subcommand>`, as Discord sends it. */
const backup = (subcommand: string, options: DiscordCommandOption[] = []) => ({
  name: 'backup',
  options: [{ name: subcommand, type: 1, options }],
});

describe('interactionToText', () => {
  test.each([
    ['help', [], 'help'],
    ['help', [string('command', 'restore')], 'help restore'],
    ['list', [], 'list'],
    ['list', [string('trigger', 'on-demand'), string('target', 'shop/live')], 'list shop/live on-demand'],
    ['create', [], 'create'],
    ['create', [string('parts', 'db')], 'create db'],
    [
      'create',
      [string('note', 'before deploy'), string('target', 'shop/live'), string('parts', 'db')],
      'create db shop/live "before deploy"',
    ],
    ['create', [string('target', 'shop/live'), string('note', 'hotfix')], 'create shop/live hotfix'],
    ['create', [string('note', 'before deploy')], 'create "before deploy"'],
    // Without a target a one-word note could name an environment of a bound app; the space keeps it a note.
    ['create', [string('parts', 'media'), string('note', 'staging')], 'create media "staging "'],
    ['create', [string('target', 'shop/live'), string('note', 'say "hi"')], `create shop/live "say "'"'"hi"'"'`],
    ['show', [string('id', '7k3qx2')], 'show 7k3qx2'],
    ['restore', [string('id', '7k3qx2')], 'restore 7k3qx2'],
    [
      'restore',
      [boolean('safety_backup', false), string('to', 'shop/staging'), string('parts', 'db'), string('id', '7k3qx2')],
      'restore 7k3qx2 db to shop/staging --no-safety-backup',
    ],
    ['restore', [string('id', '7k3qx2'), boolean('safety_backup', true)], 'restore 7k3qx2'],
    ['download', [string('id', '7k3qx2')], 'download 7k3qx2'],
    [
      'download',
      [string('id', '7k3qx2'), string('parts', 'media'), string('email', 'ana@example.com')],
      'download 7k3qx2 media --email ana@example.com',
    ],
    ['verify', [string('id', '7k3qx2')], 'verify 7k3qx2'],
    ['pin', [string('id', '7k3qx2')], 'pin 7k3qx2'],
    ['unpin', [string('id', '7k3qx2')], 'unpin 7k3qx2'],
    ['prune', [], 'prune'],
    ['prune', [boolean('dry_run', true), string('target', 'shop/live')], 'prune shop/live --dry-run'],
    ['prune', [boolean('dry_run', false)], 'prune'],
    ['schedule', [], 'schedule'],
    ['schedule', [string('target', 'shop/live')], 'schedule shop/live'],
    ['status', [], 'status'],
    ['status', [boolean('all', true)], 'status --all'],
    ['status', [string('id', '7k3qx2'), boolean('all', false)], 'status 7k3qx2'],
    // After a target, a note the parser would take for a part, a target or a flag follows `--`.
    ['create', [string('target', 'shop/live'), string('note', 'db')], 'create shop/live -- db'],
    ['create', [string('target', 'shop/live'), string('note', '-x')], 'create shop/live -- -x'],
    ['cancel', [string('id', 'op42xyz')], 'cancel op42xyz'],
  ] as const)('%s %j -> %s', (subcommand, options, text) => {
    expect(interactionToText(backup(subcommand, [...options]))).toBe(text);
  });

  test('the texts parse to the commands the options describe', () => {
    const parsed = (subcommand: string, options: DiscordCommandOption[]) =>
      parseCommand(tokenize(interactionToText(backup(subcommand, options))), { boundAppEnvironments: ['staging'] });
    expect(parsed('create', [string('parts', 'media'), string('note', 'staging')])).toEqual({
      ok: true,
      command: { name: 'create', parts: 'media', note: 'staging' },
    });
    expect(parsed('create', [string('note', 'db')])).toEqual({
      ok: true,
      command: { name: 'create', note: 'db' },
    });
    expect(
      parsed('restore', [string('id', '7k3qx2'), string('to', 'staging'), boolean('safety_backup', false)]),
    ).toEqual({ ok: true, command: { name: 'restore', id: '7k3qx2', to: { env: 'staging' }, safetyBackup: false } });
    expect(parsed('create', [string('target', 'shop/live'), string('note', 'shop/staging')])).toEqual({
      ok: true,
      command: { name: 'create', target: { app: 'shop', env: 'live' }, note: 'shop/staging' },
    });
    expect(parsed('status', [string('id', '7k3qx2'), boolean('all', false)])).toEqual({
      ok: true,
      command: { name: 'status', id: '7k3qx2' },
    });
    expect(parsed('prune', [string('target', 'shop/live'), boolean('dry_run', true)])).toEqual({
      ok: true,
      command: { name: 'prune', target: { app: 'shop', env: 'live' }, dryRun: true },
    });
  });

  test('any note comes back from the parser as the person wrote it', () => {
    const noteChars = fc.constantFrom(...'ab /"\'“”‘’„\t-é*_'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: noteChars, minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== ''),
        fc.option(fc.constantFrom('shop/live', 'staging'), { nil: undefined }),
        (rawNote, target) => {
          const note = rawNote.trim(); // Discord trims string options
          const options = [string('note', note), ...(target ? [string('target', target)] : [])];
          const result = parseCommand(tokenize(interactionToText(backup('create', options))), {
            boundAppEnvironments: ['staging', 'live'],
          });
          expect(result).toMatchObject({ ok: true, command: { name: 'create', note } });
        },
      ),
    );
  });

  test('a value with spaces reaches the parser as one word, so its error names it', () => {
    const text = interactionToText(backup('show', [string('id', 'not an id')]));
    expect(text).toBe('show "not an id"');
    expect(parseCommand(tokenize(text))).toMatchObject({
      ok: false,
      message: "'not an id' is not a backup id (ids look like 7k3qx2)",
    });
  });

  test('an unknown subcommand is passed on for the parser to answer; options it does not know are left out', () => {
    expect(interactionToText(backup('restor'))).toBe('restor');
    expect(interactionToText(backup('status', [string('verbose', 'yes')]))).toBe('status');
    expect(interactionToText({ name: 'backup' })).toBe('');
  });
});

describe('quoteWord', () => {
  test.each([
    ['shop/live', 'shop/live'],
    ['two words', '"two words"'],
    ["it's", `"it's"`],
    ['"quoted"', `'"'"quoted"'"'`],
    ['', '""'],
  ])('%s -> %s', (value, quoted) => {
    expect(quoteWord(value)).toBe(quoted);
    expect(tokenize(quoted)).toEqual([value]);
  });
});

describe('discordCommands', () => {
  const [command] = discordCommands();

  test('one /backup command with one subcommand per /backup command, guild channels only', () => {
    expect(discordCommands()).toHaveLength(1);
    expect(command).toMatchObject({ name: 'backup', type: 1, contexts: [0] });
    expect(command!.options!.map((o) => o.name).sort()).toEqual([...commandNames].sort());
    expect(command!.options!.every((o) => o.type === 1)).toBe(true);
  });

  const optionsOf = (name: string) =>
    (command!.options!.find((o) => o.name === name) as { options?: Array<Record<string, unknown>> }).options ?? [];

  test('typed options: choices for parts and trigger, switches for flags, required ids first', () => {
    const parts = {
      name: 'parts',
      type: 3,
      required: false,
      choices: ['db', 'media', 'db+media'].map((c) => ({ name: c, value: c })),
    };
    expect(optionsOf('create')).toMatchObject([parts, { name: 'target', type: 3 }, { name: 'note', type: 3 }]);
    expect(optionsOf('restore')).toMatchObject([
      { name: 'id', type: 3, required: true },
      parts,
      { name: 'to', type: 3 },
      { name: 'safety_backup', type: 5 },
    ]);
    expect(optionsOf('prune')).toMatchObject([
      { name: 'target', type: 3 },
      { name: 'dry_run', type: 5 },
    ]);
    expect(optionsOf('download')).toMatchObject([{ name: 'id', required: true }, parts, { name: 'email', type: 3 }]);
    expect(optionsOf('list')).toMatchObject([
      { name: 'target' },
      {
        name: 'trigger',
        choices: [
          { name: 'scheduled', value: 'scheduled' },
          { name: 'on-demand', value: 'on-demand' },
        ],
      },
    ]);
    const help = optionsOf('help')[0] as { name: string; choices: Array<{ value: string }> };
    expect(help.name).toBe('command');
    expect(help.choices.map((c) => c.value)).toEqual(commandNames);
    for (const name of ['show', 'verify', 'pin', 'unpin', 'cancel']) {
      expect(optionsOf(name)).toMatchObject([{ name: 'id', type: 3, required: true }]);
    }
    expect(optionsOf('status')).toMatchObject([
      { name: 'id', type: 3, required: false },
      { name: 'all', type: 5 },
    ]);
  });

  test('descriptions fit Discord’s 100 characters', () => {
    const descriptions = [
      command!.description,
      ...command!.options!.flatMap((o) => [o.description, ...optionsOf(o.name).map((x) => x.description as string)]),
    ];
    for (const d of descriptions) expect(d.length).toBeLessThanOrEqual(100);
  });
});

describe('autocompleteSlot', () => {
  const focused = (name: string, value: string): DiscordCommandOption => ({ name, type: 3, value, focused: true });

  test.each([
    ['restore', [string('to', 'shop/live'), focused('id', '7k')], { kind: 'backup', command: 'restore' }, '7k'],
    ['restore', [string('id', '7k3qx2'), focused('to', 'shop/st')], { kind: 'target', command: 'restore' }, 'shop/st'],
    ['create', [string('parts', 'db'), focused('target', '')], { kind: 'target', command: 'create' }, ''],
    ['unpin', [focused('id', 'a')], { kind: 'backup', command: 'unpin' }, 'a'],
  ] as const)('/backup %s, %j -> %j', (subcommand, options, slot, typed) => {
    expect(autocompleteSlot(backup(subcommand, [...options]))).toEqual({ slot, typed });
  });

  test.each([
    ['an option without choices', backup('cancel', [focused('id', '')])],
    ['an option with fixed choices', backup('create', [focused('parts', 'd')])],
    ['an option this definition does not know', backup('restore', [focused('destination', '')])],
    ['a subcommand it does not know', backup('restor', [focused('id', '')])],
    ['nothing focused', backup('restore', [string('id', '7k')])],
  ])('none for %s', (_, data) => {
    expect(autocompleteSlot(data)).toBeUndefined();
  });
});
