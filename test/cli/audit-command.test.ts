import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { AuditLog } from '../../src/state/audit-log.ts';
import { migrateToLatest, openState } from '../../src/state/state.ts';
import { runBackstop } from '../support/cli.ts';
import { readTable } from '../support/text-table.ts';

const cwd = mkdtempSync(join(tmpdir(), 'backstop-audit-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

test('backstop audit lists who did what, newest first, filtered by app, as text and JSON', async () => {
  writeFileSync(join(cwd, 'backstop.yaml'), 'apps: { shop: { environments: { live: { media: ./m } } } }\n');
  const state = await openState({ databaseUrl: undefined, dataDir: join(cwd, '.backstop') });
  await migrateToLatest(state.db);
  const log = new AuditLog(state.db);
  await log.record(
    { principal: 'slack:UEVE', app: 'shop', action: 'create db live', outcome: 'refused', detail: 'needs operator' },
    new Date('2026-11-27T10:00:00Z'),
  );
  await log.record(
    { principal: 'slack:UBOB', app: 'shop', action: 'approve r1', outcome: 'ok', detail: null },
    new Date('2026-11-27T10:05:00Z'),
  );
  await log.record(
    { principal: 'discord:42', app: 'blog', action: 'list', outcome: 'ok', detail: null },
    new Date('2026-11-27T10:06:00Z'),
  );
  await state.close();

  // Times in the reader's zone (TZ), aligned columns.
  const text = await runBackstop(['audit', '--app', 'shop'], { cwd, env: { TZ: 'Europe/Zurich' } });
  expect(text.code).toBe(0);
  expect(text.stdout.split('\n').filter(Boolean)).toEqual([
    'WHEN              WHO         APP   OUTCOME  ACTION          DETAIL',
    '2026-11-27 11:05  slack:UBOB  shop  ok       approve r1',
    '2026-11-27 11:00  slack:UEVE  shop  refused  create db live  needs operator',
  ]);
  const json = await runBackstop(['audit', '--json', '--limit', '1'], { cwd });
  expect(json.json()).toEqual([
    expect.objectContaining({ principal: 'discord:42', app: 'blog', at: '2026-11-27T10:06:00.000Z' }),
  ]);
  // blog is no longer configured: its history still reads; an app never seen is a typo and says so.
  const removed = await runBackstop(['audit', '--app', 'blog'], { cwd });
  expect([removed.code, readTable(removed.stdout, 'WHEN')]).toEqual([
    0,
    [expect.objectContaining({ WHO: 'discord:42', APP: 'blog', OUTCOME: 'ok', ACTION: 'list' })],
  ]);
  const typo = await runBackstop(['audit', '--app', 'shpo'], { cwd });
  expect([typo.code, typo.stderr]).toEqual([2, expect.stringContaining('Unknown app shpo. Did you mean shop?')]);
  const wrong = await runBackstop(['audit', '--ap', 'shop'], { cwd });
  expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining('Usage: backstop audit')]);
});
