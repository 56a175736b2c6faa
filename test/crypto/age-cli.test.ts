import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIdentity, readIdentityFiles, recipientOf } from '../../src/crypto/index.ts';
import { decrypt, encrypt, runOk, runProcess } from './helpers.ts';

// The reference implementation, as Debian packages it: Backstop's files must stay readable without Backstop.
const AGE = '/usr/bin/age';
const AGE_KEYGEN = '/usr/bin/age-keygen';

describe('interoperability with the age command line tool', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'backstop-age-cli-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** Writes an identity file as age-keygen does (comments included) and returns its path. */
  async function identityFile(identity: string): Promise<string> {
    const path = join(directory, `${randomBytes(6).toString('hex')}.key`);
    await writeFile(path, `# created: 2026-01-01T00:00:00Z\n# public key: ${recipientOf(identity)}\n${identity}\n`);
    return path;
  }

  for (const size of [0, 1, 65536, 65537, 3 * 65536, 2_000_001]) {
    test(`age -d reads what we encrypt (${size} bytes)`, async () => {
      const { identity, recipient } = generateIdentity();
      const plaintext = randomBytes(size);
      const ciphertext = await encrypt([recipient], plaintext, 10_000);
      const decrypted = await runOk(AGE, ['-d', '-i', await identityFile(identity)], ciphertext);
      expect(decrypted.equals(plaintext)).toBe(true);
    });

    test(`we read what age -r encrypts (${size} bytes)`, async () => {
      const { identity, recipient } = generateIdentity();
      const plaintext = randomBytes(size);
      const ciphertext = await runOk(AGE, ['-r', recipient], plaintext);
      expect((await decrypt([identity], ciphertext, 9_999)).equals(plaintext)).toBe(true);
    });
  }

  test('we read ASCII-armored output (age -a), in any slicing', async () => {
    const { identity, recipient } = generateIdentity();
    const plaintext = randomBytes(200_000);
    const armored = await runOk(AGE, ['-a', '-r', recipient], plaintext);
    expect(armored.toString('latin1', 0, 34)).toBe('-----BEGIN AGE ENCRYPTED FILE-----');
    for (const sliceSize of [1, 63, 65, 100_003, undefined]) {
      expect((await decrypt([identity], armored, sliceSize)).equals(plaintext)).toBe(true);
    }
    // Over 1 MiB of armor in one buffer is decoded in windows.
    const large = randomBytes(3_000_000);
    const largeArmored = await runOk(AGE, ['-a', '-r', recipient], large);
    for (const sliceSize of [undefined, 1_500_001]) {
      expect((await decrypt([identity], largeArmored, sliceSize)).equals(large)).toBe(true);
    }
  });

  test('we read armored output of an empty input, and armor with CRLF line ends', async () => {
    const { identity, recipient } = generateIdentity();
    const empty = await runOk(AGE, ['-a', '-r', recipient], Buffer.alloc(0));
    expect(await decrypt([identity], empty)).toEqual(Buffer.alloc(0));
    const plaintext = randomBytes(1000);
    const crlf = Buffer.from((await runOk(AGE, ['-a', '-r', recipient], plaintext)).toString().replace(/\n/g, '\r\n'));
    expect((await decrypt([identity], crlf)).equals(plaintext)).toBe(true);
  });

  test('several recipients, both ways', async () => {
    const first = generateIdentity();
    const second = generateIdentity();
    const plaintext = randomBytes(150_000);

    const ours = await encrypt([first.recipient, second.recipient], plaintext);
    for (const { identity } of [first, second]) {
      expect((await runOk(AGE, ['-d', '-i', await identityFile(identity)], ours)).equals(plaintext)).toBe(true);
    }

    const theirs = await runOk(AGE, ['-r', first.recipient, '-r', second.recipient], plaintext);
    for (const { identity } of [first, second]) {
      expect((await decrypt([identity], theirs)).equals(plaintext)).toBe(true);
    }
  });

  test('age -d refuses our file with a wrong identity, as we refuse its file', async () => {
    const { recipient } = generateIdentity();
    const stranger = generateIdentity().identity;
    const ours = await encrypt([recipient], Buffer.from('secret'));
    const refused = await runProcess(AGE, ['-d', '-i', await identityFile(stranger)], ours);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout.length).toBe(0);
    const theirs = await runOk(AGE, ['-r', recipient], Buffer.from('secret'));
    await expect(decrypt([stranger], theirs)).rejects.toMatchObject({ code: 'decrypt-no-identity' });
  });

  test('age-keygen accepts our identity, and derives our recipient from it', async () => {
    const { identity, recipient } = generateIdentity();
    const path = await identityFile(identity);
    expect((await runOk(AGE_KEYGEN, ['-y', path])).toString().trim()).toBe(recipient);
    const plaintext = randomBytes(1000);
    const ciphertext = await runOk(AGE, ['-r', recipient], plaintext);
    expect((await runOk(AGE, ['-d', '-i', path], ciphertext)).equals(plaintext)).toBe(true);
  });

  test('we accept an identity file written by age-keygen', async () => {
    const path = join(directory, 'age-keygen.key');
    await runOk(AGE_KEYGEN, ['-o', path]);
    const recipient = (await runOk(AGE_KEYGEN, ['-y', path])).toString().trim();
    const identities = await readIdentityFiles([path]);
    expect(identities).toHaveLength(1);
    expect(recipientOf(identities[0]!)).toBe(recipient);
    expect((await readFile(path, 'utf8')).includes(identities[0]!)).toBe(true);

    const plaintext = randomBytes(70_000);
    const theirs = await runOk(AGE, ['-r', recipient], plaintext);
    expect((await decrypt(identities, theirs)).equals(plaintext)).toBe(true);
    const ours = await encrypt([recipient], plaintext);
    expect((await runOk(AGE, ['-d', '-i', path], ours)).equals(plaintext)).toBe(true);
  });
});
