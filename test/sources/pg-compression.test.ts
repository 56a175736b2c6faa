import { expect, test } from 'vitest';
import { describePgCompression, type PgCompression, parsePgCompression } from '../../src/domain/pg-compression.ts';
import { pgDumpCompressArgument } from '../../src/sources/pg-dump-compress.ts';

test.each<[number | string, PgCompression, string]>([
  [1, { method: 'gzip', level: 1 }, '--compress=1'],
  [9, { method: 'gzip', level: 9 }, '--compress=9'],
  [0, { method: 'none' }, '--compress=0'],
  ['gzip', { method: 'gzip' }, '--compress=6'],
  ['gzip:4', { method: 'gzip', level: 4 }, '--compress=4'],
  ['none', { method: 'none' }, '--compress=0'],
  ['lz4', { method: 'lz4' }, '--compress=lz4'],
  ['zstd:3', { method: 'zstd', level: 3 }, '--compress=zstd:3'],
  [' zstd:22 ', { method: 'zstd', level: 22 }, '--compress=zstd:22'],
  ['GZIP:2', { method: 'gzip', level: 2 }, '--compress=2'],
])('compression %j is %j, given to pg_dump 16 as %s', (value, parsed, argument) => {
  expect(parsePgCompression(value)).toEqual(parsed);
  expect(pgDumpCompressArgument(parsed, 16)).toBe(argument);
  expect(parsePgCompression(describePgCompression(parsed))).toEqual(parsed);
  expect(describePgCompression(parsed)).toBe(
    typeof value === 'number' ? describePgCompression(parsed) : value.trim().toLowerCase(),
  );
});

test.each<[number | string, RegExp]>([
  [10, /from 0 to 9 \(gzip\), not 10; or .*gzip:1/],
  [1.5, /whole number/],
  ['brotli', /none, or gzip, lz4 or zstd with an optional :level \(e.g. gzip:1\), not "brotli"/],
  ['gzip:0', /gzip levels go from 1 to 9, not 0/],
  ['zstd:23', /zstd levels go from 1 to 22/],
  ['lz4:13', /lz4 levels go from 1 to 12/],
  ['none:1', /none takes no level/],
  ['zstd:', /not "zstd:"/],
  ['gzip 9', /write gzip:9, with a colon/],
  ['', /write a level 0-9, none, or gzip, lz4 or zstd/],
])('compression %j is refused with what to write', (value, problem) => {
  expect(parsePgCompression(value)).toEqual({ problem: expect.stringMatching(problem) });
});

test('lz4 and zstd need pg_dump 16; gzip and none run on any', () => {
  expect(() => pgDumpCompressArgument({ method: 'lz4' }, 15)).toThrow(/lz4 needs pg_dump 16 or newer/);
  expect(pgDumpCompressArgument({ method: 'gzip', level: 1 }, 12)).toBe('--compress=1');
  expect(pgDumpCompressArgument({ method: 'none' }, 9.6)).toBe('--compress=0');
});
