import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { DownloadLinkSigner } from '../../src/storage/download-link-signer.ts';
import { FakeSlackApi } from '../adapters/slack/fake-slack-api.ts';
import { signingSecret } from '../adapters/slack/slack-requests.ts';
import { heldGet, newConnection } from '../support/held-get.ts';
import { freePort, startServe } from '../support/serve-process.ts';

// `backstop serve` as its own process (the compiled build, as a user runs it) stopped by SIGTERM with HTTP requests
// under way: /readyz answers 503 at once while /healthz stays 200, the listener closes after http.drain.delay, the
// requests under way finish (a download in full, an event stream ended for its client to reconnect elsewhere) or are
// cut at http.drain.deadline or on a second SIGTERM, and the process exits 0. A download held open is one whose
// client does not read: the server cannot finish sending it until the client reads on (the body is larger than every
// buffer on the way).

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');
const linkSecret = 'drain-test-link-secret-0123456789abcdef';
const bigSize = 64 * 1024 * 1024;
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * A directory with a config (`http` merged into the HTTP settings) and a download object of 64 MiB in the directory
 * store, with a signed link to it as a prepared download has; `sha256` is the object's.
 */
async function setUp(label: string, http: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), `backstop-drain-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'media'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = {
    logs: { format: 'text' },
    storage: { dir: './store' },
    downloads: { linkSecret },
    http: { port, ...http },
    apps: {
      shop: { access: { viewer: ['api:page'] }, environments: { live: { media: './media', schedule: 'off' } } },
    },
    ...extra,
  };
  writeFileSync(join(dir, 'backstop.yaml'), `${JSON.stringify(config)}\n`);
  // Random at the start, the rest a hole: a large object that costs little disk.
  const object = join(dir, 'store', 'downloads', 'drain', 'big.bin');
  mkdirSync(join(object, '..'), { recursive: true });
  writeFileSync(object, randomBytes(1024 * 1024));
  truncateSync(object, bigSize);
  const sha256 = createHash('sha256').update(readFileSync(object)).digest('hex');
  const link = new DownloadLinkSigner({ publicUrl: url, secret: linkSecret }).sign('downloads/drain/big.bin', 3600);
  return { dir, url, link, sha256 };
}

/** Resolves once the process has said `text` on stderr (at once if it has); rejects if it exits first. */
function saying(child: ChildProcess, stderr: () => string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!stderr().includes(text)) return;
      child.stderr!.off('data', later);
      resolve();
    };
    // After startServe's own listener has added the chunk to what stderr() returns.
    const later = () => setImmediate(check);
    child.stderr!.on('data', later);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before saying "${text}":\n${stderr()}`)));
    check();
  });
}

const sha256Of = (body: Buffer) => createHash('sha256').update(body).digest('hex');

test('SIGTERM: /readyz 503 and /healthz 200 through the delay, then no new connection; a download under way ends in full, an event stream ends; exit 0', async () => {
  const { dir, url, link, sha256 } = await setUp('complete', { drain: { delay: '3s', deadline: '1m' } });
  const token = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, '--json', 'token', 'create', '--name', 'page', '--role', 'viewer', '--apps', 'shop'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout).secret) : reject(new Error(`exit ${code}`))));
  });
  const { child, done, stderr } = await startServe(dir, cleanups);

  const events = await heldGet(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
  expect(events.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  const download = await heldGet(link, { paused: true });
  expect([download.response.statusCode, download.response.headers['content-length']]).toEqual([200, String(bigSize)]);

  child.kill('SIGTERM');
  await saying(child, stderr, 'Backstop is stopping: /readyz answers 503; new connections are still taken for 3 s');
  // Load balancers take the instance out; a liveness probe does not kill it meanwhile.
  const ready = await fetch(`${url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([503, { status: 'stopping' }]);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);

  await saying(child, stderr, 'HTTP has stopped listening; 2 connections with requests under way have up to 60 s');
  expect(await newConnection(`${url}/healthz`)).toBe('ECONNREFUSED');
  // The event stream ends as the listener closes, without the `end` event that would tell a page to stop listening.
  const stream = String(await events.body);
  expect(stream).toMatch(/^retry: 2000\n\n/);
  expect(stream).not.toContain('event: end');

  download.response.resume();
  const body = await download.body;
  expect([body.length, sha256Of(body)]).toEqual([bigSize, sha256]);
  expect(await done).toBe(0);
  expect(stderr()).toContain('Backstop stopped.');
  expect(stderr()).not.toContain('HTTP closed');
}, 120_000);

test('SIGTERM with chat (the HTTP front): a proxied download under way ends in full, a stuck one is cut at the deadline; exit 0', async () => {
  const fake = await FakeSlackApi.start();
  cleanups.push(() => fake.close());
  const chat = { slack: { signingSecret, botToken: 'xoxb-drain-test', apiUrl: fake.apiUrl } };
  const { dir, url, link, sha256 } = await setUp('front', { drain: { delay: '0s', deadline: '5s' } }, { chat });
  const { child, done, stderr } = await startServe(dir, cleanups);
  expect(stderr()).toContain('/slack/events');

  const finishing = await heldGet(link, { paused: true });
  const stuck = await heldGet(link, { paused: true });
  child.kill('SIGTERM');
  await saying(child, stderr, 'HTTP has stopped listening; 2 connections with requests under way have up to 5 s');
  expect(await newConnection(`${url}/healthz`)).toBe('ECONNREFUSED');

  finishing.response.resume();
  const body = await finishing.body;
  expect([body.length, sha256Of(body)]).toEqual([bigSize, sha256]);
  await saying(child, stderr, 'HTTP closed 1 connection still open at the drain deadline (5 s).');
  stuck.response.resume();
  await expect(stuck.body).rejects.toThrow(/^cut after \d+ bytes/);
  expect(await done).toBe(0);
  expect(stderr()).toContain('Backstop stopped.');
}, 120_000);

test('a second SIGTERM stops waiting: the download still under way is cut at once, and serve exits 0', async () => {
  const { dir, url, link } = await setUp('again', { drain: { delay: '10m', deadline: '10m' } });
  const { child, done, stderr } = await startServe(dir, cleanups);
  const stuck = await heldGet(link, { paused: true });

  child.kill('SIGTERM');
  await saying(child, stderr, 'Backstop is stopping');
  expect((await fetch(`${url}/readyz`)).status).toBe(503);
  child.kill('SIGTERM');
  await saying(child, stderr, 'HTTP closed 1 connection still open on a second stop signal.');
  stuck.response.resume();
  await expect(stuck.body).rejects.toThrow(/^cut after \d+ bytes/);
  expect(await done).toBe(0);
  expect(stderr()).toContain('Backstop stopped.');
}, 120_000);
