import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseAdminArgs } from '../../cli/admin-args.ts';
import { runBackstop } from '../support/cli.ts';

describe('parseAdminArgs', () => {
  const flags = {
    name: { type: 'string' },
    identity: { type: 'string', short: 'i', multiple: true },
    force: { type: 'boolean' },
  } as const;

  test('reads --flag value, --flag=value, short flags, repeated flags and words after --', () => {
    const parsed = parseAdminArgs(
      ['--name', 'ci', '-i', 'a.key', '-ib.key', '--identity=c.key', '--force', '--', '-file'],
      flags,
      { command: 'demo', positionals: 1 },
    );
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.string('name')).toBe('ci');
    expect(parsed.strings('identity')).toEqual(['a.key', 'b.key', 'c.key']);
    expect(parsed.flag('force')).toBe(true);
    expect(parsed.positionals).toEqual(['-file']);
    expect(parseAdminArgs(['--name=x=y'], flags, { command: 'demo' })).toMatchObject({ positionals: [] });
  });

  test.each([
    [['--nmae', 'ci'], "unexpected '--nmae': did you mean '--name'?"],
    [['--nmae=ci'], "unexpected '--nmae=ci': did you mean '--name'?"],
    [['--frobnicate'], "unexpected '--frobnicate': demo takes --name, --identity, --force"],
    [['--name'], '--name needs a value'],
    [['--name='], '--name needs a value'],
    [['--name', '--force'], '--name needs a value'],
    [['--force=yes'], '--force takes no value'],
    [['extra'], "unexpected 'extra'"],
    [['--jsn'], "unexpected '--jsn': did you mean '--json'?"],
  ])('%j is refused: %s', (args, problem) => {
    expect(parseAdminArgs(args, flags, { command: 'demo' })).toBe(problem);
  });
});

describe('the admin commands answer mistakes as the rest of the CLI', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-admin-args-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test.each([
    [['token', 'crate'], "unknown token subcommand 'crate': did you mean 'create'?", 'backstop token create'],
    [['token', 'create', '--name'], '--name needs a value', 'backstop token create'],
    [['token', 'create', '--name', 'ci', '--rol', 'viewer'], "did you mean '--role'?", 'backstop token create'],
    [['token', 'list', '--all'], "unexpected '--all': token list takes no flags", 'backstop token create'],
    [['audit', '--sinse', '3'], "unexpected '--sinse': audit takes --app, --limit", 'backstop audit'],
    [['audit', '--limit', 'ten'], '--limit ten: expected a whole number of entries, 1 or more', 'backstop audit'],
    [['audit', '--app'], '--app needs a value', 'backstop audit'],
    [['retention', 'simulat'], "did you mean 'simulate'?", 'backstop retention simulate'],
    [['retention', 'simulate', '--days=7', '--polcy', 'x'], "did you mean '--policy'?", 'backstop retention'],
    [['keygen', '-o'], '--output needs a value', 'backstop keygen'],
    [['keygen', 'extra.key'], "unexpected 'extra.key'", 'backstop keygen'],
    [['decrypt', 'a.age', '--identiy', 'k'], "unexpected '--identiy': did you mean '--identity'?", 'backstop decrypt'],
    [['decrypt', 'a.age', 'b.age'], "unexpected 'b.age'", 'backstop decrypt'],
    [['catalog', 'rebiuld'], "unknown catalog subcommand 'rebiuld': did you mean 'rebuild'?", 'backstop catalog'],
    [
      ['catalog', 'rebuild', '--trust'],
      "unexpected '--trust': catalog rebuild takes --trust-unsigned",
      'backstop catalog',
    ],
    [['discord', 'register', '--gild', '1'], "did you mean '--guild'?", 'backstop discord register'],
    [['keys', 'retier'], "unknown keys subcommand 'retier': did you mean 'retire'?", 'backstop keys retire'],
    [['web', 'logn'], "unknown web subcommand 'logn': did you mean 'login'?", 'backstop web login'],
  ])('%j: %s', async (args, problem, usageLine) => {
    const run = await runBackstop(args, { cwd });
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toContain(`backstop: `);
    expect(run.stderr).toContain(problem);
    expect(run.stderr).toContain(`Usage: ${usageLine}`);
    const json = await runBackstop(['--json', ...args], { cwd });
    expect(json.json()).toEqual({ error: { code: 'usage', message: expect.stringContaining(problem) } });
  });
});
