import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { ensureGeneratedIdentity, ensureSecretFile } from '../../cli/local-secrets.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'backstop-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const module = join(import.meta.dirname, '..', '..', 'cli', 'local-secrets.ts');

test('processes starting at once agree on one secret and one key, and none fails', async () => {
  const secretPath = join(dir, 'race', 'link-secret');
  const keyPath = join(dir, 'race', 'backstop.key');
  const script = `
    const { ensureSecretFile, ensureGeneratedIdentity } = await import(${JSON.stringify(module)});
    const { created } = ensureGeneratedIdentity(${JSON.stringify(keyPath)}, new Date());
    console.log(JSON.stringify({ secret: ensureSecretFile(${JSON.stringify(secretPath)}), created }));`;
  const outputs = await Promise.all(
    Array.from({ length: 8 }, () =>
      run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: join(import.meta.dirname, '..', '..'),
      }),
    ),
  );
  const results = outputs.map((o) => JSON.parse(o.stdout) as { secret: string; created: boolean });
  expect(new Set(results.map((r) => r.secret)).size).toBe(1);
  expect(results[0]!.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(readFileSync(keyPath, 'utf8')).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
  expect(statSync(keyPath).mode & 0o777).toBe(0o600);
  expect(readdirSync(join(dir, 'race')).sort()).toEqual(['backstop.key', 'link-secret']);
});

test('an existing secret and key are kept as they are', () => {
  const secretPath = join(dir, 'kept', 'link-secret');
  const first = ensureSecretFile(secretPath);
  expect(ensureSecretFile(secretPath)).toBe(first);
  const keyPath = join(dir, 'kept', 'backstop.key');
  expect(ensureGeneratedIdentity(keyPath, new Date())).toEqual({ created: true });
  const key = readFileSync(keyPath, 'utf8');
  expect(ensureGeneratedIdentity(keyPath, new Date())).toEqual({ created: false });
  expect(readFileSync(keyPath, 'utf8')).toBe(key);
});
