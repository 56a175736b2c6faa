import { expect, test } from 'vitest';
import type { Backup } from '../../src/domain/backup.ts';
import { partsInWords, safetyCoverage } from '../../src/use-cases/safety-coverage.ts';

const catalogWith = (backups: Record<string, Pick<Backup, 'parts'>>) => ({
  findBackup: async (id: string) => backups[id] as Backup | undefined,
});

test('a safety backup of every restored part undoes the whole restore', async () => {
  const coverage = await safetyCoverage(catalogWith({ s1: { parts: 'db+media' } }), {
    parts: 'db+media',
    safetyBackupId: 's1',
  });
  expect(coverage).toEqual({ safetyBackupId: 's1', kept: ['db', 'media'], createdByRestore: [] });
});

test('a part the destination did not have is not in the safety backup: undoing leaves it as restored', async () => {
  const coverage = await safetyCoverage(catalogWith({ s2: { parts: 'media' } }), {
    parts: 'db+media',
    safetyBackupId: 's2',
  });
  expect(coverage).toEqual({ safetyBackupId: 's2', kept: ['media'], createdByRestore: ['db'] });
  expect([partsInWords(coverage!.kept), partsInWords(coverage!.createdByRestore)]).toEqual([
    'the media',
    'the database',
  ]);
});

test('no safety backup, nothing to say; a safety backup pruned since is taken to have held what was restored', async () => {
  expect(await safetyCoverage(catalogWith({}), { parts: 'db', safetyBackupId: null })).toBeUndefined();
  expect(await safetyCoverage(catalogWith({}), { parts: 'db', safetyBackupId: 'gone' })).toEqual({
    safetyBackupId: 'gone',
    kept: ['db'],
    createdByRestore: [],
  });
  expect(partsInWords(['db', 'media'])).toBe('the database and the media');
});
