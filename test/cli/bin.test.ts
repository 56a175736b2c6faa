import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');
const cwd = mkdtempSync(join(tmpdir(), 'backstop-bin-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

// The installed command as a person runs it: the compiled build after `npm ci` (the TypeScript sources without one).
test('the backstop command backs up and verifies media as its own process', async () => {
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'photo.jpg'), Buffer.alloc(300_000, 9));
  writeFileSync(join(cwd, 'backstop.yaml'), 'apps: { site: { environments: { live: { media: ./media } } } }\n');
  const { stdout: version } = await run('node', [bin, 'version'], { cwd });
  expect(version).toMatch(/^backstop \d+\.\d+\.\d+\n$/);
  const { stdout: created } = await run('node', [bin, 'create', 'media', 'site/live', '--json'], { cwd });
  const backup = JSON.parse(created);
  expect(backup).toMatchObject({ status: 'completed', parts: [{ kind: 'media' }] });
  const { stdout: verified } = await run('node', [bin, 'verify', backup.id], { cwd });
  expect(verified).toContain(`Backup ${backup.id} of site/live verified`);
  await expect(run('node', [bin, 'restor', backup.id], { cwd })).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringContaining("did you mean 'restore'?"),
  });
});
