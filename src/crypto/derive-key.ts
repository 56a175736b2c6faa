import { hkdfSync } from 'node:crypto';

/** HKDF-SHA256 to a 32-byte key, the one derivation age uses (for stanza wrapping, the header MAC and the payload). */
export function deriveKey(secret: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, 32));
}
