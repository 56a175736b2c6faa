import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { openState } from '../../src/state/state.ts';
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
