import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';

const newBackup = (id: string) => ({
  id,
  app: 'shop',
  env: 'live',
  trigger: 'on-demand' as const,
  status: 'queued' as const,
  parts: 'db',
  note: null,
  requested_by: null,
  created_at: new Date('2026-11-27T10:00:00Z'),
  started_at: null,
  completed_at: null,
  error: null,
  tool_version: 'test',
  verified_at: null,
  verify_error: null,
});

const dialects: Array<[string, () => Promise<{ state: State; cleanup: () => Promise<void> }>]> = [
  [
    'embedded PGlite',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'backstop-state-'));
      const state = await openState({ databaseUrl: undefined, dataDir });
      return { state, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const database = await createDatabase('state');
      const state = await openState({ databaseUrl: database.url, dataDir: '/nonexistent' });
      return { state, cleanup: () => dropDatabase(database.name) };
    },
  ],
];

describe.each(dialects)('state on %s', (_name, open) => {
  let state: State;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ state, cleanup } = await open());
  });
  afterAll(async () => {
    await state.close();
    await cleanup();
  });

  test('migrations apply once and then report nothing new', async () => {
    expect(await migrateToLatest(state.db)).toEqual([
      '0001-backups-and-restores',
      '0002-operations-schedules-events',
      '0003-downloads-deliveries-tokens',
      '0004-audit-and-approvals',
      '0005-cancelled-status',
      '0006-fleet-settings',
    ]);
    expect(await migrateToLatest(state.db)).toEqual([]);
  });

  test('rows round-trip with timestamps and defaults', async () => {
    await state.db.insertInto('backups').values(newBackup('aaaaaa')).execute();
    const row = await state.db.selectFrom('backups').selectAll().where('id', '=', 'aaaaaa').executeTakeFirstOrThrow();
    expect(row.created_at.toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(row.pinned).toBe(false);
  });

  test('updates report the rows they changed', async () => {
    const result = await state.db
      .updateTable('backups')
      .set({ status: 'running' })
      .where('id', '=', 'aaaaaa')
      .executeTakeFirst();
    expect(Number(result.numUpdatedRows)).toBe(1);
  });

  test('a rolled-back transaction does not undo or absorb a concurrent committed one', async () => {
    const failing = state.db.transaction().execute(async (trx) => {
      await trx.insertInto('backups').values(newBackup('rolled')).execute();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('roll back');
    });
    const succeeding = state.db.transaction().execute(async (trx) => {
      await trx.insertInto('backups').values(newBackup('commit')).execute();
    });
    await expect(failing).rejects.toThrow('roll back');
    await succeeding;
    const ids = await state.db.selectFrom('backups').select('id').where('id', 'in', ['rolled', 'commit']).execute();
    expect(ids.map((r) => r.id)).toEqual(['commit']);
  });
});

test('a second opening of the same embedded state is refused with the holder named', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-state-'));
  const first = await openState({ databaseUrl: undefined, dataDir });
  await expect(openState({ databaseUrl: undefined, dataDir })).rejects.toMatchObject({
    code: 'state-locked',
    message: expect.stringContaining(`process ${process.pid}`),
  });
  await first.close();
  const again = await openState({ databaseUrl: undefined, dataDir });
  await again.close();
  await rm(dataDir, { recursive: true, force: true });
});
