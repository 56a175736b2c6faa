import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { serveCommand } from '../../cli/serve-command.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { openState } from '../../src/state/state.ts';
import { runBackstop } from '../support/cli.ts';

test('serve migrates, holds the embedded state until stopped, and takes other commands handed to it, and refuses a second server', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-serve-'));
  writeFileSync(join(cwd, 'backstop.yaml'), 'http: { port: 0 }\n');
  const config = loadConfig({ env: {}, cwd });
  const lines: string[] = [];
  const stderr = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const io = { stdout: stderr, stderr, stdin: process.stdin, env: {}, cwd, prompt: async () => '' };
  const serving = serveCommand(config, io, { stop: stopped });
  await expect.poll(() => lines.join(''), { timeout: 30_000 }).toContain('Backstop is running on the embedded state');
  const url = /HTTP on (http:\/\/[\d.]+:\d+)/.exec(lines.join(''))![1];
  const health = await fetch(`${url}/healthz`);
  expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
  const ready = await fetch(`${url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { state: 'ok', store: 'ok' } }]);

  // Another command is handed to the server; another server is refused, naming the holder.
  const handed = await runBackstop(['list'], { cwd });
  expect([handed.code, handed.stdout]).toEqual([0, expect.stringContaining('No backups yet')]);
  const second = await runBackstop(['serve'], { cwd });
  expect(second.code).toBe(2);
  expect(second.stderr).toContain(`is in use by process ${process.pid}`);

  stop();
  expect(await serving).toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  const reopened = await openState({ databaseUrl: undefined, dataDir: config.dataDir });
  await reopened.close();
  rmSync(cwd, { recursive: true, force: true });
});
