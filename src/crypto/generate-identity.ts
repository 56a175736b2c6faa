import { generateKeyPairSync } from 'node:crypto';
import { encodeBech32 } from './bech32.ts';
import { rawX25519PrivateKey, rawX25519PublicKey } from './x25519-keys.ts';

/**
 * Makes a new X25519 key pair in age's encoding: `identity` (`AGE-SECRET-KEY-1...`, upper case, secret) and its
 * `recipient` (`age1...`, public), interchangeable with what `age-keygen` prints.
 */
export function generateIdentity(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    identity: encodeBech32('AGE-SECRET-KEY-', rawX25519PrivateKey(privateKey)).toUpperCase(),
    recipient: encodeBech32('age', rawX25519PublicKey(publicKey)),
  };
}
