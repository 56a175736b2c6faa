import { createHash } from 'node:crypto';
import { type Header, pack } from 'tar-stream';
import { collect } from './media-tree.ts';

export interface TarEntrySpec {
  header: Partial<Header> & { name: string };
  content?: Buffer;
}

/** Packs exactly the given entries, in order, with tar-stream: the tool an attacker would also use. */
export async function buildTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const tar = pack();
  const done = collect(tar);
  for (const { header, content } of entries) {
    await new Promise<void>((resolve, reject) => {
      tar.entry({ mtime: new Date(0), ...header }, content ?? Buffer.alloc(0), (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }
  tar.finalize();
  return done;
}

export function file(name: string, content: string | Buffer): TarEntrySpec {
  return { header: { name, type: 'file' }, content: Buffer.from(content) };
}

/** A manifest.json entry listing `files` (relative paths) with their true sizes and hashes unless overridden. */
export function manifest(
  files: { path: string; content: string | Buffer; sha256?: string; size?: number }[],
): TarEntrySpec {
  const listed = files.map(({ path, content, sha256, size }) => ({
    path,
    size: size ?? Buffer.byteLength(content),
    sha256: sha256 ?? createHash('sha256').update(content).digest('hex'),
    mtime: '2024-01-02T03:04:05.678Z',
  }));
  const bytes = listed.reduce((sum, entry) => sum + entry.size, 0);
  const json = { format: 'backstop-media/1', files: listed, skipped: [], totals: { files: listed.length, bytes } };
  return file('manifest.json', JSON.stringify(json));
}

const good = { path: 'good.txt', content: 'fine' };

/**
 * Tars that must be refused, each with the error code expected. Each starts with a valid file, so that a restore has
 * already written something to its staging directory when it meets the bad entry.
 */
export const hostileTars: { name: string; code: string; entries: () => TarEntrySpec[] }[] = [
  {
    name: 'a path escaping upwards',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('../escape', 'x'), manifest([good])],
  },
  {
    name: 'an absolute path',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('/abs', 'x'), manifest([good])],
  },
  {
    name: 'a ".." segment inside media/',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('media/../../x', 'x'), manifest([good])],
  },
  {
    name: 'an empty segment',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('media/a//b', 'x'), manifest([good])],
  },
  {
    name: 'a backslash',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('media/..\\x', 'x'), manifest([good])],
  },
  {
    name: 'an entry outside media/',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('other.txt', 'x'), manifest([good])],
  },
  {
    name: 'a symlink',
    code: 'media-unsafe-entry',
    entries: () => [
      file('media/good.txt', 'fine'),
      { header: { name: 'media/link', type: 'symlink', linkname: '/etc/passwd' } },
      manifest([good]),
    ],
  },
  {
    name: 'a hard link',
    code: 'media-unsafe-entry',
    entries: () => [
      file('media/good.txt', 'fine'),
      { header: { name: 'media/hard', type: 'link', linkname: 'media/good.txt' } },
      manifest([good]),
    ],
  },
  {
    name: 'a character device',
    code: 'media-unsafe-entry',
    entries: () => [
      file('media/good.txt', 'fine'),
      { header: { name: 'media/null', type: 'character-device', devmajor: 1, devminor: 3 } },
      manifest([good]),
    ],
  },
  {
    name: 'a FIFO',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), { header: { name: 'media/pipe', type: 'fifo' } }, manifest([good])],
  },
  {
    name: 'a duplicate path',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), file('media/good.txt', 'evil'), manifest([good])],
  },
  {
    name: 'an entry after the manifest',
    code: 'media-unsafe-entry',
    entries: () => [file('media/good.txt', 'fine'), manifest([good]), file('media/late.txt', 'late')],
  },
  {
    name: 'a file missing from the manifest',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine'), file('media/extra.txt', 'extra'), manifest([good])],
  },
  {
    name: 'a manifest file missing from the tar',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine'), manifest([good, { path: 'gone.txt', content: 'gone' }])],
  },
  {
    name: 'a sha256 mismatch',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine'), manifest([{ ...good, sha256: 'a'.repeat(64) }])],
  },
  {
    name: 'a size mismatch',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine'), manifest([{ ...good, size: 5 }])],
  },
  {
    name: 'a missing manifest',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine')],
  },
  {
    name: 'a manifest that is not JSON',
    code: 'media-manifest-mismatch',
    entries: () => [file('media/good.txt', 'fine'), file('manifest.json', '{"format": "backstop-media/1", ')],
  },
];
