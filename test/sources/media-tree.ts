import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { extract } from 'tar-stream';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh directory under the system temp dir, removed after the test. */
export async function tempDir(label = 'media'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), `backstop-test-${label}-`));
  created.push(directory);
  return directory;
}

afterEach(async () => {
  await Promise.all(created.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

/** A tree's files by relative path; a number as mtime sets it (ms since epoch), else the clock's time stays. */
export type TreeSpec = Record<string, string | Buffer | { content: string | Buffer; mtime: number }>;

export function writeTree(root: string, files: TreeSpec): void {
  for (const [path, spec] of Object.entries(files)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    const content = typeof spec === 'string' || Buffer.isBuffer(spec) ? spec : spec.content;
    writeFileSync(target, content);
    if (typeof spec === 'object' && !Buffer.isBuffer(spec)) utimesSync(target, spec.mtime / 1000, spec.mtime / 1000);
  }
}

export interface TreeFile {
  size: number;
  sha256: string;
  /** Whole milliseconds, as node:fs rounds them: the manifest's precision. */
  mtimeMs: number;
}

/** Every entry below `root`: regular files with size, hash and mtime; anything else by its kind. */
export function readTree(root: string): Record<string, TreeFile | string> {
  const tree: Record<string, TreeFile | string> = {};
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stats = lstatSync(join(root, path));
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile()) {
        const sha256 = createHash('sha256')
          .update(readFileSync(join(root, path)))
          .digest('hex');
        tree[path] = { size: stats.size, sha256, mtimeMs: stats.mtime.getTime() };
      } else tree[path] = stats.isSymbolicLink() ? 'symlink' : 'special';
    }
  };
  walk('');
  return tree;
}

/** The names in a directory, for checking that nothing was left or written beside a destination. */
export function listing(directory: string): string[] {
  return readdirSync(directory).sort();
}

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The entries of a tar, in order, with their content. */
export async function tarEntries(tar: Buffer): Promise<{ name: string; type: string; content: Buffer }[]> {
  const entries: { name: string; type: string; content: Buffer }[] = [];
  const reader = extract();
  reader.end(tar);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ name: entry.header.name, type: String(entry.header.type), content: Buffer.concat(chunks) });
  }
  return entries;
}
