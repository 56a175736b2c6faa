import { execFileSync } from 'node:child_process';
import { buffer } from 'node:stream/consumers';
import { pack as createPack } from 'tar-stream';
import { expect, test } from 'vitest';
import type { MediaTarEntry } from '../../src/sources/media-tar-writer.ts';
import { writeMediaTar } from '../../src/sources/media-tar-writer.ts';

const mtime = new Date('2026-11-30T12:34:56.789Z');
const names = [
  'a.txt',
  'uploads/2026/11/photo.jpg',
  `${'deep/'.repeat(30)}file.bin`, // over 100 bytes: split into ustar's prefix and name
  `${'x'.repeat(120)}.bin`, // over 100 bytes with no directory to split off: PAX
  `${'long-directory-name/'.repeat(10)}${'y'.repeat(90)}.png`, // prefix over 155: PAX
  'café/crème brûlée.jpg', // not ASCII: PAX
  'empty',
];
const contents = names.map((_, i) => Buffer.alloc(i === names.length - 1 ? 0 : 100 + i * 700, i + 1));
const big = Buffer.alloc(200_000, 7); // passed on as it is, not copied into a block

async function* entries(): AsyncGenerator<MediaTarEntry> {
  for (const [i, path] of names.entries()) {
    yield { kind: 'file', path, size: contents[i]!.length, mtime, content: contents[i]! };
  }
  yield { kind: 'skipped', path: 'link', reason: 'symlink' };
  yield { kind: 'file', path: 'big/chunked.bin', size: big.length, mtime, content: chunks(big) };
}

async function* chunks(data: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += 70_000) yield data.subarray(offset, offset + 70_000);
}

test('a media tar is byte for byte what tar-stream writes for the same entries, and GNU tar lists it', async () => {
  const ours = await buffer(writeMediaTar(entries()));
  // The manifest, the last entry, read back from our tar: tar-stream is given the same bytes for it.
  const manifestStart = ours.lastIndexOf(Buffer.from('{\n  "format"'));
  const manifest = ours.subarray(manifestStart, ours.indexOf(Buffer.from('\n}\n'), manifestStart) + 3);
  const pack = createPack();
  const header = (name: string, size: number, time: Date) =>
    ({ name, size, mtime: time, type: 'file', mode: 0o644, uid: 0, gid: 0 }) as const;
  for (const [i, name] of names.entries())
    pack.entry(header(`media/${name}`, contents[i]!.length, mtime), contents[i]!);
  pack.entry(header('media/big/chunked.bin', big.length, mtime), big);
  pack.entry(header('manifest.json', manifest.length, mtime), manifest);
  pack.finalize();
  const reference = await buffer(pack);
  expect(ours.length).toBe(reference.length);
  expect(ours.equals(reference)).toBe(true);

  const listed = execFileSync('tar', ['-tf', '-'], { input: ours, encoding: 'utf8' }).trim().split('\n');
  expect(listed).toEqual([...names.map((name) => `media/${name}`), 'media/big/chunked.bin', 'manifest.json']);
  expect(JSON.parse(manifest.toString()).skipped).toEqual([{ path: 'link', reason: 'symlink' }]);
});
