import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { exited, freePort } from '../support/serve-process.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-start-wait-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'media'));
  return dir;
}

async function config(dir: string): Promise<void> {
  const port = await freePort();
  writeFileSync(
    join(dir, 'backstop.yaml'),
    `http: { port: ${port} }\napps: { shop: { environments: { live: { media: ./media, schedule: off } } } }\n`,
  );
}

test('serve started while a command holds the embedded state waits for it instead of quitting', async () => {
  const dir = workDir();
  await config(dir);
  mkdirSync(join(dir, '.backstop'));
  // A command that holds the state, as `backstop list` does, until serve says it waits for it.
  const holder = spawn('sleep', ['120']);
  cleanups.push(() => {
    holder.kill('SIGKILL');
  });
  writeFileSync(join(dir, '.backstop', 'state.lock'), `${holder.pid}\nbackstop list shop/live\n`);
  const serve = spawn(process.execPath, [bin, 'serve'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  cleanups.push(() => {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  });
  let said = '';
  const saying = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (said.includes(text)) resolve();
      };
      serve.stderr?.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        check();
      });
      serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${said}`)));
      check();
    });
  await saying(`Waiting for process ${holder.pid} to finish with the embedded state...`);
  // The command ends (its lock is left behind, as a killed process leaves it): serve takes the state and runs.
  holder.kill('SIGKILL');
  await exited(holder);
  await saying('Backstop is running');
  serve.kill('SIGTERM');
  expect(await exited(serve)).toBe(0);
}, 120_000);

test('a command run while serve is still starting waits for it and is handed over', async () => {
  const dir = workDir();
  await config(dir);
  const serve = spawn(process.execPath, [bin, 'serve'], { cwd: dir, stdio: 'ignore' });
  cleanups.push(() => {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  });
  // As soon as serve holds the state, before it takes commands (opening the state takes seconds).
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(join(dir, '.backstop', 'state.lock'))) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  const list = spawnSync(process.execPath, [bin, 'list', 'shop/live'], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
  expect([list.status, list.stderr]).toEqual([0, expect.not.stringContaining('did not take this command')]);
  expect(list.stdout).toContain('No backups of shop/live yet');
  serve.kill('SIGTERM');
  await exited(serve);
}, 120_000);
