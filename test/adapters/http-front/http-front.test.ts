import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import express from 'express';
import { afterEach, describe, expect, test } from 'vitest';
import type { ChatEndpoint, DeliveredRequests } from '../../../adapters/chat-platform/chat-platform.ts';
import { startHttpFront } from '../../../adapters/http-front/http-front.ts';
import { proxyRequest } from '../../../adapters/http-front/proxy-request.ts';
import { heldGet, newConnection } from '../../support/held-get.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { autocomplete, DiscordSigner } from '../discord/discord-fakes.ts';

const signingSecret = 'front-test-secret';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function signed(body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
}

/** A Slack-shaped endpoint that records what it is handed to start, and what it is told was not started. */
function recordingEndpoint(): ChatEndpoint & { delivered: unknown[]; notStartedOnes: unknown[] } {
  const delivered: unknown[] = [];
  const notStartedOnes: unknown[] = [];
  return {
    path: '/slack/events',
    settings: { platform: 'slack', signingSecret },
    delivered,
    notStartedOnes,
    deliver: (delivery) => delivered.push(delivery),
    notStarted: (delivery) => notStartedOnes.push(delivery),
  };
}

async function start(app = express(), delivered?: DeliveredRequests, recordTimeoutMs?: number) {
  const endpoint = recordingEndpoint();
  const served = await serveBehindFront(app, [endpoint], [], delivered, {
    ...(recordTimeoutMs !== undefined && { recordTimeoutMs }),
  });
  cleanups.push(served.close);
  return { ...served, endpoint };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('HTTP front: chat paths', () => {
  test('a signed request is answered 200 on the front and delivered afterwards, parsed', async () => {
    const { url, endpoint, answered } = await start();
    const body = 'command=%2Fbackup&text=create+db&user_id=U1&channel_id=C1';
    const response = await fetch(`${url}/slack/events`, { method: 'POST', body, headers: signed(body) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    // Heard of as answered once its delivery was handed over.
    expect(endpoint.delivered).toEqual([
      { body: { command: '/backup', text: 'create db', user_id: 'U1', channel_id: 'C1' } },
    ]);
  });

  test('a forged or stale request gets 401, is logged with its reason and delivers nothing', async () => {
    const { url, endpoint, logs, answered } = await start();
    const body = 'command=%2Fbackup&text=restore+7k3qx2+to+live';
    const forged = { ...signed(body), 'x-slack-signature': `v0=${'0'.repeat(64)}` };
    expect((await fetch(`${url}/slack/events`, { method: 'POST', body, headers: forged })).status).toBe(401);
    const stale = signed(body, Math.floor(Date.now() / 1000) - 301);
    expect((await fetch(`${url}/slack/events`, { method: 'POST', body, headers: stale })).status).toBe(401);
    expect((await fetch(`${url}/slack/events`, { method: 'POST', body })).status).toBe(401);
    // The front is done with all three: answered, nothing handed over.
    const refused = { path: '/slack/events', status: 401, delivered: false };
    expect(await answered.reached(3)).toEqual([refused, refused, refused]);
    expect(logs).toEqual([
      'slack: refused a request to /slack/events (signature mismatch)',
      'slack: refused a request to /slack/events (stale timestamp)',
      'slack: refused a request to /slack/events (no signature)',
    ]);
    expect(endpoint.delivered).toEqual([]);
  });

  test('only POST; a body over 1 MB gets 413; after refuseChat, 503 on chat paths while the rest is served', async () => {
    const app = express();
    app.get('/healthz', (_request, response) => {
      response.json({ status: 'ok' });
    });
    const { url, endpoint, front, answered } = await start(app);
    const get = await fetch(`${url}/slack/events`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const huge = 'text='.padEnd((1 << 20) + 10, 'x');
    expect((await fetch(`${url}/slack/events`, { method: 'POST', body: huge, headers: signed(huge) })).status).toBe(
      413,
    );

    await front.refuseChat();
    const body = 'command=%2Fbackup&text=list';
    expect((await fetch(`${url}/slack/events`, { method: 'POST', body, headers: signed(body) })).status).toBe(503);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    // The three chat requests are answered and none delivered; the proxied one is no chat request.
    expect((await answered.reached(3)).map((a) => [a.status, a.delivered])).toEqual([
      [405, false],
      [413, false],
      [503, false],
    ]);
    expect(endpoint.delivered).toEqual([]);
  });

  test('acknowledges while the main thread is blocked; deliveries follow once it is free', async () => {
    const { url, endpoint } = await start();
    const bodies = Array.from({ length: 20 }, (_, i) => `command=%2Fbackup&text=create+db+${i}`);
    const requests = bodies.map((body) => ({ body, headers: signed(body) }));
    // The client runs on a thread of its own, since this one is about to be busy; it counts its answers in shared
    // memory, which this thread can watch without running any event.
    const answeredCount = new Int32Array(new SharedArrayBuffer(4));
    const client = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       parentPort.once('message', async () => {
         const statuses = await Promise.all(workerData.requests.map(async (r) => {
           const response = await fetch(workerData.url + '/slack/events', { method: 'POST', body: r.body, headers: r.headers });
           Atomics.add(workerData.answered, 0, 1);
           return response.status;
         }));
         parentPort.postMessage(statuses);
       });
       parentPort.postMessage('ready');`,
      { eval: true, workerData: { url, requests, answered: answeredCount } },
    );
    cleanups.push(async () => {
      await client.terminate();
    });
    await new Promise((resolve) => client.once('message', resolve));
    const statuses = new Promise<number[]>((resolve) => client.once('message', resolve));
    client.postMessage('go');
    // Busy without yielding until all 20 are answered (or a minute passes): no event of this thread runs meanwhile,
    // so the front cannot be relying on it.
    const givingUpAt = Date.now() + 60_000;
    while (Atomics.load(answeredCount, 0) < 20 && Date.now() < givingUpAt) {
      /* the main thread's work */
    }
    expect(Atomics.load(answeredCount, 0)).toBe(20);
    expect(endpoint.delivered).toEqual([]);
    expect(await statuses).toEqual(bodies.map(() => 200));
    await until(() => (endpoint.delivered.length === 20 ? true : undefined), '20 deliveries');
    const texts = endpoint.delivered.map((d) => (d as { body: { text: string } }).body.text).sort();
    expect(texts).toEqual(bodies.map((_, i) => `create db ${i}`).sort());
  });
});

/** A record of delivered requests that records what it is asked, and answers `replay` for keys it was given before. */
class RecordingDeliveries implements DeliveredRequests {
  readonly asked: Array<{ keys: readonly string[]; expiresAt: Date }> = [];
  failure: Error | undefined;

  async recordDelivery(keys: readonly string[], expiresAt: Date): Promise<'first' | 'replay'> {
    if (this.failure) throw this.failure;
    const seen = this.asked.some((earlier) => earlier.keys.some((key) => keys.includes(key)));
    this.asked.push({ keys, expiresAt });
    return seen ? 'replay' : 'first';
  }
}

describe('HTTP front: requests whose answer the main thread gives', () => {
  // A submitted Slack modal: its answer keeps the modal open with errors, or (empty) closes it; then it is delivered.
  const submission = `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', trigger_id: '1.2.3' }))}`;
  const errors = { response_action: 'errors', errors: { destination: 'needs the restorer role on shop' } };
  // A Discord autocomplete: its answer is the choices, or none when the main thread has not answered; nothing runs.
  const discord = new DiscordSigner();
  const typing = JSON.stringify(autocomplete('show', 'id', '7k'));
  const choices = { type: 8, data: { choices: [{ name: '7k3q, 2 h ago', value: '7k3q' }] } };

  async function startAsked(answer: ChatEndpoint['answer'], answerTimeoutMs?: number) {
    const endpoint = { ...recordingEndpoint(), answer };
    const discordEndpoint: ChatEndpoint = {
      ...recordingEndpoint(),
      path: '/discord/interactions',
      settings: { platform: 'discord', publicKey: discord.publicKeyHex },
      ...(answer !== undefined && { answer }),
    };
    const served = await serveBehindFront(express(), [endpoint, discordEndpoint], [], undefined, {
      ...(answerTimeoutMs !== undefined && { answerTimeoutMs }),
    });
    cleanups.push(served.close);
    return { ...served, endpoint };
  }
  const submit = (url: string) =>
    fetch(`${url}/slack/events`, { method: 'POST', body: submission, headers: signed(submission) });
  const type = (url: string) =>
    fetch(`${url}/discord/interactions`, {
      method: 'POST',
      body: typing,
      headers: discord.headers(typing, new Date()),
    });

  test('an answer that holds the request back is sent as the response, and nothing is delivered', async () => {
    const asked: unknown[] = [];
    const { url, endpoint, answered } = await startAsked(async (question) => {
      asked.push(question);
      return { deliver: false, json: errors };
    });
    const response = await submit(url);
    expect([response.status, await response.json()]).toEqual([200, errors]);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: false }]);
    expect(asked).toEqual([{ body: { type: 'view_submission', trigger_id: '1.2.3' } }]);
    expect(endpoint.delivered).toEqual([]);
  });

  test('an answer that lets it through is sent (here an empty 200), then the delivery is handed on', async () => {
    const { url, endpoint, answered } = await startAsked(async () => ({ deliver: true }));
    const response = await submit(url);
    expect([response.status, await response.text()]).toEqual([200, '']);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    expect(endpoint.delivered).toEqual([{ body: { type: 'view_submission', trigger_id: '1.2.3' } }]);
  });

  test("a request without a delivery gets the answer's body, and starts nothing", async () => {
    const asked: unknown[] = [];
    const { url, answered } = await startAsked(async (question) => {
      asked.push(question);
      return { json: choices };
    });
    const response = await type(url);
    expect([response.status, await response.json()]).toEqual([200, choices]);
    expect(await answered.reached(1)).toEqual([{ path: '/discord/interactions', status: 200, delivered: false }]);
    expect(asked).toEqual([{ interaction: JSON.parse(typing) }]);
  });

  test('a main thread that does not answer in time is answered for, as the acknowledgement says', async () => {
    const { url, endpoint, answered, logs } = await startAsked(() => new Promise(() => {}), 200);
    const response = await submit(url);
    expect([response.status, await response.text()]).toEqual([200, '']);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    expect(endpoint.delivered).toHaveLength(1);
    expect(logs).toContain('slack: answered a request to /slack/events without its answer (late)');

    const typed = await type(url);
    expect([typed.status, await typed.json()]).toEqual([200, { type: 8, data: { choices: [] } }]);
    expect((await answered.reached(2))[1]).toEqual({ path: '/discord/interactions', status: 200, delivered: false });
    expect(logs).toContain('discord: answered a request to /discord/interactions without its answer (late)');
  });

  test('an answer that fails is logged, and the request answered as the acknowledgement says', async () => {
    const { url, endpoint, answered, logs } = await startAsked(async () => {
      throw new Error('the state is away');
    });
    const failed = await submit(url);
    expect([failed.status, await failed.text()]).toEqual([200, '']);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    expect(endpoint.delivered).toHaveLength(1);
    expect(logs).toContain('http: could not answer a request to /slack/events: Error: the state is away');

    const typed = await type(url);
    expect([typed.status, await typed.json()]).toEqual([200, { type: 8, data: { choices: [] } }]);
    expect(logs).toContain('http: could not answer a request to /discord/interactions: Error: the state is away');
  });

  test('a slash command or click is not asked about', async () => {
    const asked: unknown[] = [];
    const { url, answered } = await startAsked(async (question) => {
      asked.push(question);
      return { deliver: false, json: errors };
    });
    const body = 'command=%2Fbackup&text=list';
    const response = await fetch(`${url}/slack/events`, { method: 'POST', body, headers: signed(body) });
    expect([response.status, await response.text()]).toEqual([200, '']);
    expect((await answered.reached(1))[0]?.delivered).toBe(true);
    expect(asked).toEqual([]);
  });
});

describe('HTTP front: each request is delivered once', () => {
  test("a delivery is recorded by its signature and Slack's trigger id, until two windows after its timestamp", async () => {
    const deliveries = new RecordingDeliveries();
    const { url, endpoint, answered } = await start(express(), deliveries);
    const body = 'command=%2Fbackup&text=create+db&trigger_id=1337.42.abc';
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signed(body, timestamp);

    await fetch(`${url}/slack/events`, { method: 'POST', body, headers });
    await answered.reached(1);
    await fetch(`${url}/slack/events`, { method: 'POST', body, headers });

    expect(await answered.reached(2)).toEqual([
      { path: '/slack/events', status: 200, delivered: true },
      { path: '/slack/events', status: 200, delivered: false, replay: true },
    ]);
    expect(endpoint.delivered).toHaveLength(1);
    const record = { keys: [`slack-signature:${headers['x-slack-signature']}`, 'slack-trigger:1337.42.abc'] };
    expect(deliveries.asked).toEqual([
      { ...record, expiresAt: new Date((timestamp + 600) * 1000) },
      { ...record, expiresAt: new Date((timestamp + 600) * 1000) },
    ]);
  });

  test('a delivery that cannot be recorded is not handed over (it could run twice): the endpoint tells its sender, and the log says so', async () => {
    const deliveries = new RecordingDeliveries();
    deliveries.failure = new Error('connection refused');
    const { url, endpoint, answered, logs } = await start(express(), deliveries);
    const body = 'command=%2Fbackup&text=create+db';

    const response = await fetch(`${url}/slack/events`, { method: 'POST', body, headers: signed(body) });

    expect(response.status).toBe(200);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: false }]);
    expect(endpoint.delivered).toEqual([]);
    expect(endpoint.notStartedOnes).toEqual([{ body: { command: '/backup', text: 'create db' } }]);
    expect(logs).toEqual([
      'http: a request to /slack/events was acknowledged but not started: recording it failed: Error: connection ' +
        'refused; its sender is told to try again',
    ]);
  });

  test('a record that does not answer (a state cut off) is given up after its time: not started, even once it answers late', async () => {
    let answerLate: (sighting: 'first') => void = () => {};
    const hanging: DeliveredRequests = {
      recordDelivery: () =>
        new Promise((resolve) => {
          answerLate = resolve;
        }),
    };
    const { url, endpoint, answered, logs, close } = await start(express(), hanging, 300);
    const body = 'command=%2Fbackup&text=create+db&trigger_id=1337.42.late';

    const response = await fetch(`${url}/slack/events`, { method: 'POST', body, headers: signed(body) });

    expect(response.status).toBe(200);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: false }]);
    expect(endpoint.notStartedOnes).toHaveLength(1);
    expect(logs).toEqual([
      'http: a request to /slack/events was acknowledged but not started: recording it failed: Error: the state did ' +
        'not answer within 0.3 s; its sender is told to try again',
    ]);
    // The record is written after all: the request was given up, and stays so.
    answerLate('first');
    await sleep(50);
    expect(endpoint.delivered).toEqual([]);
    await close();
  });

  test('chat endpoints without a record of delivered requests are refused at start', async () => {
    await expect(
      startHttpFront({ app: express(), host: '127.0.0.1', port: 0, endpoints: [recordingEndpoint()], log: () => {} }),
    ).rejects.toThrow('the HTTP front needs the record of delivered requests to serve chat endpoints');
  });
});

describe('HTTP front: everything else goes to the app', () => {
  test('status, headers, query and bodies pass through byte for byte, both ways, with x-forwarded-for', async () => {
    const app = express();
    app.post('/echo-digest', (request, response) => {
      const hash = createHash('sha256');
      let bytes = 0;
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      request.on('end', () => {
        response
          .status(201)
          .set('x-seen', `${request.query['q']};${request.get('x-forwarded-for')}`)
          .json({ bytes, sha256: hash.digest('hex') });
      });
    });
    const blob = randomBytes(6 * 1024 * 1024);
    app.get('/blob', (_request, response) => {
      response.type('application/octet-stream');
      // In pieces, without a length: the front must stream it on.
      let offset = 0;
      const next = () => {
        if (offset >= blob.length) {
          response.end();
          return;
        }
        const piece = blob.subarray(offset, offset + 65536);
        offset += piece.length;
        if (response.write(piece)) setImmediate(next);
        else response.once('drain', next);
      };
      next();
    });
    app.get('/missing', (_request, response) => {
      response.status(404).json({ error: 'not found' });
    });
    const { url } = await start(app);

    const upload = randomBytes(5 * 1024 * 1024);
    const posted = await fetch(`${url}/echo-digest?q=a%20b`, { method: 'POST', body: upload });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('x-seen')).toBe('a b;127.0.0.1');
    expect(await posted.json()).toEqual({
      bytes: upload.length,
      sha256: createHash('sha256').update(upload).digest('hex'),
    });

    const downloaded = Buffer.from(await (await fetch(`${url}/blob`)).arrayBuffer());
    expect(downloaded.equals(blob)).toBe(true);
    const missing = await fetch(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
  });

  test('an upstream that cannot be reached gives 502', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const agent = new Agent();
    const proxy = createServer((request, response) =>
      proxyRequest(request, response, { host: '127.0.0.1', port: deadPort, agent }),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          proxy.closeAllConnections();
        }),
    );
    const response = await fetch(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/readyz`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: 'upstream unavailable' });
  });
});

describe('HTTP front: listening', () => {
  test('a port in use is refused with the fix; close frees the port', async () => {
    const { front } = await start();
    await expect(
      startHttpFront({ app: express(), host: '127.0.0.1', port: front.port, endpoints: [], log: () => {} }),
    ).rejects.toThrow(`Port ${front.port} on 127.0.0.1 is in use (another backstop serve?). Set http.port`);
    await front.close();
    const again = await startHttpFront({
      app: express(),
      host: '127.0.0.1',
      port: front.port,
      endpoints: [],
      log: () => {},
    });
    expect(again.port).toBe(front.port);
    await again.close();
  });
});

describe('HTTP front: stopping', () => {
  /** An app whose `/held` responses send a first part, then end when the test calls `release`, one by one. */
  function heldApp() {
    const releases: Array<() => void> = [];
    const app = express();
    app.get('/held', (_request, response) => {
      response.type('text/plain');
      response.write('first part;');
      releases.push(() => response.end('last part'));
    });
    app.get('/healthz', (_request, response) => {
      response.json({ status: 'ok' });
    });
    return { app, releases };
  }

  test('drain: new connections are refused, a proxied response under way ends in full; close cuts what is left', async () => {
    const { app, releases } = heldApp();
    const { url, front } = await start(app);
    const finishing = await heldGet(`${url}/held`);
    const stuck = await heldGet(`${url}/held`);
    await until(() => (releases.length === 2 ? true : undefined), 'two responses under way');

    expect(await front.drain()).toBe(2);
    expect(await newConnection(`${url}/healthz`)).toBe('ECONNREFUSED');
    releases[0]!();
    expect(String(await finishing.body)).toBe('first part;last part');

    expect(await front.close()).toBe(1);
    await expect(stuck.body).rejects.toThrow('cut after 11 bytes');
  });

  test('drain: `drained` settles once the last response under way has ended', async () => {
    const { app, releases } = heldApp();
    const { url, front } = await start(app);
    const held = await heldGet(`${url}/held`);
    await until(() => (releases.length === 1 ? true : undefined), 'a response under way');
    let drained = false;
    void front.drained.then(() => {
      drained = true;
    });

    expect(await front.drain()).toBe(1);
    expect(await newConnection(`${url}/healthz`)).toBe('ECONNREFUSED');
    expect(drained).toBe(false);
    releases[0]!();
    await front.drained;
    expect(String(await held.body)).toBe('first part;last part');
    expect(await front.close()).toBe(0);
  });
});

describe('HTTP front: a thread that fails', () => {
  const failingThread = new URL('./failing-front-thread.mjs', import.meta.url);

  test('a thread that throws after listening settles `failed` with its error, logged; close still resolves', async () => {
    const logs: string[] = [];
    const front = await startHttpFront({
      app: express(),
      host: '127.0.0.1',
      port: 0,
      endpoints: [],
      log: (line) => logs.push(line),
      threadFile: failingThread,
    });
    const error = await front.failed;
    expect(error.message).toBe('the front broke');
    expect(logs.some((line) => line.startsWith('http: the front thread failed: Error: the front broke'))).toBe(true);
    await front.close();
  });

  test('a thread that ends without being closed settles `failed` too', async () => {
    const front = await startHttpFront({
      app: express(),
      host: '127.0.0.1',
      port: 0,
      endpoints: [],
      log: () => {},
      threadFile: new URL('./ending-front-thread.mjs', import.meta.url),
    });
    expect((await front.failed).message).toBe(
      'the HTTP front thread ended (exit code 0), so nothing answers on the port',
    );
    await front.close();
  });
});
