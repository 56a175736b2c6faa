import { describe, expect, test } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import type { Backup } from '../../src/domain/backup.ts';
import { readBackupMetadata, signedMetadataText } from '../../src/engine/backup-metadata.ts';

const completed: Backup = {
  id: 'cv1234',
  app: 'shop',
  env: 'live',
  trigger: 'on-demand',
  status: 'completed',
  parts: 'db',
  note: null,
  requestedBy: 'cli:ana',
  createdAt: new Date('2026-12-01T10:00:00Z'),
  startedAt: new Date('2026-12-01T10:00:01Z'),
  completedAt: new Date('2026-12-01T10:01:00Z'),
  error: null,
  pinned: false,
  toolVersion: '0.1.0',
  codeVersion: 'v2026.12.1',
  verifiedAt: null,
  verifyError: null,
  provenAt: null,
  proofSeconds: null,
  proofError: null,
  slot: null,
  storedParts: [
    {
      kind: 'db',
      key: 'shop/live/cv1234/db.dump.age',
      sizeBytes: 10,
      sha256: 'a'.repeat(64),
      storedSizeBytes: 20,
      storedSha256: 'b'.repeat(64),
      tablesWithoutRows: ['public.django_session'],
      tableRows: { 'public.django_session': 0, 'public.orders': 42 },
    },
  ],
};

describe('backup.json', () => {
  test('keeps the code version and the tables kept without rows, signed, for a catalogue rebuild', () => {
    const { identity } = generateIdentity();
    const text = signedMetadataText(completed, completed.completedAt!, [identity]);
    const written = JSON.parse(text);
    expect(written.codeVersion).toBe('v2026.12.1');
    expect(written.objects[0].tablesWithoutRows).toEqual(['public.django_session']);
    expect(written.objects[0].tableRows).toEqual({ 'public.django_session': 0, 'public.orders': 42 });
    const { backup, trust } = readBackupMetadata(text, 'backup.json', [identity]);
    expect(trust).toBe('valid');
    expect(backup).toEqual(completed);
  });

  test('a backup without either writes neither, and reads back as having none', () => {
    const { tablesWithoutRows: _left, tableRows: _counted, ...part } = completed.storedParts[0]!;
    const plain: Backup = { ...completed, codeVersion: null, storedParts: [part] };
    const text = signedMetadataText(plain, plain.completedAt!, []);
    expect(text).not.toContain('codeVersion');
    expect(text).not.toContain('tablesWithoutRows');
    expect(text).not.toContain('tableRows');
    expect(readBackupMetadata(text, 'backup.json', []).backup).toEqual(plain);
  });
});
