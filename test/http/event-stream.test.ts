import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { createToken, revokeToken } from '../../src/state/api-tokens.ts';
import type { Store } from '../../src/storage/store.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { serveBehindFront } from '../support/http-front.ts';
import { listen } from './listen.ts';

const root = mkdtempSync(join(tmpdir(), 'backstop-events-'));
let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
let worker: Worker;
let server: { url: string; close: () => Promise<void> };
const secrets: Record<string, string> = {};

interface StreamEvent {
  event: string;
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: an operation's JSON, checked by the assertions that read it.
  data: any;
}

/** An open event stream: the events read so far, and a way to wait for one. */
class EventStream {
  readonly events: StreamEvent[] = [];
  readonly #waiters: Array<{ match: (e: StreamEvent) => boolean; resolve: (e: StreamEvent) => void }> = [];
  readonly #abort = new AbortController();
  status = 0;
  contentType: string | null = null;

  static async open(url: string, secret: string): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(url, { headers: { authorization: `Bearer ${secret}` }, signal: stream.#abort.signal });
    stream.status = response.status;
    stream.contentType = response.headers.get('content-type');
    void stream.#read(response.body!.pipeThrough(new TextDecoderStream()).getReader());
    return stream;
  }

  async #read(reader: ReadableStreamDefaultReader<string>): Promise<void> {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          this.#endedNow();
          return;
        }
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          this.#take(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Closed by the test.
    }
  }

  #endedNow: () => void = () => {};
  /** Resolves when the server ends the stream. */
  readonly ended = new Promise<void>((resolve) => {
    this.#endedNow = resolve;
  });

  #take(block: string): void {
    const fields = Object.fromEntries(
      block
        .split('\n')
        .filter((line) => !line.startsWith(':') && line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
    );
    if (fields['data'] === undefined) return;
    const event: StreamEvent = {
      event: fields['event'] ?? 'message',
      id: fields['id'] ?? '',
      data: JSON.parse(fields['data']),
    };
    this.events.push(event);
    for (const waiter of [...this.#waiters]) {
      if (waiter.match(event)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  }

  /** The first event, read or to come, that `match` accepts. */
  next(match: (event: StreamEvent) => boolean): Promise<StreamEvent> {
    const read = this.events.find(match);
    if (read) return Promise.resolve(read);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  close(): void {
    this.#abort.abort();
  }
}

beforeAll(async () => {
  for (const app of ['shop', 'blog']) {
    mkdirSync(join(root, app), { recursive: true });
    writeFileSync(join(root, app, 'photo.jpg'), Buffer.alloc(200_000, 3));
  }
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({
    store,
    targets: [
      target('shop', 'live', { mediaDir: join(root, 'shop') }),
      target('blog', 'live', { mediaDir: join(root, 'blog') }),
    ],
  });
  worker = engineWorker(engine.ctx, { concurrency: 1, heartbeatMs: 100, pollMs: 50 });
  for (const [name, app] of [
    ['shop-viewer', 'shop'],
    ['blog-viewer', 'blog'],
  ] as const) {
    secrets[name] = (await createToken(engine.state.db, { name, role: 'operator', apps: [app] }, new Date())).secret;
  }
  server = await listen(createHttpApp({ state: engine.state.db, store, engine: engine.ctx }));
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await engine?.close();
  await cleanupStore?.();
  rmSync(root, { recursive: true, force: true });
});

async function createBackup(url: string, secret: string, app: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/backups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app, env: 'live', parts: 'media' }),
  });
  expect(response.status).toBe(202);
  return (await response.json()).operationId;
}

test('an event stream opens with the active operations, then follows each as it runs and ends', async () => {
  const queuedBefore = await createBackup(server.url, secrets['shop-viewer']!, 'shop');
  const shop = await EventStream.open(`${server.url}/api/v1/events`, secrets['shop-viewer']!);
  const blog = await EventStream.open(`${server.url}/api/v1/events`, secrets['blog-viewer']!);
  expect([shop.status, shop.contentType]).toEqual([200, 'text/event-stream; charset=utf-8']);
  // Opened while it was queued: the first event says so.
  expect((await shop.next(() => true)).data).toMatchObject({ id: queuedBefore, status: 'queued', kind: 'backup' });

  const created = await createBackup(server.url, secrets['shop-viewer']!, 'shop');
  await shop.next((e) => e.id === created && e.data.status === 'queued');
  worker.start();
  for (const id of [queuedBefore, created]) {
    const ended = await shop.next((e) => e.id === id && e.data.status === 'succeeded');
    expect(ended).toMatchObject({ event: 'operation', data: { target: 'shop/live', finishedAt: expect.any(String) } });
    const seen = shop.events.filter((e) => e.id === id).map((e) => e.data.bytesDone as number);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  }

  // The blog token's stream carries blog's work and never shop's: its events come in the order they were sent, so
  // once blog's own backup has ended there, shop's would have come before it.
  const blogs = await createBackup(server.url, secrets['blog-viewer']!, 'blog');
  await blog.next((e) => e.id === blogs && e.data.status === 'succeeded');
  expect(blog.events.filter((e) => e.data.target !== 'blog/live')).toEqual([]);
  shop.close();
  blog.close();
});

test('the stream passes through the HTTP front as it is written', async () => {
  const behind = await serveBehindFront(createHttpApp({ state: engine.state.db, store, engine: engine.ctx }), []);
  try {
    const stream = await EventStream.open(`${behind.url}/api/v1/events`, secrets['shop-viewer']!);
    expect(stream.status).toBe(200);
    const created = await createBackup(behind.url, secrets['shop-viewer']!, 'shop');
    await stream.next((e) => e.id === created && e.data.status === 'succeeded');
    stream.close();
  } finally {
    await behind.close();
  }
});

test('without a token the stream is refused like any request', async () => {
  const response = await fetch(`${server.url}/api/v1/events`);
  expect([response.status, response.headers.get('content-type')]).toEqual([
    401,
    expect.stringContaining('problem+json'),
  ]);
});

test('a token revoked while its stream is open ends the stream; a token granted no app is refused one', async () => {
  const { token, secret } = await createToken(
    engine.state.db,
    { name: 'short-lived', role: 'viewer', apps: ['shop'] },
    new Date(),
  );
  const stream = await EventStream.open(`${server.url}/api/v1/events`, secret);
  expect(stream.status).toBe(200);
  await revokeToken(engine.state.db, token.id, new Date());
  // The next change the stream would carry makes it check its token first.
  await createBackup(server.url, secrets['shop-viewer']!, 'shop');
  await stream.ended;
  expect(stream.events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'the token was revoked' } });

  const nothing = (await createToken(engine.state.db, { name: 'nothing', role: 'viewer', apps: ['wiki'] }, new Date()))
    .secret;
  const refused = await fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${nothing}` } });
  expect(refused.status).toBe(403);
  expect((await refused.json()).detail).toContain('may not read the backups of any app');
});

test('a process that stops: streams go on while it stops, end once it drains (no end event), and a new one ends at once', async () => {
  const stopping = new AbortController();
  const draining = new AbortController();
  const app = createHttpApp({
    state: engine.state.db,
    store,
    engine: engine.ctx,
    shutdown: { stopping: stopping.signal, draining: draining.signal },
  });
  const stoppable = await listen(app);
  try {
    const stream = await EventStream.open(`${stoppable.url}/api/v1/events`, secrets['shop-viewer']!);
    stopping.abort();
    // Taken out of the load balancer, still streaming.
    const ready = await fetch(`${stoppable.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'stopping' }]);
    const created = await createBackup(stoppable.url, secrets['shop-viewer']!, 'shop');
    await stream.next((e) => e.id === created && e.data.status === 'succeeded');

    draining.abort();
    await stream.ended;
    // No `end` event: that one tells a page to stop listening; this end makes it reconnect (to another instance).
    expect(stream.events.filter((e) => e.event !== 'operation')).toEqual([]);
    const late = await EventStream.open(`${stoppable.url}/api/v1/events`, secrets['shop-viewer']!);
    expect(late.status).toBe(200);
    await late.ended;
  } finally {
    await stoppable.close();
  }
});
