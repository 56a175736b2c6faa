import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backup } from '../../src/domain/backup.ts';
import { rebuildCatalog } from '../../src/engine/rebuild-catalog.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import { verifyBackup } from '../../src/engine/verify-backup.ts';
import type { Store } from '../../src/storage/store.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

const media = mkdtempSync(join(tmpdir(), 'backstop-metadata-'));
const site = target('site', 'live', { mediaDir: media });
let engine: TestEngine;
let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  mkdirSync(join(media, 'img'), { recursive: true });
  writeFileSync(join(media, 'img', 'a.png'), 'pixels');
  ({ store, cleanup } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [site] });
});
afterAll(async () => {
  await engine.close();
  await cleanup();
  rmSync(media, { recursive: true, force: true });
});

async function backup(note: string): Promise<Backup> {
  const queued = await queueBackup(engine.ctx, {
    app: 'site',
    env: 'live',
    trigger: 'on-demand',
    parts: 'media',
    note,
    requestedBy: 'test',
  });
  return runBackup(engine.ctx, queued.id);
}

const metadataKey = (b: Pick<Backup, 'id'>) => `site/live/${b.id}/backup.json`;
const readMetadata = async (b: Backup) => JSON.parse(await text(await store.read(metadataKey(b))));
const writeMetadata = (b: Pick<Backup, 'id'>, content: string) =>
  store.write(metadataKey(b), Readable.from([Buffer.from(content)]));

describe('verify reads the stored backup.json back', () => {
  test('an intact backup.json is signed and verifies', async () => {
    const intact = await backup('intact');
    const stored = await readMetadata(intact);
    expect(stored.signatures).toEqual([{ recipient: expect.stringMatching(/^age1/), hmacSha256: expect.any(String) }]);
    expect((await verifyBackup(engine.ctx, intact.id, {})).metadata).toEqual({ ok: true });
  });

  test('a wrong sha256 in backup.json fails verification', async () => {
    const b = await backup('wrong sha');
    const stored = await readMetadata(b);
    stored.objects[0].sha256 = '0'.repeat(64);
    await writeMetadata(b, JSON.stringify(stored));
    const verified = await verifyBackup(engine.ctx, b.id, {});
    expect(verified.metadata).toEqual({ ok: false, problem: expect.stringContaining('does not match the catalogue') });
    expect(verified.backup.verifyError).toMatch(/metadata: backup.json does not match/);
  });

  test('a backup.json that is not JSON fails verification', async () => {
    const b = await backup('not json');
    await writeMetadata(b, 'this is not { json');
    expect((await verifyBackup(engine.ctx, b.id, {})).metadata).toEqual({
      ok: false,
      problem: expect.stringContaining('cannot be read back'),
    });
  });

  test('a backup.json changed after it was written fails verification, even where the catalogue cannot tell', async () => {
    const b = await backup('the note as written');
    const stored = await readMetadata(b);
    stored.requestedBy = 'someone else';
    await writeMetadata(b, JSON.stringify(stored, null, 4));
    expect((await verifyBackup(engine.ctx, b.id, {})).metadata).toEqual({
      ok: false,
      problem: expect.stringContaining('changed after it was written'),
    });
  });
});

describe('catalog rebuild trusts only metadata its own keys signed', () => {
  test('a planted backup.json, written with only the public recipient, is refused unless trusted by hand', async () => {
    const real = await backup('real');
    // Whoever can write to the store and knows the recipient: copies a real backup under a new id, unsigned.
    const planted = { ...(await readMetadata(real)), id: 'zz9pla', note: 'planted' };
    delete planted.signatures;
    planted.objects = planted.objects.map((o: { key: string }) => ({ ...o, key: o.key.replace(real.id, 'zz9pla') }));
    for (const o of planted.objects as Array<{ key: string }>) {
      await store.write(o.key, await store.read(o.key.replace('zz9pla', real.id)));
    }
    await writeMetadata({ id: 'zz9pla' }, JSON.stringify(planted, null, 2));

    const fresh = await makeEngine({ store, targets: [site], identity: engine.identity });
    try {
      const report = await rebuildCatalog(fresh.ctx);
      expect(report.added).toContain(real.id);
      expect(report.added).not.toContain('zz9pla');
      expect(report.untrusted).toEqual(
        expect.arrayContaining([{ key: metadataKey({ id: 'zz9pla' }), reason: 'it carries no signature' }]),
      );
      const trusted = await rebuildCatalog(fresh.ctx, { trustUnsigned: true });
      expect(trusted.added).toContain('zz9pla');
    } finally {
      await fresh.close();
    }
  });

  test('an instance holding other keys imports none of them', async () => {
    const stranger = await makeEngine({ store, targets: [site] });
    try {
      const report = await rebuildCatalog(stranger.ctx);
      expect(report.added).toEqual([]);
      expect(report.untrusted.map((u) => u.reason)).toContain('it is signed by keys this instance does not hold');
    } finally {
      await stranger.close();
    }
  });
});
