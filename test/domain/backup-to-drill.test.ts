import { expect, test } from 'vitest';
import type { Backup } from '../../src/domain/backup.ts';
import { backupToDrill } from '../../src/domain/drill.ts';

/** Backups newest first, as the catalogue lists them; only their id, status and parts matter here. */
function backups(...rows: [id: string, status: Backup['status'], parts: string][]): Backup[] {
  return rows.map(([id, status, parts]) => ({ id, status, parts }) as Backup);
}

const both = { database: 'postgres://db/shop', media: { type: 'dir' as const, path: '/srv/media' } };

test("a target's drill proves its newest completed backup holding every part the target has", () => {
  const list = backups(['m1', 'completed', 'media'], ['f1', 'failed', 'db+media'], ['b1', 'completed', 'db+media']);
  expect(backupToDrill(list, both)?.id).toBe('b1');
});

test('without one holding every part: the newest with the database, else the newest completed', () => {
  expect(backupToDrill(backups(['m1', 'completed', 'media'], ['d1', 'completed', 'db']), both)?.id).toBe('d1');
  expect(backupToDrill(backups(['m1', 'completed', 'media'], ['m2', 'completed', 'media']), both)?.id).toBe('m1');
  expect(backupToDrill(backups(['r1', 'running', 'db+media']), both)).toBeUndefined();
});

test('a target with one part takes its newest completed backup of it', () => {
  const list = backups(['d2', 'completed', 'db'], ['d1', 'completed', 'db']);
  expect(backupToDrill(list, { database: 'postgres://db/shop' })?.id).toBe('d2');
  expect(backupToDrill(list, undefined)?.id).toBe('d2');
});
