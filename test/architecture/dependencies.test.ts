import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { folderArrows, folderCycles, folderOf, importEdges, sourceFilesUnder } from './import-graph.ts';

/**
 * The layers, lowest first. A folder may import its own files and folders of lower layers, never a folder of its own
 * layer or above: so dependencies point one way (the composition root on top, then adapters, commands, and src at
 * the bottom) and no two folders import each other in a circle. A new folder must be placed here.
 */
const layers: readonly (readonly string[])[] = [
  ['src/text', 'migrations'],
  ['src/domain'],
  ['src/crypto', 'src/retention', 'src/retry'],
  ['src/config'],
  ['src/storage', 'src/sources'],
  ['src/state'],
  ['src/access'],
  ['src/engine'],
  ['src/jobs'],
  ['src/notify'],
  ['src/use-cases'],
  ['src/http'],
  ['commands'],
  ['commands/handlers'],
  ['commands/chat'],
  ['adapters/chat-platform', 'adapters/console'],
  ['adapters/slack', 'adapters/discord'],
  ['adapters/http-front'],
  ['cli'],
  ['bin', 'scripts'],
];

const rank = new Map(layers.flatMap((folders, index) => folders.map((folder) => [folder, index] as const)));
const edges = importEdges(['src', 'commands', 'adapters', 'cli', 'migrations', 'bin', 'scripts']);

describe('the dependency rule', () => {
  test('every folder has a layer', () => {
    const folders = new Set(edges.flatMap((edge) => [folderOf(edge.from), folderOf(edge.to)]));
    expect([...folders].filter((folder) => !rank.has(folder))).toEqual([]);
  });

  test('no import points up or sideways to another folder of the same layer', () => {
    const wrong = edges
      .filter((edge) => folderOf(edge.from) !== folderOf(edge.to))
      .filter((edge) => (rank.get(folderOf(edge.to)) ?? 0) >= (rank.get(folderOf(edge.from)) ?? 0))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    expect(wrong).toEqual([]);
  });

  test('no folders import each other in a circle', () => {
    expect(folderCycles(folderArrows(edges).keys())).toEqual([]);
  });

  test('the engine never imports a platform, a web framework or a cloud SDK', () => {
    const engineFiles = edges.filter((edge) => edge.from.startsWith('src/engine/')).map((edge) => edge.from);
    const packages = /from '(@aws-sdk\/[^']+|@slack\/[^']+|discord\.js|express)'/;
    const offenders = [...new Set(engineFiles)].filter((file) => packages.test(readSource(file)));
    expect(offenders).toEqual([]);
  });
});

function readSource(file: string): string {
  return readFileSync(join(import.meta.dirname, '..', '..', file), 'utf8');
}

describe('streams are composed so that no error is heard late', () => {
  test('production code pipes only where the comment just above says why a pipeline does not fit', () => {
    const unexplained: string[] = [];
    for (const file of sourceFilesUnder(['src', 'commands', 'adapters', 'cli'])) {
      const lines = readSource(file).split('\n');
      lines.forEach((line, index) => {
        if (!/\.pipe\(/.test(line) || line.trimStart().startsWith('//')) return;
        const comment: string[] = [];
        for (let above = index - 1; above >= 0 && /^\s*(\/\/|\*|\/\*)/.test(lines[above]!); above--) {
          comment.unshift(lines[above]!);
        }
        if (!/pipe/i.test(comment.join(' '))) unexplained.push(`${file}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(unexplained).toEqual([]);
  });
});
