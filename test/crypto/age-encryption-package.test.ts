import { randomBytes } from 'node:crypto';
import * as age from 'age-encryption';
import { describe, expect, test } from 'vitest';
import { generateIdentity, recipientOf } from '../../src/crypto/index.ts';
import { decrypt, encrypt } from './helpers.ts';

// age-encryption (typage) is a second, independent implementation by age's author: the test oracle DESIGN.md names.
describe('interoperability with the age-encryption package', () => {
  for (const size of [0, 1, 65536, 65537, 300_000]) {
    test(`it reads what we encrypt (${size} bytes)`, async () => {
      const { identity, recipient } = generateIdentity();
      const plaintext = randomBytes(size);
      const decrypter = new age.Decrypter();
      decrypter.addIdentity(identity);
      const decrypted = await decrypter.decrypt(await encrypt([recipient], plaintext, 4096));
      expect(Buffer.from(decrypted).equals(plaintext)).toBe(true);
    });

    test(`we read what it encrypts (${size} bytes)`, async () => {
      const identity = await age.generateIdentity();
      const plaintext = randomBytes(size);
      const encrypter = new age.Encrypter();
      encrypter.addRecipient(await age.identityToRecipient(identity));
      const ciphertext = Buffer.from(await encrypter.encrypt(plaintext));
      expect((await decrypt([identity], ciphertext, 5000)).equals(plaintext)).toBe(true);
    });
  }

  test('we read its ASCII armor, and it reads our files for several recipients', async () => {
    const identity = await age.generateIdentity();
    const other = generateIdentity();
    const plaintext = randomBytes(100_000);
    const encrypter = new age.Encrypter();
    encrypter.addRecipient(await age.identityToRecipient(identity));
    const armored = Buffer.from(age.armor.encode(await encrypter.encrypt(plaintext)));
    expect((await decrypt([identity], armored, 77)).equals(plaintext)).toBe(true);

    const ours = await encrypt([other.recipient, recipientOf(identity)], plaintext);
    const decrypter = new age.Decrypter();
    decrypter.addIdentity(identity);
    expect(Buffer.from(await decrypter.decrypt(ours)).equals(plaintext)).toBe(true);
  });

  test('keys agree: our recipientOf matches its identityToRecipient, both ways', async () => {
    const theirs = await age.generateIdentity();
    expect(recipientOf(theirs)).toBe(await age.identityToRecipient(theirs));
    const ours = generateIdentity();
    expect(await age.identityToRecipient(ours.identity)).toBe(ours.recipient);
  });
});
