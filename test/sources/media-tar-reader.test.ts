import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import { checkMediaTar } from '../../src/sources/media-tar-check.ts';
import { buildTar, file, hostileTars, manifest } from './media-hostile-tars.ts';
import { listing, readTree, tempDir, writeTree } from './media-tree.ts';

describe('media tar reader on hostile tars', () => {
  it.each(hostileTars)('rejects $name with $code and changes nothing', async ({ code, entries }) => {
    const tar = await buildTar(entries());
    // Two levels above the destination are watched too: "media/../../x" would land there from the staging directory.
    const root = await tempDir();
    const parent = join(root, 'up', 'parent');
    const destination = join(parent, 'media');
    writeTree(destination, { 'precious.txt': 'must survive' });
    const before = readTree(destination);
    let committed = false;

    const restore = new MediaDirSource({ path: destination }).restore(Readable.from([tar]), {
      beforeCommit: async () => {
        committed = true;
      },
    });

    await expect(restore).rejects.toMatchObject({ code, userMessage: expect.any(String) });
    expect(committed).toBe(false);
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
    expect(listing(join(root, 'up'))).toEqual(['parent']);
    expect(listing(root)).toEqual(['up']);
  });

  it('names the offending entry in the message for people', async () => {
    const tar = await buildTar([file('media/ok.txt', 'ok'), file('media/../../etc/cron.d/x', 'x')]);
    await expect(checkMediaTar(Readable.from([tar]))).rejects.toMatchObject({
      code: 'media-unsafe-entry',
      userMessage: expect.stringContaining('media/../../etc/cron.d/x'),
    });
  });

  it('rejects a tar cut off inside a file', async () => {
    const tar = await buildTar([file('media/big.bin', Buffer.alloc(100_000, 7)), manifest([])]);
    await expect(checkMediaTar(Readable.from([tar.subarray(0, 50_000)]))).rejects.toMatchObject({
      code: 'media-manifest-mismatch',
    });
  });

  it('accepts directory entries under media/, as a tar repacked with plain tar has them', async () => {
    const content = 'in a folder';
    const tar = await buildTar([
      { header: { name: 'media/', type: 'directory' } },
      { header: { name: 'media/folder/', type: 'directory' } },
      file('media/folder/x.txt', content),
      manifest([{ path: 'folder/x.txt', content }]),
    ]);
    await expect(checkMediaTar(Readable.from([tar]))).resolves.toBeUndefined();
  });

  it('rejects a directory entry outside media/', async () => {
    const tar = await buildTar([{ header: { name: '../up/', type: 'directory' } }, manifest([])]);
    await expect(checkMediaTar(Readable.from([tar]))).rejects.toMatchObject({ code: 'media-unsafe-entry' });
  });

  it('rejects a manifest that is not a backstop media manifest', async () => {
    const tar = await buildTar([file('manifest.json', JSON.stringify({ format: 'something/2', files: [] }))]);
    await expect(checkMediaTar(Readable.from([tar]))).rejects.toMatchObject({ code: 'media-manifest-mismatch' });
  });
});
