import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createDecryptStream, generateIdentity, recipientOf } from '../../src/crypto/index.ts';
import { HashCounter } from '../../src/engine/hash-counter.ts';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import type { Source } from '../../src/sources/source.ts';
import { databaseFingerprint, treeFingerprint } from '../support/compare.ts';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';
import { type Damage, damaged, damages, encrypt, expectedCodes } from './damage.ts';

const { identity } = generateIdentity();
const recipient = recipientOf(identity);
const KIB = 1024;
const MIB = 1024 * KIB;
const work = mkdtempSync(join(tmpdir(), 'backstop-damage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A failure that does not come promptly is a hang: the guard turns it into a clear test failure long before the
 * test's own timeout (it bounds a hang, it does not measure speed).
 */
function promptly<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} neither failed nor finished: it hangs`)), 30_000);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/** The plaintext as a restore gets it: stored bytes -> age decryption -> hashing, composed as run-restore does. */
function decrypted(object: Buffer): Readable {
  return pipeline(Readable.from([object]), createDecryptStream([identity]), new HashCounter(), () => {});
}

describe('decryption of a damaged object', () => {
  const sizes = [300, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, MIB, 64 * MIB];
  describe.each(sizes)('of %i bytes', (size) => {
    let plaintext: Buffer;
    let object: Buffer;
    beforeAll(async () => {
      plaintext = randomBytes(size);
      object = await encrypt(plaintext, recipient);
    });

    test.each(damages)('damaged: %s, fails with its code and never yields a wrong byte', async (damage) => {
      const out: Buffer[] = [];
      const stream = decrypted(damaged(object, damage));
      const failure = promptly(
        (async () => {
          for await (const chunk of stream) out.push(chunk as Buffer);
        })(),
        'decryption',
      );
      await expect(failure).rejects.toMatchObject({ code: expect.toBeOneOf(expectedCodes(damage)) });
      const yielded = Buffer.concat(out);
      expect(yielded.equals(plaintext.subarray(0, yielded.length))).toBe(true);
      expect(yielded.length).toBeLessThan(plaintext.length);
    });
  });
});

describe('a media restore from a damaged object', () => {
  const trees: Array<[string, Record<string, number>]> = [
    ['one small file', { 'a.txt': 300 }],
    ['a little over one chunk', { 'a.bin': 40 * KIB, 'b.bin': 30 * KIB }],
    ['1 MiB in a few files', { 'a.bin': 512 * KIB, 'c/d.bin': 256 * KIB, 'e.bin': 256 * KIB }],
    ['64 MiB', { 'big.bin': 64 * MIB }],
  ];
  describe.each(trees)('of %s', (_name, files) => {
    let object: Buffer;
    const destination = join(work, `media-${Object.keys(files).join('-').replace(/\W/g, '')}`);
    beforeAll(async () => {
      const source = join(work, `source-${Object.keys(files).join('-').replace(/\W/g, '')}`);
      for (const [path, size] of Object.entries(files)) {
        mkdirSync(join(source, path, '..'), { recursive: true });
        writeFileSync(join(source, path), randomBytes(size));
      }
      object = await encrypt(await buffer(new MediaDirSource({ path: source }).open()), recipient);
      mkdirSync(destination, { recursive: true });
      writeFileSync(join(destination, 'already-there.txt'), 'must stay');
    });

    test.each(damages)('damaged: %s, fails promptly with its code; the directory is untouched', async (damage) => {
      await expectRefused(new MediaDirSource({ path: destination }), damage, object, () =>
        treeFingerprint(destination),
      );
    });
  });
});

describe('a database restore from a damaged object', () => {
  const databases: string[] = [];
  const dumps: Record<string, Buffer> = {};
  let destination: string;
  const sizes: Array<[string, number]> = [
    ['a small dump', 0],
    ['a dump of about 1 MiB', MIB],
    ['a dump of about 8 MiB', 8 * MIB],
  ];

  beforeAll(async () => {
    for (const [name, bytes] of sizes) {
      const db = await createDatabase('damage_src');
      databases.push(db.name);
      // Random bytes do not compress: the dump is about as large as the data.
      await sql(db.url, 'create table files (id int primary key, content bytea)');
      for (let i = 0; i < Math.ceil(bytes / (64 * KIB)); i++) {
        await sql(db.url, 'insert into files values ($1, $2)', [i, randomBytes(64 * KIB)]);
      }
      dumps[name] = await encrypt(await buffer(new PostgresSource({ url: db.url }).open()), recipient);
    }
    const dest = await createDatabase('damage_dest');
    databases.push(dest.name);
    destination = dest.url;
    await sql(destination, 'create table marker (v int); insert into marker values (42);');
  });
  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
  });

  describe.each(sizes)('of %s', (name) => {
    test.each(damages)(
      'damaged: %s, fails promptly with its code; the database is untouched and unlocked',
      async (damage) => {
        await expectRefused(new PostgresSource({ url: destination }), damage, dumps[name]!, () =>
          databaseFingerprint(destination),
        );
        // The application reads its own database at once (within a 1 s lock wait)...
        expect(await sql(destination, "set lock_timeout = '1s'; select v from marker")).toEqual([{ v: 42 }]);
        // ...and no session is left holding a lock on it: the restore's own session, rolled back, ends with it (on a
        // loaded machine its backend may take a moment to exit after the client has gone).
        await vi.waitFor(
          async () => {
            const [{ locks }] = (await sql<{ locks: number }>(
              destination,
              `select count(*)::int as locks from pg_locks l join pg_database d on d.oid = l.database
             where d.datname = current_database() and l.pid <> pg_backend_pid()`,
            )) as [{ locks: number }];
            expect(locks).toBe(0);
          },
          { timeout: 5000, interval: 50 },
        );
      },
    );
  });
});

/** Restores the damaged object through `source` and expects the damage's error, with `state()` unchanged. */
async function expectRefused<T>(source: Source, damage: Damage, object: Buffer, state: () => T | Promise<T>) {
  const before = await state();
  let committed = false;
  const restore = source.restore(decrypted(damaged(object, damage)), {
    beforeCommit: async () => {
      committed = true;
    },
  });
  await expect(promptly(restore, 'the restore')).rejects.toMatchObject({
    code: expect.toBeOneOf(expectedCodes(damage)),
  });
  expect(committed).toBe(false);
  expect(await state()).toEqual(before);
}
