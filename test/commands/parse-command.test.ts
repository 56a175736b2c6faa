import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseCommand } from '../../commands/parse-command.ts';
import { tokenize } from '../../commands/tokenize.ts';
import { commandNames, usage } from '../../commands/usage.ts';

describe('parseCommand', () => {
  test.each([
    ['', { name: 'help' }],
    ['help restore', { name: 'help', topic: 'restore' }],
    ['list', { name: 'list' }],
    ['list shop/live scheduled', { name: 'list', target: { app: 'shop', env: 'live' }, trigger: 'scheduled' }],
    ['create', { name: 'create' }],
    ['create db shop/live', { name: 'create', parts: 'db', target: { app: 'shop', env: 'live' } }],
    [
      'create db+media shop/live "before deploy"',
      { name: 'create', parts: 'db+media', target: { app: 'shop', env: 'live' }, note: 'before deploy' },
    ],
    [
      'create media shop/live before the big deploy',
      {
        name: 'create',
        parts: 'media',
        target: { app: 'shop', env: 'live' },
        note: 'before the big deploy',
      },
    ],
    ['create “smart quotes note”', { name: 'create', note: 'smart quotes note' }],
    // `--` ends flags: what follows is the note, whatever it looks like.
    [
      'create blog/live -- --not-a-flag',
      { name: 'create', target: { app: 'blog', env: 'live' }, note: '--not-a-flag' },
    ],
    ['create -- db', { name: 'create', note: 'db' }],
    // A note that only resembles a part, among other words, stays a note.
    ['create blog/live medium risk', { name: 'create', target: { app: 'blog', env: 'live' }, note: 'medium risk' }],
    ['create blog/live -- dbb', { name: 'create', target: { app: 'blog', env: 'live' }, note: 'dbb' }],
    [
      'create media shop/live before -- -- after',
      { name: 'create', parts: 'media', target: { app: 'shop', env: 'live' }, note: 'before -- after' },
    ],
    [
      'create shop/live "db migration" - -5',
      { name: 'create', target: { app: 'shop', env: 'live' }, note: 'db migration - -5' },
    ],
    ['show 7k3qx2', { name: 'show', id: '7k3qx2' }],
    ['pin 7k3qx2', { name: 'pin', id: '7k3qx2' }],
    ['unpin 7k3qx2', { name: 'unpin', id: '7k3qx2' }],
    ['prune', { name: 'prune', dryRun: false }],
    ['prune shop/live --dry-run', { name: 'prune', target: { app: 'shop', env: 'live' }, dryRun: true }],
    ['verify 7K3QX2', { name: 'verify', id: '7k3qx2' }],
    ['drill 7K3QX2', { name: 'drill', id: '7k3qx2' }],
    ['drill shop/live', { name: 'drill', target: { app: 'shop', env: 'live' } }],
    ['drill', { name: 'drill' }],
    ['restore 7k3qx2', { name: 'restore', id: '7k3qx2', safetyBackup: true }],
    [
      'restore 7k3qx2 db to shop/staging --no-safety-backup',
      { name: 'restore', id: '7k3qx2', parts: 'db', to: { app: 'shop', env: 'staging' }, safetyBackup: false },
    ],
    ['status', { name: 'status' }],
    ['status --all', { name: 'status', all: true }],
    ['status 7K3QX2', { name: 'status', id: '7k3qx2' }],
    ['show -- 7k3qx2', { name: 'show', id: '7k3qx2' }],
    ['download 7k3qx2 --email=ana@example.com', { name: 'download', id: '7k3qx2', email: 'ana@example.com' }],
    ['download 7k3qx2', { name: 'download', id: '7k3qx2' }],
    [
      'download 7k3qx2 db --email ana@example.com',
      { name: 'download', id: '7k3qx2', parts: 'db', email: 'ana@example.com' },
    ],
    ['cancel 4tq9zz', { name: 'cancel', id: '4tq9zz' }],
    ['schedule', { name: 'schedule' }],
    ['schedule shop/live', { name: 'schedule', target: { app: 'shop', env: 'live' } }],
  ])('%j', (text, expected) => {
    expect(parseCommand(tokenize(text))).toEqual({ ok: true, command: expected });
  });

  test.each([
    ['restor 7k3qx2', "unknown command 'restor': did you mean 'restore'?", undefined],
    ['lsit', "unknown command 'lsit': did you mean 'list'?", undefined],
    ['frobnicate', "unknown command 'frobnicate'", undefined],
    ['show', 'show needs a backup id (see list)', 'show <id>'],
    ['show not-an-id!', "'not-an-id!' is not a backup id (ids look like 7k3qx2)", 'show <id>'],
    ['restore 7k3qx2 to', "'to' needs a destination, e.g. to shop/staging", expect.stringContaining('restore <id>')],
    [
      'restore 7k3qx2 to staging',
      "'staging' is not a target: write app/env, e.g. shop/staging, or staging/live if staging is the app",
      expect.any(String),
    ],
    ['create db+meda shop/live', "unknown parts 'db+meda': did you mean 'db+media'?", expect.any(String)],
    [
      'restore 7k3qx2 --no-safty-backup',
      "unexpected '--no-safty-backup': did you mean '--no-safety-backup'?",
      expect.any(String),
    ],
    ['list shop/live shop/staging', "unexpected 'shop/staging'", expect.any(String)],
    ['prune --dryrun', "unexpected '--dryrun': did you mean '--dry-run'?", 'prune [<app/env>] [--dry-run]'],
    ['prune shop/live --dryrun', "unexpected '--dryrun': did you mean '--dry-run'?", 'prune [<app/env>] [--dry-run]'],
    ['cancel', 'cancel needs an operation id (see status)', 'cancel <operation-id>'],
    ['status now', "'now' is not an id (ids look like 7k3qx2)", 'status [<id>] [--all]'],
    ['status 7k3qx2 4tq9zz', "unexpected '4tq9zz'", 'status [<id>] [--all]'],
    ['status 7k3qx2 --all', 'status takes an id or --all, not both', 'status [<id>] [--all]'],
    ['list --jsn', "unexpected '--jsn': list takes no flags", 'list [<app/env>] [scheduled|on-demand]'],
    [
      'restore 7k3qx2 --no-safety-backup=yes',
      expect.stringContaining("unexpected '--no-safety-backup=yes'"),
      expect.any(String),
    ],
    // In chat there is no --json: it is refused like any unknown flag, with the command's usage.
    ['show 7k3qx2 --json', "unexpected '--json': show takes no flags", 'show <id>'],
    [
      'create db+media blog/live --jsn',
      "unexpected '--jsn': create takes no flags (a note that starts with a dash goes after --: create ... -- --jsn)",
      'create [db|media|db+media] [<app/env>] [note...]',
    ],
    // A part or a target where the note stands is refused with the command as meant.
    [
      'create blog/live db',
      "'db' names parts, which come right after create: write: create db blog/live (or, if it belongs to the note, put the note after --: create blog/live -- db)",
      'create [db|media|db+media] [<app/env>] [note...]',
    ],
    // A mistyped part is said as the part meant, not turned into a note.
    [
      'create dbb blog/live',
      "unknown parts 'dbb': did you mean 'db'? write: create db blog/live (or, if it belongs to the note, put the note after --: create blog/live -- dbb)",
      'create [db|media|db+media] [<app/env>] [note...]',
    ],
    [
      'create blog/live meda',
      "unknown parts 'meda': did you mean 'media'? write: create media blog/live (or, if it belongs to the note, put the note after --: create blog/live -- meda)",
      expect.any(String),
    ],
    [
      'create hello blog/live',
      "'blog/live' is a target, which goes before the note: write: create blog/live hello (or, if it belongs to the note, put the note after --: create -- hello blog/live)",
      expect.any(String),
    ],
    [
      'create db blog/live media "the big one"',
      expect.stringContaining('write: create db+media blog/live "the big one" ('),
      expect.any(String),
    ],
    [
      'create media before deploy db',
      expect.stringContaining('write: create db+media before deploy ('),
      expect.any(String),
    ],
    ['create db blog/live shop/live', expect.stringContaining("'shop/live' is a second target"), expect.any(String)],
    ['create db blog/live db -- db', expect.stringContaining('write: create db blog/live -- db ('), expect.any(String)],
    ['download 7k3qx2 --email', '--email needs an address, e.g. --email ana@example.com', expect.any(String)],
    ['download 7k3qx2 --emial a@b.c', "unexpected '--emial': did you mean '--email'?", expect.any(String)],
    ['shedule', "unknown command 'shedule': did you mean 'schedule'?", undefined],
    ['drill 7k3qx2 shop/live', "unexpected 'shop/live'", 'drill <id|app/env>'],
    ['drill sh@p', "'sh@p' is not a backup id or a target app/env (ids look like 7k3qx2)", 'drill <id|app/env>'],
    ['dril 7k3qx2', "unknown command 'dril': did you mean 'drill'?", undefined],
  ])('%j is a usage error', (text, message, usageLine) => {
    const result = parseCommand(tokenize(text));
    expect(result).toMatchObject({ ok: false, message, usage: usageLine });
  });

  test('every command refuses a flag it does not take, with its usage line', () => {
    const args: Record<string, string[]> = { show: ['7k3qx2'], verify: ['7k3qx2'], pin: ['7k3qx2'], unpin: ['7k3qx2'] };
    for (const name of commandNames) {
      const words = [
        name,
        ...(args[name] ?? (['restore', 'download', 'cancel'].includes(name) ? ['7k3qx2'] : [])),
        '--frobnicate',
      ];
      expect([words, parseCommand(words)]).toEqual([
        words,
        { ok: false, message: expect.stringMatching(/^unexpected '--frobnicate': /), usage: usage[name].line },
      ]);
    }
  });

  test('on the CLI a mistyped option of the backstop command is suggested', () => {
    const surfaceFlags = ['--json', '--wait', '--yes', '--verbose', '--help', '--config'];
    expect(parseCommand(['create', 'db+media', 'blog/live', '--jsn'], { surfaceFlags })).toEqual({
      ok: false,
      message: "unexpected '--jsn': did you mean '--json'?",
      usage: 'create [db|media|db+media] [<app/env>] [note...]',
    });
    expect(parseCommand(['restore', '7k3qx2', '--yse'], { surfaceFlags })).toMatchObject({
      message: "unexpected '--yse': did you mean '--yes'?",
    });
    // Its own flags come first: --dry-run for prune.
    expect(parseCommand(['prune', '--dryrun'], { surfaceFlags })).toMatchObject({
      message: "unexpected '--dryrun': did you mean '--dry-run'?",
    });
  });

  test('a channel bound to an app lets a bare environment name the target', () => {
    const context = { boundAppEnvironments: ['live', 'staging'] };
    expect(parseCommand(tokenize('create db staging hello'), context)).toEqual({
      ok: true,
      command: { name: 'create', parts: 'db', target: { env: 'staging' }, note: 'hello' },
    });
    expect(parseCommand(tokenize('restore 7k3qx2 to staging'), context)).toMatchObject({
      ok: true,
      command: { to: { env: 'staging' } },
    });
  });

  test('any input yields a command or a usage error, never an exception', () => {
    const word = fc.oneof(
      fc.constantFrom(
        'create',
        'restore',
        'list',
        'show',
        'verify',
        'help',
        'to',
        'db',
        'media',
        'db+media',
        '--no-safety-backup',
        'shop/live',
        '7k3qx2',
        '"',
        '/',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (words) => {
        const result = parseCommand(tokenize(words.join(' ')));
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tokenize', () => {
  test.each([
    ['create db "a b"  c', ['create', 'db', 'a b', 'c']],
    ["note 'it''s'", ['note', 'its']],
    ['„Zürich“ x', ['Zürich', 'x']],
    ['""', ['']],
    ['  ', []],
    ['unclosed "quote here', ['unclosed', 'quote here']],
  ])('%j', (text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });
});
