import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** Length of X25519 keys and shares, in bytes. */
export const X25519_KEY_LENGTH = 32;

// node:crypto imports raw X25519 keys as DER or JWK. A private key goes in as PKCS#8 DER (a fixed ASN.1 prefix + the
// 32 bytes): its JWK form would need the public key we do not have yet. Public keys go in as JWK, several times
// faster to import than DER, which matters when every stanza of every file is tried.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A KeyObject for a raw 32-byte X25519 secret scalar (clamping happens inside OpenSSL, as RFC 7748 says). */
export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/** A KeyObject for a raw 32-byte X25519 public key (any 32 bytes are accepted, as RFC 7748 requires). */
export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** The raw 32 bytes of an X25519 public key, or of the public half of a private key. */
export function rawX25519PublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

/** The raw 32 bytes of an X25519 private key. */
export function rawX25519PrivateKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
}
