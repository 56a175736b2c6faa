import { createCipheriv, createDecipheriv, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { BackstopError } from '../domain/backstop-error.ts';
import { FILE_KEY_SIZE, type Stanza } from './age-header.ts';
import { corruptError, noIdentityError } from './decrypt-errors.ts';
import { deriveKey } from './derive-key.ts';
import type { X25519Identity } from './parse-identity.ts';
import { TAG_SIZE } from './payload-cipher.ts';
import { decodeStrictBase64, encodeRawBase64 } from './strict-base64.ts';
import { rawX25519PublicKey, X25519_KEY_LENGTH, x25519PublicKey } from './x25519-keys.ts';

/** The age X25519 recipient stanza: `-> X25519 <ephemeral share>` and the file key sealed under a derived key. */

const LABEL = 'age-encryption.org/v1/X25519';
// Each wrapping key is used once, so a zero nonce is safe (and is what the spec prescribes).
const ZERO_NONCE = Buffer.alloc(12);

function wrappingKey(sharedSecret: Buffer, share: Buffer, recipient: Buffer): Buffer {
  return deriveKey(sharedSecret, Buffer.concat([share, recipient]), LABEL);
}

/**
 * Wraps `fileKey` for one recipient (its raw public key) with a fresh ephemeral key. Throws BackstopError
 * `bad-recipient` for a public key that yields no shared secret (a low-order point: nobody holds its secret).
 */
export function wrapFileKey(fileKey: Buffer, recipient: Buffer): Stanza {
  const ephemeral = generateKeyPairSync('x25519');
  const share = rawX25519PublicKey(ephemeral.publicKey);
  let sharedSecret: Buffer;
  try {
    sharedSecret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519PublicKey(recipient) });
  } catch (error) {
    const message = 'the recipient is not a usable X25519 public key (a low-order point)';
    throw new BackstopError('bad-recipient', message, { userMessage: message, cause: error });
  }
  const cipher = createCipheriv('chacha20-poly1305', wrappingKey(sharedSecret, share, recipient), ZERO_NONCE, {
    authTagLength: TAG_SIZE,
  });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { type: 'X25519', args: [encodeRawBase64(share)], body };
}

/** Checks an X25519 stanza's shape, as the spec requires before any key is tried, and returns its share. */
function shareOf(stanza: Stanza): Buffer {
  const share = stanza.args.length === 1 ? decodeStrictBase64(stanza.args[0]!, 'unpadded') : undefined;
  if (share?.length !== X25519_KEY_LENGTH || stanza.body.length !== FILE_KEY_SIZE + TAG_SIZE) {
    throw corruptError('an X25519 recipient stanza is malformed');
  }
  return share;
}

function openFileKey(key: Buffer, body: Buffer): Buffer | undefined {
  const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(body.subarray(FILE_KEY_SIZE));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_SIZE));
  try {
    decipher.final();
  } catch {
    return undefined; // sealed for another key: the normal "not this identity" case
  }
  return fileKey;
}

/**
 * Finds the file key in the header's stanzas with any of the identities. Stanzas of other types are skipped, as age
 * does, except that an scrypt stanza must be alone. Throws `decrypt-corrupt` for a malformed X25519 stanza and
 * `decrypt-no-identity` when no identity opens any stanza.
 */
export function unwrapFileKey(stanzas: readonly Stanza[], identities: readonly X25519Identity[]): Buffer {
  if (stanzas.length > 1 && stanzas.some((stanza) => stanza.type === 'scrypt')) {
    throw corruptError('a passphrase (scrypt) stanza is not alone in the header');
  }
  const candidates = stanzas
    .filter((stanza) => stanza.type === 'X25519')
    .map((stanza) => ({ share: shareOf(stanza), body: stanza.body }));
  for (const identity of identities) {
    for (const { share, body } of candidates) {
      let sharedSecret: Buffer;
      try {
        sharedSecret = diffieHellman({ privateKey: identity.privateKey, publicKey: x25519PublicKey(share) });
      } catch (error) {
        // OpenSSL refuses the all-zero secret of a low-order share, which the spec also requires rejecting.
        throw corruptError('an X25519 recipient stanza holds a low-order share', error);
      }
      const fileKey = openFileKey(wrappingKey(sharedSecret, share, identity.publicKey), body);
      if (fileKey !== undefined) return fileKey;
    }
  }
  throw noIdentityError(
    stanzas.map((stanza) => stanza.type),
    identities.length,
  );
}
