import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { composeEngine } from '../../cli/compose-engine.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { generateIdentity, recipientOf } from '../../src/crypto/index.ts';
import { openState } from '../../src/state/state.ts';
import type { FsStore } from '../../src/storage/fs-store.ts';
import type { RetryingStore } from '../../src/storage/retrying-store.ts';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';

/** Two instances on separate data directories sharing one state database and one backup directory. */
const root = mkdtempSync(join(tmpdir(), 'backstop-fleet-'));
const keys = Object.fromEntries(['one', 'two'].map((name) => [name, generateIdentity().identity])) as Record<
  'one' | 'two',
  string
>;
const recipient = (name: 'one' | 'two') => recipientOf(keys[name]);
let database: { name: string; url: string };

function instance(
  name: 'a' | 'b',
  encryption: { recipients: Array<'one' | 'two'>; identities: Array<'one' | 'two'> } | undefined,
) {
  const cwd = join(root, name);
  mkdirSync(cwd, { recursive: true });
  const section = encryption
    ? `encryption:\n  recipients: [${encryption.recipients.map(recipient).join(', ')}]\n` +
      `  identities: [${encryption.identities.map((key) => join(root, `${key}.key`)).join(', ')}]\n`
    : '';
  writeFileSync(
    join(cwd, 'backstop.yaml'),
    `dataDir: ./data\ndatabase: "${database.url}"\nstorage: { dir: ${join(root, 'backups')} }\n${section}` +
      `apps: { site: { environments: { live: { media: ${join(root, 'media')} } } } }\n`,
  );
  return cwd;
}

beforeAll(async () => {
  database = await createDatabase('fleet');
  for (const name of ['one', 'two'] as const) writeFileSync(join(root, `${name}.key`), `${keys[name]}\n`);
  mkdirSync(join(root, 'media'));
  writeFileSync(join(root, 'media', 'logo.png'), 'pixels');
});
afterAll(async () => {
  await dropDatabase(database.name);
  rmSync(root, { recursive: true, force: true });
});

describe('instances sharing the state agree on keys and the link secret', () => {
  let backupId: string;

  test('without an encryption: section an instance is refused: a generated key would be its own', async () => {
    const run = await runBackstop(['list'], { cwd: instance('a', undefined) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("encryption: is needed when Backstop's state is shared");
  });

  test('an instance that cannot decrypt what the fleet writes, or does not encrypt to its keys, is refused', async () => {
    const a = instance('a', { recipients: ['one'], identities: ['one'] });
    const created = await runBackstop(['create', 'site/live', '--wait', '--json'], { cwd: a });
    expect(created.json()).toMatchObject({ status: 'completed' });
    backupId = created.json().id;

    const ownKeyOnly = await runBackstop(['verify', backupId], {
      cwd: instance('b', { recipients: ['two'], identities: ['two'] }),
    });
    expect(ownKeyOnly.code).toBe(2);
    expect(ownKeyOnly.stderr).toContain(`does not encrypt to ${recipient('one')}`);

    const cannotDecrypt = await runBackstop(['verify', backupId], {
      cwd: instance('b', { recipients: ['one', 'two'], identities: ['two'] }),
    });
    expect(cannotDecrypt.code).toBe(2);
    expect(cannotDecrypt.stderr).toContain("none of this instance's identities decrypts what the fleet writes");
  });

  test('an instance with the fleet key joins, verifies what another wrote, and rolls out a new key', async () => {
    const b = instance('b', { recipients: ['one', 'two'], identities: ['one'] });
    const verified = await runBackstop(['verify', backupId], { cwd: b });
    expect(verified.code).toBe(0);
    expect(verified.stderr).toContain(`Added ${recipient('two')} to the keys every instance sharing the state`);

    // The new key is now the fleet's: an instance that does not encrypt to it is refused until it does.
    const stale = await runBackstop(['list'], { cwd: instance('a', { recipients: ['one'], identities: ['one'] }) });
    expect([stale.code, stale.stderr]).toEqual([2, expect.stringContaining(`does not encrypt to ${recipient('two')}`)]);
    const updated = await runBackstop(['list'], {
      cwd: instance('a', { recipients: ['one', 'two'], identities: ['one', 'two'] }),
    });
    expect(updated.code).toBe(0);

    // Retiring the old key: from then on an instance needs the new one's identity.
    const retired = await runBackstop(['keys', 'retire', recipient('one')], { cwd: b });
    expect([retired.code, retired.stdout]).toEqual([
      0,
      expect.stringContaining(`no longer encrypts to ${recipient('one')}`),
    ]);
    const oldOnly = await runBackstop(['list'], { cwd: instance('b', { recipients: ['two'], identities: ['one'] }) });
    expect(oldOnly.code).toBe(2);
    const newOne = await runBackstop(['list'], { cwd: instance('b', { recipients: ['two'], identities: ['two'] }) });
    expect(newOne.code).toBe(0);
  });

  test('a download link made by one instance is honoured by another', async () => {
    const store = async (name: 'a' | 'b') => {
      const config = loadConfig({ env: {}, cwd: instance(name, { recipients: ['two'], identities: ['two'] }) });
      const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
      const engine = await composeEngine(config, state, { log: () => {}, notice: () => {} });
      return { store: (engine.store as RetryingStore).inner as FsStore, close: () => state.close() };
    };
    const a = await store('a');
    const b = await store('b');
    try {
      const link = await a.store.link(`site/live/${backupId}/backup.json`, 3600);
      const token = link.split('/downloads/')[1]!;
      expect(b.store.grant(token)).toMatchObject({ key: `site/live/${backupId}/backup.json` });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
