import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseCommand } from '../../commands/parse-command.ts';
import { tokenize } from '../../commands/tokenize.ts';

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
    ['show 7k3qx2', { name: 'show', id: '7k3qx2' }],
    ['pin 7k3qx2', { name: 'pin', id: '7k3qx2' }],
    ['unpin 7k3qx2', { name: 'unpin', id: '7k3qx2' }],
    ['prune', { name: 'prune', dryRun: false }],
    ['prune shop/live --dry-run', { name: 'prune', target: { app: 'shop', env: 'live' }, dryRun: true }],
    ['verify 7K3QX2', { name: 'verify', id: '7k3qx2' }],
    ['restore 7k3qx2', { name: 'restore', id: '7k3qx2', safetyBackup: true }],
    [
      'restore 7k3qx2 db to shop/staging --no-safety-backup',
      { name: 'restore', id: '7k3qx2', parts: 'db', to: { app: 'shop', env: 'staging' }, safetyBackup: false },
    ],
    ['status', { name: 'status' }],
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
    ['restore 7k3qx2 to staging', "'staging' is not a target: write app/env, e.g. shop/staging", expect.any(String)],
    [
      'restore 7k3qx2 --no-safty-backup',
      "unexpected '--no-safty-backup': did you mean '--no-safety-backup'?",
      expect.any(String),
    ],
    ['list shop/live shop/staging', "unexpected 'shop/staging'", expect.any(String)],
    ['prune --dryrun', "'--dryrun' is not a target: write app/env, e.g. shop/live", 'prune [<app/env>] [--dry-run]'],
    ['prune shop/live --dryrun', "unexpected '--dryrun': did you mean '--dry-run'?", 'prune [<app/env>] [--dry-run]'],
    ['cancel', 'cancel needs an operation id (see status)', 'cancel <operation-id>'],
    ['status now', "unexpected 'now'", 'status'],
    ['download 7k3qx2 --email', '--email needs an address, e.g. --email ana@example.com', expect.any(String)],
    ['download 7k3qx2 --emial a@b.c', "unexpected '--emial': did you mean '--email'?", expect.any(String)],
    ['shedule', "unknown command 'shedule': did you mean 'schedule'?", undefined],
  ])('%j is a usage error', (text, message, usageLine) => {
    const result = parseCommand(tokenize(text));
    expect(result).toMatchObject({ ok: false, message, usage: usageLine });
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
