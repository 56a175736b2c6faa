import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');

/** A port free on 127.0.0.1 now (for a config's http.port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts `backstop serve` (the compiled build, as a user runs it) in `dir` and resolves once it says it is running;
 * `stderr()` is what it printed so far. `cleanups` gets a step that kills it if it is still running.
 */
export async function startServe(
  dir: string,
  cleanups: Array<() => Promise<void> | void>,
): Promise<{ child: ChildProcess; done: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(child);
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backstop serve did not start within 60 s:\n${stderr}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Backstop is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void done.then((code) => {
      clearTimeout(timer);
      reject(new Error(`backstop serve exited with ${code} before it was running:\n${stderr}`));
    });
  });
  return { child, done, stderr: () => stderr };
}

/**
 * A fresh folder for `serve`: one media-only target shop/live over a one-file media folder, on a free port; removed
 * by `cleanups`. Returns its path.
 */
export async function mediaServeDir(prefix: string, cleanups: (() => Promise<void> | void)[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'media'));
  writeFileSync(join(dir, 'media', 'photo.jpg'), Buffer.alloc(2000, 7));
  writeFileSync(
    join(dir, 'backstop.yaml'),
    `http: { port: ${await freePort()} }\napps: { shop: { environments: { live: { media: ./media, schedule: off } } } }\n`,
  );
  return dir;
}
