import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MediaFs } from '../../src/sources/media-dir-reader.ts';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import { buildTar, file, manifest } from './media-hostile-tars.ts';
import { collect, listing, readTree, type TreeSpec, tarEntries, tempDir, writeTree } from './media-tree.ts';
import { describeSourceContract, type SourceDestination } from './source-contract.ts';

const commit = { beforeCommit: async () => {} };

describeSourceContract('MediaDirSource', async () => {
  const parent = await tempDir('contract');
  const path = join(parent, 'media');
  writeTree(path, {
    'photos/harbour.jpg': randomBytes(200 * 1024),
    'docs/readme.txt': 'the known content',
    'empty.txt': '',
    'nested/deep/data.bin': randomBytes(3000),
  });
  const at = (directory: string): SourceDestination => ({
    source: new MediaDirSource({ path: directory }),
    read: async () => readTree(directory),
  });
  let copies = 0;
  return {
    ...at(path),
    async putOther() {
      writeTree(path, { 'docs/readme.txt': 'another version', 'extra/old.txt': 'not in the backup' });
    },
    async another() {
      copies += 1;
      return at(join(parent, `copy-${copies}`));
    },
    unreadable: () => new MediaDirSource({ path: join(parent, 'missing') }),
    absent: () => new MediaDirSource({ path: join(parent, 'never-created') }),
    named: path,
    secrets: [],
    async cleanup() {
      await rm(parent, { recursive: true, force: true });
    },
  };
});

/** Every case the format must carry: unicode, spaces, empty files, long paths, nesting, binary content. */
function awkwardTree(): TreeSpec {
  const long100 = `${'d'.repeat(60)}/${'f'.repeat(60)}.txt`;
  const long255 = `${'deep/'.repeat(40)}${'n'.repeat(120)}.bin`;
  return {
    'fotos/Zürich 日本.jpg': { content: randomBytes(3000), mtime: Date.UTC(2023, 4, 6, 7, 8, 9, 123) },
    'with spaces/a file.txt': { content: 'spaces', mtime: Date.UTC(2022, 0, 1) },
    'empty.txt': { content: '', mtime: Date.UTC(2021, 5, 5, 5, 5, 5, 5) },
    [long100]: { content: 'over 100 bytes', mtime: Date.UTC(2020, 1, 2) },
    [long255]: { content: randomBytes(5000), mtime: Date.UTC(2020, 1, 3) },
    'a/b/c/d/e/nested.bin': { content: randomBytes(1024 * 1024 * 2 + 17), mtime: Date.UTC(2019, 9, 9) },
    'binary.dat': { content: Buffer.from([0, 255, 0, 13, 10, 26, 0]), mtime: Date.UTC(2018, 3, 4) },
  };
}

async function backup(root: string): Promise<Buffer> {
  return collect(new MediaDirSource({ path: root }).open());
}

describe('MediaDirSource round trip', () => {
  it('restores a tree with awkward names, empty, long, nested and binary files exactly', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, awkwardTree());
    const tar = await backup(source);

    const destination = join(await tempDir(), 'restored');
    const summary = await new MediaDirSource({ path: destination }).restore(Readable.from([tar]), commit);

    expect(readTree(destination)).toEqual(readTree(source));
    expect(summary).toMatchObject({ files: 7 });
  });

  it('carries 10,000 small files', async () => {
    const source = join(await tempDir(), 'media');
    for (let folder = 0; folder < 10; folder += 1) {
      mkdirSync(join(source, `f${folder}`), { recursive: true });
      for (let index = 0; index < 1000; index += 1) {
        writeFileSync(join(source, `f${folder}`, `${index}.txt`), `file ${folder}/${index}\n`.repeat(index % 7));
      }
    }
    const destination = join(await tempDir(), 'restored');
    await new MediaDirSource({ path: destination }).restore(Readable.from([await backup(source)]), commit);

    const restored = readTree(destination);
    expect(Object.keys(restored)).toHaveLength(10_000);
    expect(restored).toEqual(readTree(source));
  });

  it('leaves the destination without files the backup does not hold, and nothing beside it', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'keep.txt': { content: 'new', mtime: Date.UTC(2024, 0, 1) } });
    const parent = await tempDir();
    const destination = join(parent, 'media');
    writeTree(destination, { 'keep.txt': 'old', 'extra.txt': 'extra', 'old/dir/file.txt': 'gone' });

    await new MediaDirSource({ path: destination }).restore(Readable.from([await backup(source)]), commit);

    expect(readTree(destination)).toEqual(readTree(source));
    expect(listing(parent)).toEqual(['media']);
  });

  it('removes what interrupted restores left: staging directories, and once it has swapped, content they set aside', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'keep.txt': { content: 'new', mtime: Date.UTC(2024, 0, 1) } });
    const parent = await tempDir();
    const destination = join(parent, 'media');
    writeTree(destination, { 'keep.txt': 'old' });
    // What a process killed mid-restore leaves: half-unpacked staging; and what a failed removal leaves, reported then.
    writeTree(join(parent, '.media.backstop-staging-a1B2c3'), { 'half.bin': randomBytes(1000) });
    mkdirSync(join(parent, '.media.backstop-staging-d4E5f6'));
    writeTree(join(parent, '.media.backstop-old-0123456789ab'), { 'keep.txt': 'older' });
    writeTree(join(parent, '.other.backstop-staging-x1'), { 'theirs.txt': 'another destination' });

    const summary = await new MediaDirSource({ path: destination }).restore(
      Readable.from([await backup(source)]),
      commit,
    );

    expect(readTree(destination)).toEqual(readTree(source));
    expect(listing(parent)).toEqual(['.other.backstop-staging-x1', 'media']);
    expect(summary.description).toContain('removed 3 directories left by an interrupted restore');
  });

  it('after a restore killed between its two renames (no destination, the previous content aside), completes it', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'keep.txt': { content: 'restored', mtime: Date.UTC(2024, 0, 1) } });
    const parent = await tempDir();
    writeTree(join(parent, '.media.backstop-old-0123456789ab'), { 'keep.txt': 'before the restore' });
    const destination = join(parent, 'media');

    // A damaged backup fails: the content set aside stays, as the only copy of what was there.
    await expect(
      new MediaDirSource({ path: destination }).restore(Readable.from([Buffer.from('not a tar')]), commit),
    ).rejects.toThrow();
    expect(listing(parent)).toEqual(['.media.backstop-old-0123456789ab']);

    await new MediaDirSource({ path: destination }).restore(Readable.from([await backup(source)]), commit);
    expect(readTree(destination)).toEqual(readTree(source));
    expect(listing(parent)).toEqual(['media']);
  });

  it('creates a destination that does not exist, with its parents', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'x.txt': 'x' });
    const destination = join(await tempDir(), 'new', 'parent', 'media');

    await new MediaDirSource({ path: destination }).restore(Readable.from([await backup(source)]), commit);

    expect(readTree(destination)).toEqual(readTree(source));
  });

  it.runIf(process.getuid?.() === 0)('keeps the owner of the directory it replaces when run as root', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'a/b/c.txt': 'c', 'd.txt': 'd' });
    const destination = join(await tempDir(), 'media');
    writeTree(destination, { 'old.txt': 'old' });
    nodeFs.chownSync(destination, 4321, 4322);

    await new MediaDirSource({ path: destination }).restore(Readable.from([await backup(source)]), commit);

    const owners = ['', 'a', 'a/b', 'a/b/c.txt', 'd.txt'].map((path) => {
      const stats = nodeFs.statSync(join(destination, path));
      return [stats.uid, stats.gid];
    });
    expect(owners).toEqual(Array(5).fill([4321, 4322]));
  });

  it('gives byte-identical tars for two backups of the same tree', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, awkwardTree());
    const first = await backup(source);
    const second = await backup(source);
    expect(first.equals(second)).toBe(true);
  });
});

describe('MediaDirSource tar format', () => {
  it('orders names next to "/" in the byte order of full paths (a directory sorts as its name and "/")', async () => {
    const source = join(await tempDir(), 'media');
    // "-" (0x2d) and "." (0x2e) sort before "/" (0x2f), "0" (0x30) after: the directory "a" falls between them.
    writeTree(source, { 'a/x': '1', 'a-b': '2', 'a.b/y': '3', a0: '4', 'ab/z': '5', 'a.': '6', 'b/a/c': '7', b0: '8' });
    const names = (await tarEntries(await backup(source))).map((entry) => entry.name).slice(0, -1);
    expect(names).toEqual(['a-b', 'a.', 'a.b/y', 'a/x', 'a0', 'ab/z', 'b/a/c', 'b0'].map((name) => `media/${name}`));
  });

  it('writes media/ entries in path order, then manifest.json last, listing every file', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, awkwardTree());
    const entries = await tarEntries(await backup(source));

    const names = entries.map((entry) => entry.name);
    expect(names.at(-1)).toBe('manifest.json');
    const files = names.slice(0, -1);
    expect(files.every((name) => name.startsWith('media/'))).toBe(true);
    expect(files).toEqual([...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

    const manifest = JSON.parse(entries.at(-1)!.content.toString('utf8'));
    const tree = readTree(source);
    expect(manifest).toMatchObject({ format: 'backstop-media/1', skipped: [] });
    expect(manifest.totals).toEqual({
      files: 7,
      bytes: Object.values(tree).reduce((sum, file) => sum + (file as { size: number }).size, 0),
      skipped: 0,
    });
    const zurich = manifest.files.find((file: { path: string }) => file.path === 'fotos/Zürich 日本.jpg');
    expect(zurich).toEqual({
      path: 'fotos/Zürich 日本.jpg',
      size: 3000,
      sha256: (tree['fotos/Zürich 日本.jpg'] as { sha256: string }).sha256,
      mtime: '2023-05-06T07:08:09.123Z',
    });
  });

  it('is read by the system tar: same files, same bytes', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, awkwardTree());
    const work = await tempDir();
    const tarPath = join(work, 'media.tar');
    writeFileSync(tarPath, await backup(source));
    const env = { ...process.env, LC_ALL: 'C.UTF-8' };

    const listed = execFileSync('tar', ['-tf', tarPath], { env }).toString('utf8').trim().split('\n');
    expect(listed.at(-1)).toBe('manifest.json');
    expect(listed).toContain('media/fotos/Zürich 日本.jpg');

    const extracted = join(work, 'out');
    mkdirSync(extracted);
    execFileSync('tar', ['-xf', tarPath, '-C', extracted], { env });
    const strip = (tree: ReturnType<typeof readTree>) =>
      Object.fromEntries(Object.entries(tree).map(([path, file]) => [path, (file as { sha256: string }).sha256]));
    expect(strip(readTree(join(extracted, 'media')))).toEqual(strip(readTree(source)));
  });

  it('archives only regular files and lists what it skipped', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'real.txt': 'real' });
    symlinkSync('/etc/passwd', join(source, 'link'));
    execFileSync('mkfifo', [join(source, 'pipe')]);
    writeFileSync(join(source, 'back\\slash.txt'), 'a name the format refuses');

    const entries = await tarEntries(await backup(source));

    expect(entries.map((entry) => entry.name)).toEqual(['media/real.txt', 'manifest.json']);
    const manifest = JSON.parse(entries[1]!.content.toString('utf8'));
    expect(manifest.skipped).toEqual([
      { path: 'back\\slash.txt', reason: 'backslash in path' },
      { path: 'link', reason: 'symlink' },
      { path: 'pipe', reason: 'fifo' },
    ]);
    expect(manifest.totals).toEqual({ files: 1, bytes: 4, skipped: 3 });
  });

  it('fails when the directory does not exist', async () => {
    const missing = join(await tempDir(), 'nope');
    await expect(backup(missing)).rejects.toMatchObject({ code: 'media-source-missing' });
  });

  it('describes the directory with its size', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'a.txt': '12345', 'b/c.txt': '678' });
    await expect(new MediaDirSource({ path: source }).describe()).resolves.toBe(
      `media directory ${source} (2 files, 8 bytes)`,
    );
  });

  it('reports progress', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'big.bin': randomBytes(3 * 1024 * 1024) });
    const seen: number[] = [];
    await collect(new MediaDirSource({ path: source }).open({ onProgress: (p) => seen.push(p.bytesDone) }));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toBe(3 * 1024 * 1024);
  });
});

describe('MediaDirSource backup of files that change', () => {
  /** Node's fs, except that stat'ing `name` through its descriptor then changes the file, as a busy server would. */
  function changingFs(name: string, change: (path: string) => void): MediaFs {
    const paths = new Map<number, string>();
    return {
      ...nodeFs,
      openSync: ((path: string, flags: number) => {
        const fd = nodeFs.openSync(path, flags);
        paths.set(fd, path);
        return fd;
      }) as MediaFs['openSync'],
      fstatSync: ((fd: number) => {
        const stats = nodeFs.fstatSync(fd);
        const path = paths.get(fd)!;
        if (path.endsWith(name)) change(path);
        return stats;
      }) as MediaFs['fstatSync'],
    };
  }

  it.each([
    ['a small file that grows', 'small.txt', (path: string) => nodeFs.appendFileSync(path, 'more')],
    ['a small file that shrinks', 'small.txt', (path: string) => nodeFs.truncateSync(path, 3)],
    ['a large file that grows', 'large.bin', (path: string) => nodeFs.appendFileSync(path, 'more')],
    ['a large file that shrinks', 'large.bin', (path: string) => nodeFs.truncateSync(path, 1024 * 1024 + 3)],
  ])('fails with media-changed for %s', async (_label, name, change) => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'small.txt': 'small content', 'large.bin': randomBytes(3 * 1024 * 1024) });
    const stream = new MediaDirSource({ path: source, fs: changingFs(name, change) }).open();
    await expect(collect(stream)).rejects.toMatchObject({ code: 'media-changed', retryable: true });
  });

  it('stops with media-aborted when its signal aborts', async () => {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'a.bin': randomBytes(4 * 1024 * 1024) });
    const controller = new AbortController();
    const stream = new MediaDirSource({ path: source }).open({ signal: controller.signal });
    stream.once('data', () => controller.abort());
    await expect(collect(stream)).rejects.toMatchObject({ code: 'media-aborted' });
  });
});

describe('MediaDirSource restore failures', () => {
  async function setUp() {
    const source = join(await tempDir(), 'media');
    writeTree(source, { 'new.txt': 'new content', 'big.bin': randomBytes(2 * 1024 * 1024) });
    const parent = await tempDir();
    const destination = join(parent, 'media');
    writeTree(destination, { 'old.txt': { content: 'old content', mtime: Date.UTC(2020, 0, 1) } });
    return { tar: await backup(source), parent, destination, before: readTree(destination) };
  }

  it('leaves the destination unchanged when beforeCommit rejects', async () => {
    const { tar, parent, destination, before } = await setUp();
    const refusal = new Error('hash mismatch');
    const restore = new MediaDirSource({ path: destination }).restore(Readable.from([tar]), {
      beforeCommit: async () => {
        throw refusal;
      },
    });
    await expect(restore).rejects.toBe(refusal);
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
  });

  it('leaves the destination unchanged when the input errors midway', async () => {
    const { tar, parent, destination, before } = await setUp();
    const failure = new Error('decryption failed');
    async function* halfThenFail() {
      yield tar.subarray(0, Math.floor(tar.length / 2));
      throw failure;
    }
    const restore = new MediaDirSource({ path: destination }).restore(Readable.from(halfThenFail()), commit);
    await expect(restore).rejects.toBe(failure);
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
  });

  it('leaves the destination unchanged when the input is truncated', async () => {
    const { tar, parent, destination, before } = await setUp();
    const restore = new MediaDirSource({ path: destination }).restore(
      Readable.from([tar.subarray(0, tar.length - 3000)]),
      commit,
    );
    await expect(restore).rejects.toMatchObject({ code: 'media-manifest-mismatch' });
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
  });

  it('stops with media-aborted when its signal aborts, leaving the destination unchanged', async () => {
    const { tar, parent, destination, before } = await setUp();
    const controller = new AbortController();
    controller.abort();
    const restore = new MediaDirSource({ path: destination }).restore(Readable.from([tar]), {
      ...commit,
      signal: controller.signal,
    });
    await expect(restore).rejects.toMatchObject({ code: 'media-aborted' });
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
  });

  it('fails on a path that is both a file and a directory, leaving the destination unchanged', async () => {
    const { parent, destination, before } = await setUp();
    const tar = await buildTar([
      file('media/a', 'a file'),
      file('media/a/b', 'under a'),
      manifest([
        { path: 'a', content: 'a file' },
        { path: 'a/b', content: 'under a' },
      ]),
    ]);
    const restore = new MediaDirSource({ path: destination }).restore(Readable.from([tar]), commit);
    await expect(restore).rejects.toMatchObject({ code: 'media-restore-failed' });
    expect(readTree(destination)).toEqual(before);
    expect(listing(parent)).toEqual(['media']);
  });

  it('refuses a destination that is a file', async () => {
    const { tar, parent } = await setUp();
    writeFileSync(join(parent, 'file'), 'not a directory');
    const restore = new MediaDirSource({ path: join(parent, 'file') }).restore(Readable.from([tar]), commit);
    await expect(restore).rejects.toMatchObject({ code: 'media-restore-failed' });
    expect(listing(parent)).toEqual(['file', 'media']);
  });
});
