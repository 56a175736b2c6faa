import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { retentionCommand, retentionUsage } from '../../cli/retention-command.ts';

const now = new Date('2026-11-26T02:00:00Z');

function run(args: string[], json = false, columns?: number) {
  const text = { stdout: '', stderr: '' };
  const stream = (name: keyof typeof text) =>
    new Writable({
      write(chunk, _encoding, callback) {
        text[name] += String(chunk);
        callback();
      },
    });
  const stdout = Object.assign(stream('stdout'), columns === undefined ? {} : { columns });
  const code = retentionCommand(args, { stdout, stderr: stream('stderr') }, json, now);
  return { code, ...text };
}

describe('backstop retention simulate', () => {
  test('--json prints the kept backups with time, tier and reason, and the number deleted', () => {
    const result = run(['simulate', '--days', '400'], true);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const document = JSON.parse(result.stdout);
    expect(Object.keys(document)).toEqual(['kept', 'deleted']);
    expect(document.deleted).toBe(377);
    expect(document.kept).toHaveLength(23);
    expect(document.kept.at(-1)).toEqual({ at: '2026-11-26T02:00:00.000Z', tier: 'daily', reason: 'daily 2026-11-26' });
    expect(document.kept[0]).toEqual({ at: '2025-11-03T02:00:00.000Z', tier: 'monthly', reason: 'monthly 2025-11' });
    for (const backup of document.kept) {
      expect(Object.keys(backup)).toEqual(['at', 'tier', 'reason']);
      expect(['daily', 'weekly', 'monthly']).toContain(backup.tier);
    }
  });

  test('--every, --policy and --timezone shape the simulation', () => {
    const result = run(
      ['simulate', '--days=30', '--every', '12h', '--policy', 'daily=3,weekly=2,monthly=1', '--timezone', 'Asia/Tokyo'],
      true,
    );
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.kept.map((backup: { tier: string }) => backup.tier)).toEqual([
      'monthly',
      'weekly',
      'weekly',
      'daily',
      'daily',
      'daily',
    ]);
    expect(document.kept.length + document.deleted).toBe(60);
    // 02:00 UTC is 11:00 in Tokyo and 14:00 UTC is 23:00 there: both on the same Tokyo day, the later one is its daily.
    expect(document.kept.at(-2)).toEqual({ at: '2026-11-25T14:00:00.000Z', tier: 'daily', reason: 'daily 2026-11-25' });
  });

  test('without --json it draws the timeline, one row per tier, and lists what is kept', () => {
    const result = run(['simulate', '--days', '400', '--timezone', 'Europe/Zurich'], false, 90);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Kept backups, 2025-11-03 to 2026-11-26 (Europe/Zurich)');
    for (const tier of ['daily', 'weekly', 'monthly'])
      expect(lines.some((line) => line.startsWith(`${tier} `))).toBe(true);
    expect(result.stdout).toContain('7 daily, 4 weekly, 12 monthly kept (23), 377 deleted');
    expect(result.stdout).toContain('2026-11-26T02:00:00.000Z  daily 2026-11-26\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(90);
  });

  test.each([
    [[], 'retention takes one subcommand: simulate'],
    [['prune'], "unknown retention subcommand 'prune': use simulate"],
    [['simulat'], "unknown retention subcommand 'simulat': did you mean 'simulate'?"],
    [['simulate'], 'simulate needs --days <n>'],
    [['simulate', '--days'], '--days needs a value'],
    [['simulate', '--days', '0'], '--days 0: expected a whole number of days, 1 or more'],
    [['simulate', '--days', 'ten'], '--days ten: expected a whole number of days'],
    [['simulate', '--days', '10', '--every', 'daily'], '--every daily: expected an interval such as 1d, 12h or 30m'],
    [['simulate', '--days', '10', '--every', '0h'], '--every 0h: expected an interval'],
    [['simulate', '--days', '400', '--every', '1m'], 'is more than 100000 backups'],
    [['simulate', '--days', '10', '--policy', 'daily=7'], 'bad retention policy: missing weekly=<n>, monthly=<n>'],
    [['simulate', '--days', '10', '--timezone', 'Europe/Zurch'], "unknown time zone 'Europe/Zurch'"],
    [['simulate', '--days', '10', '--weeks', '3'], "unexpected '--weeks'"],
  ])('%j is a usage error: %s', (args, problem) => {
    const result = run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain(`Usage: ${retentionUsage}\n`);
  });
});
