import type { KeyObject } from 'node:crypto';
import { BackstopError } from '../domain/backstop-error.ts';
import { decodeBech32 } from './bech32.ts';
import { rawX25519PublicKey, X25519_KEY_LENGTH, x25519PrivateKey } from './x25519-keys.ts';

/** An age X25519 identity, ready to unwrap file keys: the secret key and its own public key (part of the HKDF salt). */
export interface X25519Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
}

const IDENTITY_PREFIX = 'AGE-SECRET-KEY-1';
const SHAPE = 'an identity is AGE-SECRET-KEY-1 followed by 58 upper-case letters and digits, as age-keygen writes it';

function problemWith(text: string): string | { secretKey: Buffer } {
  const upper = text.toUpperCase();
  if (text.startsWith('age1')) return 'it is a recipient (a public key); decryption needs its secret key';
  if (upper.startsWith('AGE-SECRET-KEY-PQ-1')) return 'post-quantum identities are not supported';
  if (upper.startsWith('AGE-PLUGIN-')) return 'age plugin identities are not supported';
  if (text.includes('OPENSSH PRIVATE KEY') || text.startsWith('ssh-')) return 'SSH keys are not supported';
  if (!upper.startsWith(IDENTITY_PREFIX)) return `it does not start with ${IDENTITY_PREFIX}`;
  if (text !== upper) return 'it must be written in upper case';
  const decoded = decodeBech32(text);
  if (!decoded.ok) return decoded.reason;
  if (decoded.hrp !== 'AGE-SECRET-KEY-') return 'its prefix is not AGE-SECRET-KEY-';
  if (decoded.data.length !== X25519_KEY_LENGTH) return `it holds ${decoded.data.length} bytes instead of 32`;
  return { secretKey: decoded.data };
}

/**
 * Parses one `AGE-SECRET-KEY-1...` string (no surrounding whitespace). Throws BackstopError `bad-identity` that says
 * what is wrong with it, naming it as `where` ("keys/backstop.key line 3") and never quoting it: it is a secret.
 */
export function parseIdentity(text: string, where = 'the identity'): X25519Identity {
  const result = problemWith(text);
  if (typeof result === 'string') {
    const message = `${where} is not an age identity: ${result} (${SHAPE})`;
    throw new BackstopError('bad-identity', message, { userMessage: message });
  }
  const privateKey = x25519PrivateKey(result.secretKey);
  return { privateKey, publicKey: rawX25519PublicKey(privateKey) };
}
