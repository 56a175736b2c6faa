import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { composeEngine } from '../../cli/compose-engine.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { openState } from '../../src/state/state.ts';
import { listen } from '../http/listen.ts';
import { runBackstop } from '../support/cli.ts';

const cwd = mkdtempSync(join(tmpdir(), 'backstop-links-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

// The links a download hands out, served by the HTTP app as `backstop serve` wires it (the composed store, with its
// retrying wrapper), not by a store a test built by hand.
test('a directory-store download link made by the CLI is served by the app serve composes; an altered one is refused', async () => {
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'logo.png'), 'pixels');
  writeFileSync(join(cwd, 'backstop.yaml'), 'apps: { site: { environments: { live: { media: ./media } } } }\n');
  const created = await runBackstop(['create', 'site/live', '--json'], { cwd });
  const download = await runBackstop(['download', created.json().id, '--json'], { cwd });
  expect(download.json()).toMatchObject({ status: 'ready' });
  const [link] = download.json().links as Array<{ url: string; sizeBytes: number }>;

  const config = loadConfig({ env: {}, cwd });
  const state = await openState({ databaseUrl: undefined, dataDir: config.dataDir });
  const engine = await composeEngine(config, state, { log: () => {}, notice: () => {} });
  const server = await listen(createHttpApp({ state: state.db, store: engine.store, engine }));
  try {
    const url = link!.url.replace('http://127.0.0.1:8080', server.url);
    const served = await fetch(url);
    expect(served.status).toBe(200);
    const bytes = Buffer.from(await served.arrayBuffer());
    expect(bytes.length).toBe(link!.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(created.json().parts[0].sha256);
    const altered = `${url.slice(0, -3)}${url.endsWith('A') ? 'B' : 'A'}${url.slice(-2)}`;
    expect((await fetch(altered)).status).toBe(403);
  } finally {
    await server.close();
    await state.close();
  }
});
