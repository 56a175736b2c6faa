import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** A relative import found in the sources: the importing file, the imported file, both relative to the repository. */
export interface ImportEdge {
  from: string;
  to: string;
}

const repo = normalize(join(import.meta.dirname, '..', '..'));

/** Static imports and re-exports, dynamic `import('...')`, and worker entries (`new URL('./x', import.meta.url)`). */
const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*(?:[^,]*\?\s*)?)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every relative import in the source files under `folders` (TypeScript and JavaScript, tests excluded). */
export function importEdges(folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    for (const file of sourceFiles(join(repo, folder))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(specifiers)) {
        edges.push({ from: relative(repo, file), to: relative(repo, join(dirname(file), match[1]!)) });
      }
    }
  }
  return edges;
}

/** The source files under `folders`, relative to the repository. */
export function sourceFilesUnder(folders: readonly string[]): string[] {
  return folders.flatMap((folder) => sourceFiles(join(repo, folder)).map((file) => relative(repo, file)));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The folder a file belongs to for the layering rules: `src/<folder>`, `commands` (its top-level files, the
 * language) or `commands/<folder>`, `adapters/<folder>`, or the top-level folder (`cli`, `migrations`, `bin`, ...).
 */
export function folderOf(file: string): string {
  // The compiled build (bin/backstop.js loads dist/cli/main.js) stands for its sources; the bundle of it
  // (dist/bundle/main.js) for the command line it bundles.
  if (file.startsWith('dist/bundle/')) return 'cli';
  const parts = file.replace(/^dist\//, '').split('/');
  if (parts.length > 2 && ['src', 'commands', 'adapters'].includes(parts[0]!)) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

/** Folder-level arrows, with how many imports make each. */
export function folderArrows(edges: readonly ImportEdge[]): Map<string, number> {
  const arrows = new Map<string, number>();
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from !== to) arrows.set(`${from} -> ${to}`, (arrows.get(`${from} -> ${to}`) ?? 0) + 1);
  }
  return arrows;
}

/** Cycles between folders, each as the folders around it (first repeated last). */
export function folderCycles(arrows: Iterable<string>): string[][] {
  const next = new Map<string, string[]>();
  for (const arrow of arrows) {
    const [from, to] = arrow.split(' -> ') as [string, string];
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, 'open');
    path.push(folder);
    for (const to of next.get(folder) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of next.keys()) if (!state.has(folder)) visit(folder);
  return cycles;
}
