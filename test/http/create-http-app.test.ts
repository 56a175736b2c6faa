import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { currentLogFields, type LogFields } from '../../src/domain/log-context.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { openState } from '../../src/state/state.ts';
import type { Store } from '../../src/storage/store.ts';
import { makeStore } from '../support/engine.ts';

test('readiness names the part that does not answer, and health does not depend on it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-http-'));
  const state = await openState({ databaseUrl: undefined, dataDir });
  const { store, cleanup } = await makeStore('directory');
  const server = createHttpApp({ state: state.db, store }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await state.close();
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { status: 'not ready', checks: { state: 'unreachable', store: 'ok' } },
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  } finally {
    server.close();
    await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('each request has an id, kept from X-Request-Id or made, answered, and named on what is logged while it is served', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-http-'));
  const state = await openState({ databaseUrl: undefined, dataDir });
  const { store, cleanup } = await makeStore('directory');
  const seen: LogFields[] = [];
  // The readiness probe's store call stands for any code that logs while a request is served.
  const storeProbe = {
    ...store,
    stat: async () => {
      seen.push(currentLogFields());
      return undefined;
    },
  } as Store;
  const server = createHttpApp({ state: state.db, store, storeProbe }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const kept = await fetch(`${url}/readyz`, { headers: { 'X-Request-Id': 'lb-7f3a.1' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.1');
    const made = await fetch(`${url}/readyz`, { headers: { 'X-Request-Id': 'not <allowed>' } });
    const madeId = made.headers.get('x-request-id');
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual([{ requestId: 'lb-7f3a.1' }, { requestId: madeId }]);
    expect(currentLogFields()).toEqual({}); // nothing leaks out of a request
  } finally {
    server.close();
    await state.close();
    await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
