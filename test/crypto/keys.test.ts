import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeBech32 } from '../../src/crypto/bech32.ts';
import {
  createEncryptStream,
  generateIdentity,
  parseIdentityFile,
  parseRecipient,
  readIdentityFiles,
  recipientOf,
} from '../../src/crypto/index.ts';

const BECH32 = '[qpzry9x8gf2tvdw0s3jn54khce6mua7l]';

/** Changes one data character of a Bech32 string, which its checksum must catch. */
function mistyped(text: string): string {
  const position = text.length - 10;
  const replacement = text[position]!.toLowerCase() === 'q' ? 'p' : 'q';
  const inCase = text === text.toUpperCase() ? replacement.toUpperCase() : replacement;
  return text.slice(0, position) + inCase + text.slice(position + 1);
}

describe('keys', () => {
  test('generateIdentity makes an age identity and its recipient', () => {
    const { identity, recipient } = generateIdentity();
    expect(identity).toMatch(new RegExp(`^AGE-SECRET-KEY-1${BECH32.toUpperCase()}{58}$`));
    expect(recipient).toMatch(new RegExp(`^age1${BECH32}{58}$`));
    expect(recipientOf(identity)).toBe(recipient);
    expect(generateIdentity().identity).not.toBe(identity);
  });

  test('parseRecipient returns the 32-byte public key, ignoring surrounding whitespace', () => {
    const { recipient } = generateIdentity();
    expect(parseRecipient(recipient)).toHaveLength(32);
    expect(parseRecipient(` ${recipient}\n`).equals(parseRecipient(recipient))).toBe(true);
    // The example in the error message must itself be valid.
    expect(parseRecipient('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')).toHaveLength(32);
  });

  test('parseRecipient rejects what is not an X25519 recipient, saying what one looks like', () => {
    const { recipient } = generateIdentity();
    const cases: [string, RegExp][] = [
      ['', /does not start with "age1"/],
      ['hello', /does not start with "age1"/],
      [mistyped(recipient), /checksum/],
      [recipient.toUpperCase(), /does not start with "age1"/],
      [recipient.slice(0, 20) + recipient.slice(20).toUpperCase(), /mixes upper and lower case/],
      [encodeBech32('age', Buffer.alloc(31, 7)), /31 bytes instead of 32/],
      [encodeBech32('age1yubikey', Buffer.alloc(33, 7)), /plugins\) are not supported/],
      ['age1pq1abcdef', /post-quantum/],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG', /SSH/],
    ];
    for (const [text, reason] of cases) {
      expect(() => parseRecipient(text), text).toThrow(
        expect.objectContaining({ code: 'bad-recipient', userMessage: expect.stringMatching(reason) }),
      );
      expect(() => parseRecipient(text)).toThrow(/"age1" followed by 58 lower-case letters and digits/);
    }
  });

  test('a secret key given as a recipient is refused without being repeated', () => {
    const { identity } = generateIdentity();
    for (const text of [identity, identity.toLowerCase()]) {
      expect(() => parseRecipient(text)).toThrow(expect.objectContaining({ code: 'bad-recipient' }));
      expect(() => parseRecipient(text)).not.toThrow(new RegExp(identity.slice(16, 40), 'i'));
    }
  });

  test('createEncryptStream checks its recipients when called', () => {
    expect(() => createEncryptStream([])).toThrow(expect.objectContaining({ code: 'bad-recipient' }));
    expect(() => createEncryptStream([generateIdentity().recipient, 'age1nope'])).toThrow(
      expect.objectContaining({ code: 'bad-recipient' }),
    );
    // Well-formed, but a low-order point: no one holds its secret key, and X25519 with it yields all zeros.
    expect(() => createEncryptStream([encodeBech32('age', Buffer.alloc(32))])).toThrow(
      expect.objectContaining({ code: 'bad-recipient', message: expect.stringMatching(/low-order/) }),
    );
  });

  test('recipientOf rejects what is not an identity', () => {
    const { identity, recipient } = generateIdentity();
    expect(() => recipientOf(recipient)).toThrow(/is a recipient \(a public key\)/);
    expect(() => recipientOf(identity.toLowerCase())).toThrow(/upper case/);
    expect(() => recipientOf(mistyped(identity))).toThrow(expect.objectContaining({ code: 'bad-identity' }));
    // A valid Bech32 string whose prefix only starts like an identity's.
    const lookalike = encodeBech32('AGE-SECRET-KEY-1QQ', Buffer.alloc(32, 1)).toUpperCase();
    expect(() => recipientOf(lookalike)).toThrow(/prefix is not AGE-SECRET-KEY-/);
  });
});

describe('identity files', () => {
  const first = generateIdentity();
  const second = generateIdentity();

  test('comments, blank lines and CRLF line ends are ignored; keys come in file order', () => {
    const text = `# created: 2026-01-01\r\n# public key: ${first.recipient}\r\n\r\n${first.identity}\r\n  ${second.identity}  \n\n`;
    expect(parseIdentityFile(text, 'keys/backstop.key')).toEqual([first.identity, second.identity]);
  });

  test('a bad line is reported with the file and line number, without quoting the secret', () => {
    const bad = mistyped(second.identity);
    const text = `# comment\n${first.identity}\n\n${bad}\n`;
    const parse = () => parseIdentityFile(text, 'keys/backstop.key');
    expect(parse).toThrow(
      expect.objectContaining({
        code: 'bad-identity',
        userMessage: expect.stringMatching(/^keys\/backstop.key line 4 /),
      }),
    );
    expect(parse).not.toThrow(bad.slice(16));
    expect(() => parseIdentityFile(`${first.recipient}\n`, 'f')).toThrow(/f line 1 .*is a recipient/);
  });

  test('a file without identities, or still encrypted, is refused', () => {
    expect(() => parseIdentityFile('# only a comment\n\n', 'empty.key')).toThrow(
      expect.objectContaining({
        code: 'bad-identity',
        userMessage: expect.stringMatching(/empty.key holds no identity/),
      }),
    );
    expect(() => parseIdentityFile('age-encryption.org/v1\n-> scrypt ...', 'k.age')).toThrow(/age-encrypted/);
  });

  describe('readIdentityFiles', () => {
    let directory: string;
    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'backstop-identities-'));
    });
    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    test('reads every file, in order', async () => {
      await writeFile(join(directory, 'a.key'), `${first.identity}\n`);
      await writeFile(join(directory, 'b.key'), `# rotated\n${second.identity}\n`);
      expect(await readIdentityFiles([join(directory, 'a.key'), join(directory, 'b.key')])).toEqual([
        first.identity,
        second.identity,
      ]);
    });

    test('names a file it cannot read or parse', async () => {
      const missing = join(directory, 'missing.key');
      await expect(readIdentityFiles([missing])).rejects.toMatchObject({
        code: 'bad-identity',
        userMessage: `the identity file ${missing} does not exist: check the path (backstop keygen makes one)`,
      });
      await writeFile(join(directory, 'bad.key'), 'not a key\n');
      await expect(readIdentityFiles([join(directory, 'bad.key')])).rejects.toThrow(/bad.key line 1/);
    });
  });
});
