import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCommand } from '../../commands/handlers/run-command.ts';
import { parseCommand } from '../../commands/parse-command.ts';
import { tokenize } from '../../commands/tokenize.ts';
import type { Principal } from '../../src/domain/principal.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { createToken } from '../../src/state/api-tokens.ts';
import type { Store } from '../../src/storage/store.ts';
import { listen } from '../http/listen.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';

const root = mkdtempSync(join(tmpdir(), 'backstop-surfaces-'));
const day = 24 * 3600 * 1000;
let clock = new Date('2026-11-27T12:00:00Z');
let engine: TestEngine;
let store: Store;
let cleanup: () => Promise<void>;
let server: { url: string; close: () => Promise<void> };
const secrets: Record<string, string> = {};
const ana: Principal = { kind: 'operator', id: 'cli:ana' };

beforeAll(async () => {
  for (const app of ['shop', 'wiki']) {
    mkdirSync(join(root, app), { recursive: true });
    writeFileSync(join(root, app, 'index.html'), `<h1>${app}</h1>`);
  }
  ({ store, cleanup } = await makeStore('directory'));
  engine = await makeEngine({
    store,
    targets: [
      target('shop', 'live', { mediaDir: join(root, 'shop') }),
      target('wiki', 'live', { mediaDir: join(root, 'wiki') }),
    ],
    clock: () => clock,
    // The one source of grants: the token `ci` may operate shop; wiki has no access: section at all.
    access: {
      shop: {
        environments: { live: { media: join(root, 'shop'), protected: false } },
        access: { operator: ['api:ci'] },
      },
      wiki: { environments: { live: { media: join(root, 'wiki'), protected: false } } },
    },
  });
  secrets['ci'] = (await createToken(engine.state.db, { name: 'ci', role: 'operator', apps: ['*'] }, clock)).secret;
  secrets['other'] = (
    await createToken(engine.state.db, { name: 'other', role: 'approver', apps: ['*'] }, clock)
  ).secret;
  server = await listen(createHttpApp({ state: engine.state.db, store, engine: engine.ctx }));
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await cleanup?.();
  rmSync(root, { recursive: true, force: true });
});

async function cli(text: string) {
  const parsed = parseCommand(tokenize(text));
  if (!parsed.ok) throw new Error(parsed.message);
  return runCommand({ engine: engine.ctx, principal: ana, asked: text }, parsed.command, {
    prefix: 'backstop ',
    checks: {},
  });
}

async function post(
  path: string,
  secret: string,
  body: unknown,
): Promise<{ status: number; body: { code?: string; detail?: string } }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('one application layer under every surface', () => {
  test('an API token may do only what access: grants its name: an app without access: is refused', async () => {
    const granted = await post('/backups', secrets['ci']!, { app: 'shop', env: 'live' });
    expect(granted.status).toBe(202);
    const noAccessSection = await post('/backups', secrets['ci']!, { app: 'wiki', env: 'live' });
    expect(noAccessSection.status).toBe(403);
    expect(noAccessSection.body).toMatchObject({ code: 'forbidden' });
    expect(noAccessSection.body.detail).toContain('add api:ci to apps.wiki.access.operator');
    // Whatever the token's own role, a name that access: does not list gets nothing.
    const notListed = await post('/restores', secrets['other']!, { backupId: 'nope00' });
    expect(notListed.status).toBe(404);
    const other = await post('/backups', secrets['other']!, { app: 'shop', env: 'live' });
    expect([other.status, other.body.code]).toEqual([403, 'forbidden']);
    expect(await engine.ctx.catalog.listBackups({ app: 'wiki' })).toEqual([]);
  });

  test('changes and refusals from the CLI and the API are audited; reads are not', async () => {
    const before = (await engine.ctx.audit.list({ limit: 1000 })).length;
    const created = await cli('create media wiki/live "by hand"');
    expect(created.outcome).toBe('ok');
    await cli('list wiki/live');
    await cli('show nothere');
    const entries = await engine.ctx.audit.list({ limit: 1000 });
    expect(entries.length - before).toBe(2);
    expect(entries[1]).toMatchObject({
      principal: 'cli:ana',
      app: 'wiki',
      action: 'create media wiki/live "by hand"',
      outcome: 'ok',
    });
    expect(entries[0]).toMatchObject({ principal: 'cli:ana', action: 'show nothere', outcome: 'refused' });

    const all = await engine.ctx.audit.list({ limit: 1000 });
    expect(all.filter((e) => e.principal === 'api:ci').map((e) => [e.app, e.outcome])).toEqual([
      ['wiki', 'refused'],
      ['shop', 'ok'],
    ]);
    expect(all.some((e) => e.principal === 'api:other' && e.outcome === 'refused')).toBe(true);
  });

  test('a prune by hand records retention.pruned, as the prunes after backups and the daily one do', async () => {
    for (const age of [50, 40, 35, 34, 33]) {
      clock = new Date(Date.parse('2026-11-27T12:00:00Z') - age * day);
      const queued = await queueBackup(engine.ctx, {
        app: 'shop',
        env: 'live',
        trigger: 'on-demand',
        parts: 'media',
        note: `${age} days old`,
        requestedBy: null,
      });
      await runBackup(engine.ctx, queued.id);
    }
    clock = new Date('2026-11-27T12:00:00Z');
    const dryRun = await cli('prune shop/live --dry-run');
    expect(dryRun.text).toMatch(/shop\/live: would delete [1-9]/);
    expect(await engine.ctx.events.list({ types: ['retention.pruned'] })).toEqual([]);
    const pruned = await cli('prune shop/live');
    expect(pruned.outcome).toBe('ok');
    const [event] = await engine.ctx.events.list({ types: ['retention.pruned'] });
    expect(event).toMatchObject({ app: 'shop', env: 'live' });
    const [entry] = await engine.ctx.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ principal: 'cli:ana', action: 'prune shop/live', outcome: 'ok' });
  });
});
