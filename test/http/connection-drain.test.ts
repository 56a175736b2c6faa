import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { ConnectionDrain } from '../../src/http/connection-drain.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

/**
 * A server whose `/held` responses send their first chunk, then wait until the test calls `release()`; `/` answers
 * at once. Kept-alive connections are never closed for being idle (as if the timeout were very long), so only the
 * drain can close them.
 */
async function heldServer() {
  const releases: Array<() => void> = [];
  let heard: () => void = () => {};
  let requests = 0;
  let counted: () => void = () => {};
  const server = createServer((request, response) => {
    requests += 1;
    counted();
    if (request.url === '/held') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first part;');
      releases.push(() => response.end('last part'));
      heard();
      return;
    }
    if (request.url === '/deferred') {
      // Nothing written until released, as a handler waiting for the database would.
      releases.push(() => response.end('deferred'));
      heard();
      return;
    }
    response.end('ok');
  });
  server.keepAliveTimeout = 10 * 60_000;
  const drain = new ConnectionDrain(server);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    drain,
    port,
    /** Resolves once `count` held responses are under way. */
    held: (count: number) =>
      new Promise<void>((resolve) => {
        heard = () => {
          if (releases.length >= count) resolve();
        };
        heard();
      }),
    /** Resolves once the server has read `count` requests in all. */
    read: (count: number) =>
      new Promise<void>((resolve) => {
        counted = () => {
          if (requests >= count) resolve();
        };
        counted();
      }),
    release: () => {
      for (const release of releases.splice(0)) release();
    },
  };
}

/** A raw connection: what it has received so far, waiting for a text to arrive, and its end. */
async function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  const listeners = new Set<() => void>();
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
    for (const listener of listeners) listener();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    received: () => received,
    closed,
    send: (text: string) => socket.write(text),
    until: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (received.includes(text)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        void closed.then(() => reject(new Error(`closed before "${text}" came; received:\n${received}`)));
        check();
      }),
  };
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`;

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('drain: idle connections close at once, a response under way ends in full, then its connection closes', async () => {
  const { drain, port, held, release } = await heldServer();
  const idle = await rawConnection(port);
  idle.send(get('/'));
  await idle.until('ok');
  const busy = await rawConnection(port);
  busy.send(get('/held'));
  await busy.until('first part;');
  await held(1);

  let drained = false;
  void drain.drained.then(() => {
    drained = true;
  });
  expect(drain.drain()).toBe(1);
  await idle.closed;
  expect(await refused(port)).toBe('ECONNREFUSED');
  expect([busy.socket.destroyed, drained]).toEqual([false, false]);

  release();
  // The response was sent kept alive; once it has ended, its connection is closed rather than kept for more.
  await busy.closed;
  expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*first part;[\s\S]*last part/);
  expect(busy.received()).toMatch(/^connection: keep-alive$/im);
  await drain.drained;
});

test('drain: a request read later, or answered later, on an open connection is answered with Connection: close', async () => {
  const { drain, port, held, read, release } = await heldServer();
  const streaming = await rawConnection(port);
  streaming.send(get('/held'));
  await streaming.until('first part;');
  const waiting = await rawConnection(port);
  waiting.send(get('/deferred'));
  await held(2);

  expect(drain.drain()).toBe(2);
  // A second request on the connection whose response is still under way (pipelined: read once that one is done).
  streaming.send(get('/'));
  await read(3);
  release();
  await Promise.all([streaming.closed, waiting.closed]);
  const answers = streaming.received().split('HTTP/1.1 200 OK').slice(1);
  expect(answers).toHaveLength(2);
  expect(answers[0]).toContain('last part');
  expect(answers[1]).toMatch(/^connection: close$/im);
  expect(answers[1]).toMatch(/ok$/);
  expect(waiting.received()).toMatch(/^connection: close$/im);
  expect(waiting.received()).toMatch(/deferred$/);
  await drain.drained;
});

test('close after drain: a response that has not ended is cut, and close says how many connections it closed', async () => {
  const { drain, port, held } = await heldServer();
  const stuck = await rawConnection(port);
  stuck.send(get('/held'));
  await held(1);
  expect(drain.drain()).toBe(1);

  expect(await drain.close()).toBe(1);
  await stuck.closed;
  expect(stuck.received()).toContain('first part;');
  expect(stuck.received()).not.toContain('last part');
  await drain.drained;
});

test('close without drain stops listening and closes every connection, idle or not', async () => {
  const { drain, port, held } = await heldServer();
  const idle = await rawConnection(port);
  idle.send(get('/'));
  await idle.until('ok');
  const busy = await rawConnection(port);
  busy.send(get('/held'));
  await held(1);

  expect(await drain.close()).toBe(2);
  await Promise.all([idle.closed, busy.closed]);
  expect(await refused(port)).toBe('ECONNREFUSED');
});

test('drain with nothing open settles at once', async () => {
  const { drain } = await heldServer();
  expect(drain.drain()).toBe(0);
  await drain.drained;
  expect(await drain.close()).toBe(0);
});
