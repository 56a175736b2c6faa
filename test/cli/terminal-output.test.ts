import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runOnTerminal, runPiped } from '../support/terminal.ts';
import { readTable } from '../support/text-table.ts';

// The compiled `backstop` as a person runs it: on a pseudo-terminal (util-linux `script`) and into a pipe.
const colourCode = '\x1b[';

describe('terminal output', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-terminal-'));
  let backupId: string;
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  beforeAll(async () => {
    mkdirSync(join(cwd, 'media'));
    writeFileSync(join(cwd, 'media', 'a.txt'), 'hello');
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      'apps:\n  shop:\n    environments:\n' +
        '      live: { media: ./media, schedule: { cron: "0 3 * * *", timezone: Europe/Zurich, parts: media } }\n' +
        '      test: { media: ./media, schedule: off }\n',
    );
    const created = await runPiped(['create', 'media', 'shop/live', 'first one', '--json'], { cwd });
    expect(created.code).toBe(0);
    backupId = JSON.parse(created.stdout).id;
  });

  test('on a terminal the tables are in colour; into a pipe the same tables come without', async () => {
    const onTerminal = await runOnTerminal(['list'], { cwd });
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.output).toContain('\x1b[1mID\x1b[22m');
    expect(onTerminal.output).toContain('\x1b[32mcompleted\x1b[39m');
    const piped = await runPiped(['list'], { cwd });
    expect(piped.stdout).not.toContain(colourCode);
    expect(stripVTControlCharacters(onTerminal.output)).toBe(piped.stdout);
    expect(readTable(piped.stdout, 'ID')).toEqual([
      expect.objectContaining({ ID: backupId, TARGET: 'shop/live', STATUS: 'completed', NOTE: 'first one' }),
    ]);
  });

  test('NO_COLOR, --no-color and TERM=dumb turn colour off on a terminal; FORCE_COLOR turns it on in a pipe', async () => {
    for (const [args, env] of [
      [['list'], { NO_COLOR: '1' }],
      [['list', '--no-color'], {}],
      [['--no-color', 'status', '--all'], { FORCE_COLOR: '1' }],
      [['list'], { TERM: 'dumb' }],
      [['list'], { FORCE_COLOR: '0' }],
    ] as const) {
      const run = await runOnTerminal([...args], { cwd, env });
      expect([args, env, run.code]).toEqual([args, env, 0]);
      expect(run.output).toMatch(/completed|succeeded/);
      expect(run.output).not.toContain(colourCode);
    }
    // An empty NO_COLOR does not count (no-color.org).
    expect((await runOnTerminal(['list'], { cwd, env: { NO_COLOR: '' } })).output).toContain(colourCode);
    const forced = await runPiped(['list'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\x1b[32mcompleted\x1b[39m');
  });

  test('schedule, status, show and audit print no chat markup', async () => {
    const schedule = await runPiped(['schedule'], { cwd });
    expect(schedule.stdout).not.toMatch(/\*shop|`/);
    expect(readTable(schedule.stdout, 'TARGET')).toEqual([
      expect.objectContaining({ TARGET: 'shop/live', CRON: '0 3 * * *', 'TIME ZONE': 'Europe/Zurich' }),
      expect.objectContaining({ TARGET: 'shop/test', CRON: 'off' }),
    ]);
    for (const args of [['status', '--all'], ['show', backupId], ['audit'], ['help']]) {
      const run = await runOnTerminal(args, { cwd });
      expect([args, run.code]).toEqual([args, 0]);
      expect(stripVTControlCharacters(run.output)).not.toMatch(/\*\w|`/);
    }
  });

  test('times are relative within a day, and written in the reader’s time zone (TZ)', async () => {
    const zurich = await runPiped(['show', backupId], { cwd, env: { TZ: 'Europe/Zurich' } });
    const newYork = await runPiped(['show', backupId], { cwd, env: { TZ: 'America/New_York' } });
    const created = (text: string) =>
      /created: +(\d{4}-\d\d-\d\d) (\d\d):\d\d:\d\d (\S+) \((just now|\d+ min ago)\)/.exec(text);
    const [, , zurichHour, zurichZone] = created(zurich.stdout) ?? [];
    const [, , newYorkHour, newYorkZone] = created(newYork.stdout) ?? [];
    expect([zurichZone, newYorkZone]).toEqual([expect.stringMatching(/^CES?T$/), expect.stringMatching(/^GMT-[45]$/)]);
    expect((Number(zurichHour) - Number(newYorkHour) + 24) % 24).toBe(6);
    const list = readTable((await runPiped(['list'], { cwd })).stdout, 'ID');
    expect(list[0]!['CREATED']).toMatch(/^(just now|\d+ min ago)$/);
  });

  test('--json is the same document on a terminal as in a pipe, never in colour', async () => {
    const piped = await runPiped(['list', '--json'], { cwd });
    const onTerminal = await runOnTerminal(['list', '--json'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(onTerminal.output).not.toContain(colourCode);
    expect(JSON.parse(onTerminal.output)).toEqual(JSON.parse(piped.stdout));
  });
});
