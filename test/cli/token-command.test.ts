import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, expect, test } from 'vitest';
import type { CliIo } from '../../adapters/console/cli-io.ts';
import { composeEngine } from '../../cli/compose-engine.ts';
import { tokenCommand } from '../../cli/token-command.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import { hashSecret } from '../../src/state/api-tokens.ts';
import { openState } from '../../src/state/state.ts';
import { listen } from '../http/listen.ts';

const cwd = mkdtempSync(join(tmpdir(), 'backstop-token-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
writeFileSync(
  join(cwd, 'backstop.yaml'),
  'dataDir: ./data\napps:\n' +
    '  shop: { environments: { live: { media: ./shop-media } }, access: { operator: [api:ci-deploy] } }\n' +
    '  blog: { environments: { live: { media: ./blog-media } } }\n',
);
const config = loadConfig({ env: {}, cwd });

async function token(args: string[], json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        into.push(String(chunk));
        callback();
      },
    });
  const io: CliIo = {
    stdout: sink(out),
    stderr: sink(err),
    stdin: new PassThrough(),
    env: {},
    cwd,
    prompt: async () => '',
  };
  const code = await tokenCommand(args, config, io, { json, noColor: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('token create prints the secret once, list never shows it, and revoke makes the API refuse it', async () => {
  const created = await token(['create', '--name', 'ci-deploy', '--role', 'operator', '--apps', 'shop'], true);
  expect(created.code).toBe(0);
  const { id, secret, ...shown } = JSON.parse(created.stdout);
  expect(secret).toMatch(/^bst_[A-Za-z0-9_-]{43}$/);
  expect(shown).toMatchObject({
    name: 'ci-deploy',
    role: 'operator',
    apps: ['shop'],
    lastUsedAt: null,
    revokedAt: null,
  });

  const text = await token(['create', '--name=dash', '--role=viewer', '--apps=*']);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain('viewer on all apps');
  expect(text.stdout).toMatch(/shown only now/);
  const textSecret = /(bst_[A-Za-z0-9_-]{43})/.exec(text.stdout)![1]!;

  // Only the hash is stored, and no listing shows the secret or its hash.
  const state = await openState({ databaseUrl: undefined, dataDir: config.dataDir });
  const rows = await state.db.selectFrom('api_tokens').selectAll().execute();
  await state.close();
  expect(rows.map((r) => r.secret_sha256).sort()).toEqual([hashSecret(secret), hashSecret(textSecret)].sort());
  expect(JSON.stringify(rows)).not.toContain(secret);
  for (const json of [false, true]) {
    const listed = await token(['list'], json);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('ci-deploy');
    expect(listed.stdout).toContain('dash');
    for (const hidden of [secret, textSecret, hashSecret(secret), hashSecret(textSecret)]) {
      expect(listed.stdout).not.toContain(hidden);
    }
  }
  expect(JSON.parse((await token(['list'], true)).stdout)).toHaveLength(2);

  // The token works against the API (of the engine `backstop serve` composes) until it is revoked.
  const check = async (): Promise<number> => {
    const served = await openState({ databaseUrl: undefined, dataDir: config.dataDir });
    const engine = await composeEngine(config, served, { log: () => {}, notice: () => {} });
    const server = await listen(createHttpApp({ state: served.db, store: engine.store, engine }));
    try {
      return (await fetch(`${server.url}/api/v1/backups?app=shop`, { headers: { authorization: `Bearer ${secret}` } }))
        .status;
    } finally {
      await server.close();
      await served.close();
    }
  };
  {
    expect(await check()).toBe(200);
    const revoked = await token(['revoke', id]);
    expect([revoked.code, revoked.stdout]).toEqual([0, expect.stringContaining(`Token ${id} (ci-deploy) is revoked`)]);
    expect(await check()).toBe(401);
    const listed = JSON.parse((await token(['list'], true)).stdout);
    expect(listed.find((t: { id: string }) => t.id === id)).toMatchObject({
      revokedAt: expect.any(String),
      lastUsedAt: expect.any(String),
    });
    // Revoking again changes nothing; an unknown id is refused, as every unknown id (exit status 2).
    expect((await token(['revoke', id])).code).toBe(0);
    const unknown = await token(['revoke', 'zzzzzzzz']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('There is no token zzzzzzzz')]);
    const unknownJson = await token(['revoke', 'zzzzzzzz'], true);
    expect([unknownJson.code, JSON.parse(unknownJson.stdout)]).toEqual([
      2,
      { error: { code: 'token-not-found', message: expect.stringContaining('There is no token zzzzzzzz') } },
    ]);
  }
});

test('usage mistakes exit 2 with the usage', async () => {
  const cases: [string[], string][] = [
    [[], 'token takes a subcommand'],
    [['make'], "unknown token subcommand 'make'"],
    [['create', '--name', 'x', '--role', 'operator'], 'needs --apps'],
    [['create', '--name', 'x', '--role', 'boss', '--apps', 'shop'], "unknown role 'boss'"],
    [['create', '--name', 'x', '--role', 'viewer', '--apps', 'shp'], "unknown app 'shp' (configured apps: shop, blog)"],
    [['create', '--name', 'x', '--role', 'viewer', '--apps', 'shop,*'], "'*' already means every app"],
    [['create', '--name', 'two words', '--role', 'viewer', '--apps', 'shop'], 'is not usable'],
    [['create', '--name', 'x', '--role', 'viewer', '--apps', 'shop', '--force'], "unexpected '--force'"],
    [['list', 'all'], "unexpected 'all'"],
    [['revoke'], 'token revoke takes one token id'],
  ];
  for (const [args, message] of cases) {
    const run = await token(args);
    expect([args, run.code]).toEqual([args, 2]);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: backstop token create');
  }
  // A second active token of one name is refused too.
  expect((await token(['create', '--name', 'same', '--role', 'viewer', '--apps', 'blog'])).code).toBe(0);
  const again = await token(['create', '--name', 'same', '--role', 'viewer', '--apps', 'blog']);
  expect([again.code, again.stderr]).toEqual([2, expect.stringContaining("A token named 'same' exists already")]);
});
