import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  MEDIA_FORMAT,
  type MediaManifest,
  type MediaManifestFile,
  type MediaSkippedFile,
  parseMediaManifest,
} from '../../src/sources/media-manifest.ts';
import { MediaManifestSpool } from '../../src/sources/media-manifest-spool.ts';

/** The manifest format written out whole: the spool must give exactly these bytes. */
function serializeMediaManifest(manifest: MediaManifest): string {
  const list = (items: unknown[]) =>
    items.length === 0 ? '[]' : `[\n    ${items.map((item) => JSON.stringify(item)).join(',\n    ')}\n  ]`;
  return [
    '{',
    `  "format": ${JSON.stringify(manifest.format)},`,
    `  "files": ${list(manifest.files)},`,
    `  "skipped": ${list(manifest.skipped)},`,
    `  "totals": ${JSON.stringify(manifest.totals)}`,
    '}\n',
  ].join('\n');
}

let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'backstop-spool-test-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

async function spooled(files: MediaManifestFile[], skipped: MediaSkippedFile[]) {
  const spool = new MediaManifestSpool(tempDir);
  for (const file of files) await spool.addFile(file);
  for (const entry of skipped) await spool.addSkipped(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of spool.content()) chunks.push(Buffer.from(chunk)); // a copy: the spool reuses its buffer for the next piece
  const size = spool.size;
  await spool.discard();
  return { text: Buffer.concat(chunks), size };
}

const file = fc.record({
  path: fc.string({ minLength: 1, maxLength: 40 }),
  size: fc.nat(),
  sha256: fc.constant('a'.repeat(64)),
  mtime: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
});
const skip = fc.record({ path: fc.string({ minLength: 1 }), reason: fc.string() });

test('the spooled manifest is byte for byte the serialised one, and its size is its length', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(file, { maxLength: 30 }), fc.array(skip, { maxLength: 5 }), async (files, skipped) => {
      const expected = serializeMediaManifest({
        format: MEDIA_FORMAT,
        files,
        skipped,
        totals: { files: files.length, bytes: files.reduce((sum, f) => sum + f.size, 0), skipped: skipped.length },
      });
      const { text, size } = await spooled(files, skipped);
      expect(text.toString('utf8')).toBe(expected);
      expect(size).toBe(text.length);
    }),
    { numRuns: 60 },
  );
});

test('a manifest larger than one write is read back whole and parses; its temporary files are removed', async () => {
  const files = Array.from({ length: 20_000 }, (_, i) => ({
    path: `uploads/${String(i).padStart(6, '0')}/photo é.jpg`,
    size: i,
    sha256: i.toString(16).padStart(64, '0'),
    mtime: new Date(1_700_000_000_000 + i).toISOString(),
  }));
  const { text, size } = await spooled(files, [{ path: 'link', reason: 'symlink' }]);
  expect(size).toBe(text.length);
  expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
  const parsed = parseMediaManifest(text.toString('utf8'));
  expect(parsed.files).toEqual(files);
  expect(parsed.skipped).toEqual([{ path: 'link', reason: 'symlink' }]);
  expect(await readdir(tempDir)).toEqual([]);
});
