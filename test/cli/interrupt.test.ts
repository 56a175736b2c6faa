import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');
const cwd = mkdtempSync(join(tmpdir(), 'backstop-interrupt-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
  } catch {
    return [];
  }
}

/** Resolves once `condition` holds, checking whenever the child writes to stderr or a file appears. */
async function until(child: ChildProcess, condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (child.exitCode !== null) throw new Error(`the command ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('Ctrl-C twice on a create the CLI runs itself: cancelled, never resumed, nothing it wrote stays', async () => {
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'small.txt'), 'hello');
  // A large file that costs no disk: reading and sealing it takes long enough to interrupt.
  writeFileSync(join(cwd, 'media', 'big.bin'), '');
  truncateSync(join(cwd, 'media', 'big.bin'), 4 * 1024 ** 3);
  writeFileSync(join(cwd, 'backstop.yaml'), 'apps: { site: { environments: { live: { media: ./media } } } }\n');
  const backups = join(cwd, '.backstop', 'backups');

  const child = spawn(process.execPath, [bin, 'create', 'site/live', 'to be cancelled'], { cwd, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(child, () => filesUnder(backups).some((f) => f.includes('.tmp-')), 'temporary object');
  child.kill('SIGINT');
  await until(child, () => stderr.includes('Cancelling operation'), '"Cancelling" message');
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toContain('stays cancelled');

  // The next command, however unrelated, finishes the cancellation: the backup is cancelled and nothing is left.
  const listed = await runBackstop(['list', '--json'], { cwd });
  expect(listed.code).toBe(0);
  expect(listed.json()).toMatchObject([{ status: 'cancelled', note: 'to be cancelled' }]);
  expect(filesUnder(backups)).toEqual([]);
  const status = await runBackstop(['status', '--json'], { cwd });
  expect(status.json()).toEqual([]);

  // A new backup of the target runs on its own: the cancelled one is not resumed before it.
  truncateSync(join(cwd, 'media', 'big.bin'), 0);
  const again = await runBackstop(['create', 'site/live', '--json'], { cwd });
  expect(again.json(), again.stdout + again.stderr).toMatchObject({ status: 'completed' });
  const after = await runBackstop(['list', '--json'], { cwd });
  expect(
    after
      .json()
      .map((b: { status: string }) => b.status)
      .sort(),
  ).toEqual(['cancelled', 'completed']);
}, 120_000);

test('SIGTERM on a create the CLI runs itself (a cancelled CI job): cancelled, cleaned up, exit 143', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-terminate-'));
  try {
    mkdirSync(join(dir, 'media'));
    writeFileSync(join(dir, 'media', 'big.bin'), '');
    truncateSync(join(dir, 'media', 'big.bin'), 4 * 1024 ** 3);
    writeFileSync(join(dir, 'backstop.yaml'), 'apps: { site: { environments: { live: { media: ./media } } } }\n');
    const backups = join(dir, '.backstop', 'backups');
    const child = spawn(process.execPath, [bin, 'create', 'site/live', 'terminated'], { cwd: dir, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(child, () => filesUnder(backups).some((f) => f.includes('.tmp-')), 'temporary object');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('Terminated: cancelling operation');
    // It waited for its own cleanup: nothing is left, before any other command ran.
    expect(filesUnder(backups)).toEqual([]);
    const listed = await runBackstop(['list', '--json'], { cwd: dir });
    expect(listed.json()).toMatchObject([{ status: 'cancelled', note: 'terminated' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
