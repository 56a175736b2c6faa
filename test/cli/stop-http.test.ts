import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { type StoppableListener, stopHttp } from '../../cli/stop-http.ts';
import { ConnectionDrain } from '../../src/http/connection-drain.ts';
import { heldGet, newConnection } from '../support/held-get.ts';

/** Timers the test fires itself: `set(ms)` resolves once a wait of `ms` is under way; `fire(ms)` ends it. */
class SteppedTimers {
  readonly #pending: Array<{ ms: number; resolve: () => void; signal: AbortSignal }> = [];
  readonly #watchers: Array<() => void> = [];

  readonly after = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return;
      this.#pending.push({ ms, resolve, signal });
      for (const watcher of this.#watchers.splice(0)) watcher();
    });

  /** The waits under way (those whose signal has aborted are cleared, as a real timer would be). */
  pending(): number[] {
    return this.#pending.filter((timer) => !timer.signal.aborted).map((timer) => timer.ms);
  }

  set(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.pending().includes(ms)) resolve();
        else this.#watchers.push(check);
      };
      check();
    });
  }

  fire(ms: number): void {
    const timer = this.#pending.find((t) => t.ms === ms && !t.signal.aborted);
    if (timer === undefined) throw new Error(`no wait of ${ms} ms is under way`);
    this.#pending.splice(this.#pending.indexOf(timer), 1);
    timer.resolve();
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * A real HTTP server as serve's own listener: `/held` sends a first part and ends when the test calls `release()`;
 * `/` answers at once. `calls` records what stopHttp asked of the listener, in order.
 */
async function served() {
  const releases: Array<() => void> = [];
  const server = createServer((request, response) => {
    if (request.url === '/held') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first part;');
      releases.push(() => response.end('last part'));
      return;
    }
    response.end('ok');
  });
  const drain = new ConnectionDrain(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.closeAllConnections());
  const calls: string[] = [];
  const listener: StoppableListener = {
    refuseChat: async () => {
      calls.push('refuseChat');
    },
    drain: async () => {
      calls.push('drain');
      return drain.drain();
    },
    drained: drain.drained,
    close: () => {
      calls.push('close');
      return drain.close();
    },
  };
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const release = () => {
    for (const end of releases.splice(0)) end();
  };
  return { listener, calls, url, release };
}

function stop(listener: StoppableListener, timers: SteppedTimers, hurry = new Promise<void>(() => {})) {
  const said: string[] = [];
  const draining = new AbortController();
  const stopped = stopHttp({
    listener,
    delaySeconds: 5,
    deadlineSeconds: 10,
    hurry,
    draining,
    after: timers.after,
    say: (text) => said.push(text),
  });
  return { said, draining, stopped };
}

test('new connections are taken through the delay; then the listener closes and a request under way ends in full', async () => {
  const { listener, calls, url, release } = await served();
  const timers = new SteppedTimers();
  const held = await heldGet(`${url}/held`);
  const { said, draining, stopped } = stop(listener, timers);

  await timers.set(5000);
  expect(await newConnection(`${url}/`)).toBe('answered 200');
  expect([calls, draining.signal.aborted]).toEqual([[], false]);

  timers.fire(5000);
  await timers.set(10_000);
  expect(calls).toEqual(['refuseChat', 'drain']);
  expect(draining.signal.aborted).toBe(true);
  expect(said).toEqual([
    'HTTP has stopped listening; 1 connection with requests under way has up to 10 s to finish.\n',
  ]);
  expect(await newConnection(`${url}/`)).toBe('ECONNREFUSED');

  release();
  expect(String(await held.body)).toBe('first part;last part');
  await stopped;
  // Nothing was left to close, and the deadline's timer was cleared.
  expect(said).toHaveLength(1);
  expect(timers.pending()).toEqual([]);
});

test('at the deadline, a request still under way is cut and the log says so', async () => {
  const { listener, calls, url } = await served();
  const timers = new SteppedTimers();
  const stuck = await heldGet(`${url}/held`);
  const { said, stopped } = stop(listener, timers);
  await timers.set(5000);
  timers.fire(5000);
  await timers.set(10_000);
  expect(calls).toEqual(['refuseChat', 'drain']);

  timers.fire(10_000);
  await stopped;
  expect(calls).toEqual(['refuseChat', 'drain', 'close']);
  await expect(stuck.body).rejects.toThrow('cut after 11 bytes');
  expect(said.at(-1)).toBe('HTTP closed 1 connection still open at the drain deadline (10 s).\n');
});

test('a second stop signal ends the delay and the drain at once', async () => {
  const { listener, calls, url } = await served();
  const timers = new SteppedTimers();
  const stuck = await heldGet(`${url}/held`);
  let hurry: () => void = () => {};
  const { said, stopped } = stop(
    listener,
    timers,
    new Promise<void>((resolve) => {
      hurry = resolve;
    }),
  );
  await timers.set(5000);
  hurry();
  await stopped;
  expect(calls).toEqual(['refuseChat', 'drain', 'close']);
  await expect(stuck.body).rejects.toThrow('cut after 11 bytes');
  expect(said.at(-1)).toBe('HTTP closed 1 connection still open on a second stop signal.\n');
  expect(timers.pending()).toEqual([]);
});
