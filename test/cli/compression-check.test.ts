import { expect, test } from 'vitest';
import { compressionWarnings } from '../../cli/compression-check.ts';
import type { Target } from '../../src/domain/target.ts';
import { defaultRetentionPolicy } from '../../src/retention/index.ts';

const target = (env: string, compression: Target['compression'], database = 'postgres://db/x'): Target => ({
  app: 'shop',
  env,
  database,
  protected: false,
  schedule: 'off',
  retention: defaultRetentionPolicy,
  ...(compression !== undefined && { compression }),
});

const targets = [
  target('live', { method: 'zstd', level: 3 }),
  target('staging', { method: 'gzip', level: 1 }),
  target('test', { method: 'lz4' }),
  target('dev', undefined),
];

test('a server names each target whose compression no pg_dump installed here can do', async () => {
  const warnings = await compressionWarnings(targets, async () => 15);
  expect(warnings).toEqual([
    expect.stringMatching(
      /^shop\/live: compression: zstd:3 needs pg_dump 16 or newer, and the newest here is 15: .*gzip:1/,
    ),
    expect.stringMatching(/^shop\/test: compression: lz4 needs pg_dump 16/),
  ]);
  expect(await compressionWarnings(targets, async () => 17)).toEqual([]);
  expect(await compressionWarnings(targets, async () => undefined)).toEqual([]);
});

test('pg_dump is not looked for when every target compresses with gzip or not at all', async () => {
  let asked = false;
  const warnings = await compressionWarnings([targets[1]!, targets[3]!], async () => {
    asked = true;
    return 15;
  });
  expect([warnings, asked]).toEqual([[], false]);
});

test('the pg_dump installed on this machine is found', async () => {
  const { newestPgDumpMajor } = await import('../../src/sources/pg-tools.ts');
  expect(await newestPgDumpMajor()).toBeGreaterThanOrEqual(12);
});
