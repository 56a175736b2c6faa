import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { unreadable } from './media-errors.ts';
import { mediaPathProblem } from './media-path.ts';

/** A regular file to archive, or something that will be listed as skipped. Paths are relative, "/"-separated. */
export type MediaDirItem = { kind: 'file'; path: string } | { kind: 'skipped'; path: string; reason: string };

const SLASH = 0x2f;

/**
 * Yields everything below `root`, one directory listing in memory at a time, in byte order of the full relative path
 * (the order S3 lists keys in), so that the same tree always gives the same tar. Sorting each directory by name, with
 * "/" appended to subdirectory names, gives exactly that order.
 *
 * Only regular files are archived; symlinks are not followed. A subdirectory that vanishes while walking is skipped
 * (it is not in the tree any more); any other error ends the walk.
 */
export async function* walkMediaDir(root: string, relative = ''): AsyncGenerator<MediaDirItem> {
  let dirents: Dirent<Buffer>[];
  try {
    dirents = await readdir(join(root, relative), { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    if (relative === '' || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(relative || '.', error);
    yield { kind: 'skipped', path: relative, reason: 'vanished while reading' };
    return;
  }
  dirents.sort(byPathOrder);
  for (const dirent of dirents) {
    const name = dirent.name.toString('utf8');
    const path = relative === '' ? name : `${relative}/${name}`;
    const problem = Buffer.from(name).equals(dirent.name) ? undefined : 'name is not valid UTF-8';
    if (problem !== undefined) yield { kind: 'skipped', path, reason: problem };
    else if (dirent.isDirectory()) yield* walkMediaDir(root, path);
    else if (dirent.isFile()) yield fileOrSkipped(path);
    else yield { kind: 'skipped', path, reason: specialFileKind(dirent) };
  }
}

/**
 * Orders the entries of one directory as their full paths sort: by name bytes, a subdirectory's name followed by "/".
 * Compared in place (no key per entry): a directory walk of a large tree would otherwise make a buffer per name.
 */
function byPathOrder(a: Dirent<Buffer>, b: Dirent<Buffer>): number {
  const common = Math.min(a.name.length, b.name.length);
  const order = a.name.compare(b.name, 0, common, 0, common);
  if (order !== 0) return order;
  return byteAfter(a, common) - byteAfter(b, common);
}

/** The byte of the entry's path at `index` of its name: the name's, "/" after a directory's name, -1 after a file's. */
function byteAfter(dirent: Dirent<Buffer>, index: number): number {
  if (index < dirent.name.length) return dirent.name[index]!;
  return dirent.isDirectory() ? SLASH : -1;
}

function fileOrSkipped(path: string): MediaDirItem {
  const problem = mediaPathProblem(path);
  return problem === undefined ? { kind: 'file', path } : { kind: 'skipped', path, reason: problem };
}

function specialFileKind(dirent: Dirent<Buffer>): string {
  if (dirent.isSymbolicLink()) return 'symlink';
  if (dirent.isSocket()) return 'socket';
  if (dirent.isFIFO()) return 'fifo';
  if (dirent.isCharacterDevice()) return 'character device';
  if (dirent.isBlockDevice()) return 'block device';
  return 'not a regular file';
}
